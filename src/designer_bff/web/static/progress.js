// @ts-check
/** Live progress: polls a running generation until it finishes, redrawing it and announcing the result. */

import { api, ApiError } from "./api.js";
import { isRunning, plural, title } from "./format.js";
import { refreshCollection, removeGeneration, updateGeneration } from "./gallery.js";
import { loadGaps } from "./gaps.js";
import { reportError, toast } from "./notify.js";
import { session } from "./state.js";

const POLL_MS = 700;

/**
 * Poll a running generation until it finishes (or disappears, or the user signs out). A second call
 * for a generation that is already being polled does nothing.
 * @param {string} id
 */
export async function poll(id) {
  const view = session.views.get(id);
  if (!view || view.polling) return;
  view.polling = true;
  view.watched = true;
  const epoch = session.epoch;
  let delay = POLL_MS;
  refreshCollection();
  try {
    while (epoch === session.epoch && session.views.get(id) === view && isRunning(view.data.status)) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      if (epoch !== session.epoch || session.views.get(id) !== view) return;
      try {
        updateGeneration(await api.generation(id));
        delay = POLL_MS;
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) {
          removeGeneration(view);
          return;
        }
        if (err instanceof ApiError && err.status === 401) {
          reportError(err);
          return;
        }
        // Transient (server restart, network blip): back off, keep the last known state on screen.
        delay = Math.min(delay * 2, 10000);
      }
    }
    if (epoch !== session.epoch || session.views.get(id) !== view) return;
    const g = view.data;
    if (g.status === "completed") {
      toast(`${plural(g.assets.length, "design")} ready: ${title(g)}`, "success");
      // A finished batch opens and closes coverage gaps: the sidebar list follows.
      void loadGaps();
    }
    if (g.status === "failed") toast(`Request failed: ${g.error ?? title(g)}`, "error");
    refreshCollection();
  } finally {
    view.polling = false;
  }
}
