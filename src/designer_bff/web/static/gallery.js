// @ts-check
/** The gallery as a whole: its header line and empty state, redrawing or dropping a request, deleting one. */

import { api, ApiError } from "./api.js";
import { byId, h, show } from "./dom.js";
import { isRunning, plural, title } from "./format.js";
import { renderGeneration } from "./generation.js";
import { closeLightbox, refreshLightbox } from "./lightbox.js";
import { reportError, toast } from "./notify.js";
import { session } from "./state.js";

/** @typedef {import("./api.js").Generation} Generation */
/** @typedef {import("./state.js").GenView} GenView */

const EXAMPLE_PROMPT = "bohemian maxi dress in rust linen";

const el = {
  gallery: byId("gallery", HTMLDivElement),
  collectionMeta: byId("collection-meta", HTMLParagraphElement),
  loadMore: byId("load-more", HTMLButtonElement),
  prompt: byId("req-prompt", HTMLTextAreaElement),
  confirm: byId("confirm", HTMLDialogElement),
  confirmText: byId("confirm-text", HTMLParagraphElement),
};

function emptyState() {
  const tryIt = h("button", { class: "btn btn--primary", text: "Try an example", attrs: { type: "button" } });
  tryIt.addEventListener("click", () => {
    el.prompt.value = EXAMPLE_PROMPT;
    el.prompt.focus();
  });
  return h("div", { class: "empty", attrs: { id: "empty-state" } }, [
    h("img", { class: "empty__art", attrs: { src: "/static/empty.svg", alt: "", width: 160, height: 120 } }),
    h("h2", { class: "empty__title", text: "No designs yet" }),
    h("p", {
      class: "empty__text",
      text: "Describe a garment in the request panel and your first designs appear here in seconds, each with its recipe.",
    }),
    tryIt,
  ]);
}

/** Update the header line of the collection, the empty state and the load-more button. */
export function refreshCollection() {
  const running = [...session.views.values()].filter((v) => isRunning(v.data.status)).length;
  const designs = [...session.views.values()].reduce((n, v) => n + v.data.assets.length, 0);
  const parts = session.total ? [plural(session.total, "request"), plural(designs, "design")] : ["Nothing here yet"];
  if (running) parts.push(`${running} generating`);
  el.collectionMeta.textContent = parts.join(" · ");
  const empty = document.getElementById("empty-state");
  if (session.views.size === 0 && !empty) el.gallery.replaceChildren(emptyState());
  if (session.views.size > 0 && empty) empty.remove();
  show(el.loadMore, session.views.size < session.total);
}

/** Empty the gallery (on sign-out). */
export function clearGallery() {
  el.gallery.replaceChildren();
}

/**
 * Replace a generation's data and redraw what changed (its section and, if showing it, the lightbox).
 * @param {Generation} g
 */
export function updateGeneration(g) {
  const view = session.views.get(g.id);
  if (!view) return;
  view.data = g;
  renderGeneration(view);
  refreshLightbox(g.id);
}

/**
 * Take a generation off the page (deleted, or gone on the server).
 * @param {GenView} view
 */
export function removeGeneration(view) {
  closeLightbox(view.data.id);
  session.views.delete(view.data.id);
  view.section.remove();
  session.total = Math.max(0, session.total - 1);
  refreshCollection();
}

/**
 * Ask with the confirm dialog; resolves true when the user chose Delete.
 * @param {string} text
 * @returns {Promise<boolean>}
 */
function confirmDelete(text) {
  el.confirmText.textContent = text;
  el.confirm.returnValue = "";
  el.confirm.showModal();
  return new Promise((resolve) => {
    el.confirm.addEventListener("close", () => resolve(el.confirm.returnValue === "confirm"), { once: true });
  });
}

/**
 * Delete a request and its designs after the user confirms.
 * @param {GenView} view
 */
export async function deleteGeneration(view) {
  const g = view.data;
  const ok = await confirmDelete(
    `“${title(g)}” and its ${plural(g.assets.length, "design")} will be removed for good. This cannot be undone.`,
  );
  if (!ok) return;
  view.section.classList.add("gen--leaving");
  try {
    await api.remove(g.id);
    removeGeneration(view);
    toast("Request deleted.", "success");
    el.prompt.focus();
  } catch (err) {
    view.section.classList.remove("gen--leaving");
    if (err instanceof ApiError && err.status === 404) removeGeneration(view);
    else reportError(err, "Could not delete");
  }
}
