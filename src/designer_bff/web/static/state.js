// @ts-check
/** Shared session state: the requests on screen and a counter that tells stale async work to stop. */

/** @typedef {import("./api.js").Generation} Generation */
/**
 * @typedef {{ item: HTMLLIElement, badges: HTMLElement }} Tile
 * @typedef {{
 *   data: Generation, section: HTMLElement, meta: HTMLElement, status: HTMLElement, progress: HTMLElement,
 *   bar: HTMLElement, progressLabel: HTMLElement, error: HTMLElement, grid: HTMLUListElement,
 *   tiles: Map<string, Tile>, polling: boolean, watched: boolean
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
