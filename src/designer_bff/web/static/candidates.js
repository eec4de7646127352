// @ts-check
/** Hidden candidates: "Show hidden candidates" reloads a request with every candidate, dimmed; and back. */

import { api, ApiError } from "./api.js";
import { removeGeneration, updateGeneration } from "./gallery.js";
import { reportError } from "./notify.js";
import { session } from "./state.js";

/** @typedef {import("./state.js").GenView} GenView */

/**
 * Show or hide the candidates the selection left out. Showing reloads the request with `?include=all`
 * (fresh URLs, current verdicts); hiding just stops drawing them.
 * @param {GenView} view
 */
export async function toggleHidden(view) {
  const toggle = view.insight.toggle;
  if (view.showHidden) {
    view.showHidden = false;
    updateGeneration(view.data);
    return;
  }
  const epoch = session.epoch;
  toggle.disabled = true;
  toggle.setAttribute("aria-busy", "true");
  try {
    const all = await api.generation(view.data.id, true);
    if (epoch !== session.epoch || session.views.get(all.id) !== view) return;
    // The request's own data keeps only its kept designs, so polling and reactions work as before.
    view.hidden = all.assets.filter((a) => a.selected === false);
    view.showHidden = true;
    updateGeneration({ ...all, assets: all.assets.filter((a) => a.selected !== false) });
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) removeGeneration(view);
    else reportError(err, "Could not load the hidden candidates");
  } finally {
    toggle.disabled = false;
    toggle.removeAttribute("aria-busy");
  }
}
