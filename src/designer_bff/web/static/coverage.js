// @ts-check
/**
 * A finished request's Coverage panel: overall score, a bar per category against its target, the gaps
 * (severity, missing values, boost) and the clusters. Loaded lazily the first time the panel opens.
 */

import { api } from "./api.js";
import { h } from "./dom.js";
import { percent, plural, shortList } from "./format.js";

/** @typedef {import("./api.js").Coverage} Coverage */
/** @typedef {import("./api.js").Clusters} Clusters */
/** @typedef {import("./api.js").CoverageGap} CoverageGap */
/** @typedef {import("./state.js").GenView} GenView */

/** Clusters already fetched, readable without waiting (the lightbox names a design's cluster). */
const loadedClusters = new WeakMap();

/**
 * A request's coverage report, fetched once (a failed fetch is retried on the next call).
 * @param {GenView} view
 * @returns {Promise<Coverage>}
 */
export function coverageFor(view) {
  if (!view.coverage) {
    view.coverage = api.coverage(view.data.id);
    view.coverage.catch(() => { view.coverage = null; });
  }
  return view.coverage;
}

/**
 * A request's clusters, fetched once (a failed fetch is retried on the next call).
 * @param {GenView} view
 * @returns {Promise<Clusters>}
 */
export function clustersFor(view) {
  if (!view.clusters) {
    view.clusters = api.clusters(view.data.id).then((c) => {
      loadedClusters.set(view, c);
      return c;
    });
    view.clusters.catch(() => { view.clusters = null; });
  }
  return view.clusters;
}

/**
 * The name of cluster `label` of a finished request if its clusters are loaded; otherwise starts loading
 * them, calls `onLoaded` when they arrive and returns null.
 * @param {GenView} view
 * @param {number} label
 * @param {() => void} onLoaded
 * @returns {string | null}
 */
export function clusterName(view, label, onLoaded) {
  /** @type {Clusters | undefined} */
  const clusters = loadedClusters.get(view);
  if (clusters) return clusters.clusters.find((c) => c.label === label)?.name ?? null;
  if (view.data.status === "completed") clustersFor(view).then(onLoaded, () => {});
  return null;
}

/**
 * Open or close a request's Coverage panel; the first opening loads the report and the clusters.
 * @param {GenView} view
 */
export function toggleCoverage(view) {
  const { coverageButton: button, coveragePanel: panel } = view.insight;
  const open = button.getAttribute("aria-expanded") !== "true";
  button.setAttribute("aria-expanded", String(open));
  panel.hidden = !open;
  if (open && !panel.dataset.loaded) void loadPanel(view);
}

/** @param {GenView} view */
async function loadPanel(view) {
  const panel = view.insight.coveragePanel;
  panel.dataset.loaded = "loading";
  panel.setAttribute("aria-busy", "true");
  panel.replaceChildren(h("p", { class: "coverage__loading", text: "Measuring coverage…" }));
  try {
    const [coverage, clusters] = await Promise.all([coverageFor(view), clustersFor(view).catch(() => null)]);
    panel.replaceChildren(...coverageContent(coverage, clusters));
    panel.dataset.loaded = "yes";
  } catch (err) {
    delete panel.dataset.loaded;
    const retry = h("button", { class: "btn btn--link btn--sm", text: "Try again", attrs: { type: "button" } });
    retry.addEventListener("click", () => void loadPanel(view));
    const message = err instanceof Error ? err.message : String(err);
    panel.replaceChildren(h("p", { class: "coverage__error" }, [`Could not load coverage: ${message} `, retry]));
  } finally {
    panel.setAttribute("aria-busy", "false");
  }
}

/**
 * @param {Coverage} coverage
 * @param {Clusters | null} clusters
 * @returns {HTMLElement[]}
 */
