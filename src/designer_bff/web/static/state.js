// @ts-check
/** Shared session state: the requests on screen and a counter that tells stale async work to stop. */

/** @typedef {import("./api.js").Generation} Generation */
/** @typedef {import("./api.js").Asset} Asset */
/** @typedef {import("./api.js").Coverage} Coverage */
/** @typedef {import("./api.js").Clusters} Clusters */
/**
 * @typedef {{ item: HTMLLIElement, badges: HTMLElement, marks: HTMLElement }} Tile
 * @typedef {{
 *   bar: HTMLElement, summary: HTMLElement, toggle: HTMLButtonElement, coverageButton: HTMLButtonElement,
 *   coveragePanel: HTMLElement
 * }} Insight
 * @typedef {{
 *   data: Generation, section: HTMLElement, meta: HTMLElement, status: HTMLElement, progress: HTMLElement,
 *   bar: HTMLElement, progressLabel: HTMLElement, error: HTMLElement, grid: HTMLUListElement,
 *   tiles: Map<string, Tile>, polling: boolean, watched: boolean, insight: Insight,
 *   hidden: Asset[] | null, showHidden: boolean,
 *   coverage: Promise<Coverage> | null, clusters: Promise<Clusters> | null
 * }} GenView
 */

export const session = {
  /** Bumped on sign-out so polls and loads started for the previous account stop touching the page. */
  epoch: 0,
  /** @type {Map<string, GenView>} */
  views: new Map(),
  /** How many requests the server holds for this user (not all of them need be loaded). */
  total: 0,
};

/** Forget the signed-in user's requests and invalidate work still in flight for them. */
export function resetSession() {
  session.epoch += 1;
  session.views.clear();
  session.total = 0;
}

/**
 * The designs a request shows, in order: the kept ones by slot, then (while "Show hidden candidates" is
 * on) the candidates the selection left out, by slot. Tiles and the lightbox both step through this list.
 * @param {GenView} view
 * @returns {Asset[]}
 */
export function visibleAssets(view) {
  const bySlot = (/** @type {Asset} */ a, /** @type {Asset} */ b) => a.slot - b.slot;
  const kept = view.data.assets.filter((a) => a.selected !== false).sort(bySlot);
  if (!view.showHidden || !view.hidden) return kept;
  const keptIds = new Set(kept.map((a) => a.id));
  return [...kept, ...view.hidden.filter((a) => !keptIds.has(a.id)).sort(bySlot)];
}
