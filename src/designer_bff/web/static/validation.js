// @ts-check
/**
 * What validation and selection said about designs: the kept/rejected/flagged counts of a request, the
 * marks on tiles (flagged, hidden, rejected) and the lightbox's "Validation" and "Selection" sections.
 */

import { h } from "./dom.js";
import { attributeLabel, percent, plural, valueText } from "./format.js";

/** @typedef {import("./api.js").Asset} Asset */
/** @typedef {import("./api.js").Check} Check */
/** @typedef {import("./api.js").Generation} Generation */
/** @typedef {import("./state.js").Tile} Tile */

/** The server's default flag threshold, used when a generation's stages do not say. */
const FLAG_BELOW = 0.8;

/**
 * The score below which a check counts as failed for this generation (its validation stage's setting).
 * @param {Generation} g
 * @returns {number}
 */
export function flagThreshold(g) {
  const value = g.stages?.validation?.input?.flagBelow;
  return typeof value === "number" ? value : FLAG_BELOW;
}

/**
 * How a finished request's candidates fared: made, kept, hidden, rejected and flagged by validation.
 * @param {Generation} g
 * @param {Asset[]} [all] every candidate, when loaded (counts verdicts if the stage summary is missing)
 * @returns {{ candidates: number, kept: number, hidden: number, rejected: number, flagged: number }}
 */
export function selectionCounts(g, all) {
  const kept = g.assets.filter((a) => a.selected !== false).length;
  const candidates = g.candidateCount ?? kept;
  const summary = g.stages?.validation?.output;
  const pool = all ?? g.assets;
  const count = (/** @type {string} */ verdict) =>
    typeof summary?.[verdict] === "number" ? summary[verdict] : pool.filter((a) => a.verdict === verdict).length;
  return { candidates, kept, hidden: g.hiddenCount ?? candidates - kept, rejected: count("rejected"), flagged: count("flagged") };
}

/**
 * "10 kept of 12 · 1 rejected · 1 flagged" (zero counts left out).
 * @param {Generation} g
 * @param {Asset[]} [all]
 * @returns {string}
 */
export function selectionSummary(g, all) {
  const { candidates, kept, rejected, flagged } = selectionCounts(g, all);
  const parts = [`${kept} kept of ${candidates}`];
  if (rejected) parts.push(`${rejected} rejected`);
  if (flagged) parts.push(`${flagged} flagged`);
  if (!rejected && !flagged && g.stages?.validation) parts.push("all passed validation");
  return parts.join(" · ");
}

/**
 * The checks of a design that scored below the flag threshold, worst first.
 * @param {Asset} asset
 * @param {number} flagBelow
 * @returns {Check[]}
 */
export function failedChecks(asset, flagBelow) {
  const checks = asset.validation?.checks ?? [];
  return checks.filter((c) => c.score < flagBelow).sort((a, b) => a.score - b.score);
}

/**
 * "Primary colour: expected black, observed grey (5%)".
 * @param {Check} check
 * @returns {string}
 */
function checkLine(check) {
  return `${attributeLabel(check.attribute)}: expected ${valueText(check.expected)}, observed ${valueText(check.observed)} (${percent(check.score)})`;
}

/**
 * Draw a tile's validation marks (top right): "check" on flagged designs, with the failed checks as its
 * tooltip, and "hidden" / "rejected" on candidates the selection left out (the tile is dimmed).
 * @param {Tile} tile
 * @param {Asset} asset
 * @param {number} flagBelow
 */