function coverageContent(coverage, clusters) {
  const head = h("div", { class: "coverage__head" }, [
    h("p", { class: "coverage__score" }, [
      h("span", { class: "coverage__overall", text: percent(coverage.overall), attrs: { "data-overall": "" } }),
      h("span", { class: "coverage__overall-label", text: "overall coverage" }),
    ]),
    h("p", {
      class: "coverage__aside",
      text: `${plural(coverage.specs, "kept design")} measured${clusters?.k ? ` · ${plural(clusters.k, "cluster")}` : ""}`,
    }),
  ]);
  const categories = h("div", { class: "coverage__col" }, [
    h("h3", { class: "coverage__title", text: "Categories" }),
    h("ul", { class: "cov-cats", attrs: { role: "list" } }, coverage.categories.map(categoryRow)),
    h("p", { class: "coverage__legend" }, [h("span", { class: "cov-legend-target", attrs: { "aria-hidden": "true" } }), "target"]),
  ]);
  const gaps = h("div", { class: "coverage__col" }, [
    h("h3", { class: "coverage__title", text: coverage.gaps.length ? `Gaps (${coverage.gaps.length})` : "Gaps" }),
    coverage.gaps.length
      ? h("ul", { class: "gap-list", attrs: { role: "list" } }, coverage.gaps.map((g) => gapItem(g)))
      : h("p", { class: "insight__note", text: "None — every category meets its target." }),
  ]);
  const parts = [head, h("div", { class: "coverage__grid" }, [categories, gaps])];
  if (clusters && clusters.clusters.length) {
    parts.push(
      h("div", { class: "coverage__clusters" }, [
        h("h3", { class: "coverage__title", text: "Clusters" }),
        h("ul", { class: "cluster-list", attrs: { role: "list" } }, clusters.clusters.map((c) =>
          h("li", { class: "cluster", attrs: { title: `Cluster ${c.label}: ${percent(c.share)} of the candidates` } }, [
            h("span", { class: "cluster__name", text: c.name || `Cluster ${c.label}` }),
            h("span", { class: "cluster__size", text: String(c.size) }),
          ]),
        )),
      ]),
    );
  }
  return parts;
}

/** @param {import("./api.js").CoverageCategory} c */
function categoryRow(c) {
  const fill = h("span", { class: "cov-bar__fill" });
  fill.style.width = `${Math.min(100, Math.max(0, c.coverage))}%`;
  const target = h("span", { class: "cov-bar__target" });
  target.style.left = `${Math.min(100, Math.max(0, c.target))}%`;
  const met = c.coverage >= c.target;
  const label = `${c.name}: ${Math.round(c.coverage)}% covered, target ${Math.round(c.target)}%`;
  return h("li", { class: `cov-cat${met ? " is-met" : ""}`, attrs: { title: c.present.length ? `Present: ${c.present.join(", ")}` : null } }, [
    h("span", { class: "cov-cat__name", text: c.name }),
    h("span", { class: "cov-bar", attrs: { role: "img", "aria-label": label } }, [fill, target]),
    h("span", { class: "cov-cat__value", text: `${Math.round(c.coverage)}%`, attrs: { "aria-hidden": "true" } }),
  ]);
}

/**
 * One gap: severity chip, category, missing values and boost (also used by the sidebar list).
 * @param {CoverageGap} gap
 * @param {Node | null} [action] e.g. an "Apply boost" button
 * @returns {HTMLLIElement}
 */
export function gapItem(gap, action = null) {
  return h("li", { class: "gap" }, [
    h("div", { class: "gap__head" }, [
      h("span", { class: `severity severity--${gap.severity}`, text: gap.severity }),
      h("span", { class: "gap__category", text: gap.category }),
      h("span", { class: "gap__boost", text: `boost ×${gap.boost.toFixed(1)}`, attrs: { title: "Missing values are sampled this much more often" } }),
    ]),
    gap.missing.length
      ? h("p", { class: "gap__missing", text: `Missing: ${shortList(gap.missing)}`, attrs: { title: gap.missing.join(", ") } })
      : null,
    action,
  ]);
}
