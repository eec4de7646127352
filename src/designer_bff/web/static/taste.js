// @ts-check
/** The lightbox's "Your taste" section: what the studio expected of a design, and which features pulled. */

import { api } from "./api.js";
import { h } from "./dom.js";
import { percent } from "./format.js";
import { blockHead } from "./validation.js";

/** @typedef {import("./api.js").Explanation} Explanation */

const PULL = 0.01; // log-odds: the strongest three each way are named, however early

/**
 * One feature's readable name: "garment.type = dress" → "dress", routes and modifiers as the API labels them.
 * @param {Explanation["contributions"][number]} c
 */
function short(c) {
  const [, value] = c.label.split(" = ");
  return value ?? c.label;
}

/**
 * The section, filled when the explanation arrives (an empty section until then).
 * @param {string} assetId
 * @returns {HTMLElement}
 */
export function tasteSection(assetId) {
  const body = h("p", { class: "insight__note", text: "Reading what the studio learned…" });
  const section = h("section", { class: "insight", attrs: { "aria-label": "Your taste" } }, [
    blockHead("Your taste"),
    body,
  ]);
  api.explain(assetId).then(
    (e) => section.replaceChildren(blockHead("Your taste"), ...describe(e)),
    () => body.replaceChildren("The studio could not say why right now."),
  );
  return section;
}

/**
 * @param {Explanation} e
 * @returns {HTMLElement[]}
 */
function describe(e) {
  if (!e.contributions.length) {
    return [h("p", { class: "insight__note", text: "Mark standouts and rejects: the studio learns your taste from them and steers the next batches." })];
  }
  // A value and its family can read the same ("solid" print and "solid" pattern): each name once.
  const names = (/** @type {Explanation["contributions"]} */ cs) => [...new Set(cs.map(short))].slice(0, 3);
  const up = names(e.contributions.filter((c) => c.logOdds >= PULL));
  const down = names(e.contributions.filter((c) => c.logOdds <= -PULL));
  const lines = [
    h("p", {
      class: "insight__note",
      text: `Expected ${percent(e.predicted)} chance it is a standout for you (your designs so far: ${percent(e.typical)}).`,
    }),
  ];
  if (up.length) lines.push(h("p", { class: "insight__note taste--up", text: `Pulls up: ${up.join(", ")}.` }));
  if (down.length) lines.push(h("p", { class: "insight__note taste--down", text: `Pulls down: ${down.join(", ")}.` }));
  return lines;
}