export function renderMarks(tile, asset, flagBelow) {
  const hidden = asset.selected === false;
  const rejected = asset.verdict === "rejected";
  /** @type {HTMLElement[]} */
  const marks = [];
  if (asset.verdict === "flagged") {
    const failed = failedChecks(asset, flagBelow);
    const score = asset.validationScore ?? asset.validation?.score;
    const head = `Flagged for review${typeof score === "number" ? ` — validation ${percent(score)}` : ""}`;
    const tip = [head, ...failed.map(checkLine)].join("\n");
    marks.push(h("span", { class: "mark mark--flagged", text: "check", attrs: { title: tip, "aria-label": tip } }));
  }
  if (rejected) marks.push(h("span", { class: "mark mark--rejected", text: "rejected", attrs: { title: "Rejected by validation: never kept" } }));
  else if (hidden) marks.push(h("span", { class: "mark mark--hidden", text: "hidden", attrs: { title: "Left out by the selection" } }));
  tile.marks.replaceChildren(...marks);
  tile.item.classList.toggle("tile--hidden", hidden || rejected);
  // The button's label is what assistive technology reads for the tile, so the marks join it.
  const button = tile.item.querySelector(".tile__button");
  if (button instanceof HTMLElement && button.dataset.label) {
    const notes = [asset.verdict === "flagged" ? "flagged for review" : "", rejected ? "rejected candidate" : hidden ? "hidden candidate" : ""];
    button.setAttribute("aria-label", [button.dataset.label, ...notes.filter(Boolean)].join(", "));
  }
}

/**
 * @param {string} text
 * @param {Node[]} [extra]
 */
export function blockHead(text, extra = []) {
  return h("div", { class: "insight__head" }, [h("h3", { class: "insight__title", text }), ...extra]);
}

/**
 * The lightbox's "Validation" section: score, verdict and every check, or null when there is none.
 * @param {Asset} asset
 * @param {number} flagBelow
 * @returns {HTMLElement | null}
 */
export function validationSection(asset, flagBelow) {
  const v = asset.validation;
  if (!v) return null;
  const verdict = asset.verdict ?? v.verdict;
  const score = asset.validationScore ?? v.score;
  const rows = v.checks.map((c) =>
    h("tr", { class: c.score < flagBelow ? "is-low" : "" }, [
      h("th", { text: attributeLabel(c.attribute), attrs: { scope: "row", title: c.attribute } }),
      h("td", { text: valueText(c.expected) }),
      h("td", { text: valueText(c.observed) }),
      h("td", { class: "checks__score", text: percent(c.score) }),
    ]),
  );
  const table = rows.length
    ? h("table", { class: "checks" }, [
        h("thead", {}, [h("tr", {}, ["Attribute", "Expected", "Observed", "Score"].map((t) => h("th", { text: t, attrs: { scope: "col" } })))]),
        h("tbody", {}, rows),
      ])
    : h("p", { class: "insight__note", text: "No attribute could be checked from the image." });
  const unchecked = v.unchecked ?? [];
  return h("section", { class: "insight", attrs: { "aria-label": "Validation" } }, [
    blockHead("Validation", [
      h("span", { class: `verdict verdict--${verdict}`, text: `${verdict} · ${percent(score)}` }),
    ]),
    table,
    unchecked.length
      ? h("p", {
          class: "insight__note",
          text: `${plural(unchecked.length, "attribute")} not checked from the image`,
          attrs: { title: unchecked.map(attributeLabel).join(", ") },
        })
      : null,
  ]);
}

/**
 * The lightbox's "Selection" section: pick rank (1-based) among the kept designs and the cluster.
 * @param {Asset} asset
 * @param {number} kept how many designs the selection kept
 * @param {string | null} clusterName the cluster's name, when known
 * @returns {HTMLElement | null}
 */
export function selectionSection(asset, kept, clusterName) {
  if (asset.pickRank == null && asset.cluster == null && asset.selected !== false) return null;
  const pick =
    asset.selected === false
      ? asset.verdict === "rejected" ? "Not kept — rejected" : "Not kept — hidden"
      : asset.pickRank == null ? "—" : `#${asset.pickRank + 1} of ${kept}`;
  const cluster = asset.cluster == null ? "—" : `Cluster ${asset.cluster}`;
  const row = (/** @type {string} */ term, /** @type {import("./dom.js").Child[]} */ value) =>
    h("div", { class: "facts__row" }, [h("dt", { text: term }), h("dd", {}, value)]);
  return h("section", { class: "insight", attrs: { "aria-label": "Selection" } }, [
    blockHead("Selection"),
    h("dl", { class: "facts facts--compact" }, [
      row("Pick rank", [pick]),
      row("Cluster", [cluster, clusterName ? h("span", { class: "facts__sub", text: clusterName }) : null]),
    ]),
  ]);
}
