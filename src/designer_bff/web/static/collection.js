// @ts-check
/** Filling the gallery: loading the user's requests page by page and adding requests (running ones get polled). */

import { api } from "./api.js";
import { toggleHidden } from "./candidates.js";
import { byId, h, show } from "./dom.js";
import { isRunning } from "./format.js";
import { deleteGeneration, refreshCollection, updateGeneration } from "./gallery.js";
import { buildGeneration, renderGeneration } from "./generation.js";
import { reportError } from "./notify.js";
import { poll } from "./progress.js";
import { session } from "./state.js";

/** @typedef {import("./api.js").Generation} Generation */

const PAGE_SIZE = 20;

const el = {
  gallery: byId("gallery", HTMLDivElement),
  collectionMeta: byId("collection-meta", HTMLParagraphElement),
  loadMore: byId("load-more", HTMLButtonElement),
};

/**
 * Put a generation's section into the gallery (newest first: "start"; older pages: "end") and start
 * polling it if it is still running.
 * @param {Generation} g
 * @param {"start" | "end"} where
 */
export function addGeneration(g, where) {
  const view = buildGeneration(g, {
    onDelete: (v) => void deleteGeneration(v),
    onToggleHidden: (v) => void toggleHidden(v),
  });
  session.views.set(g.id, view);
  document.getElementById("empty-state")?.remove();
  if (where === "start") el.gallery.prepend(view.section);
  else el.gallery.append(view.section);
  renderGeneration(view);
  if (isRunning(g.status)) void poll(g.id);
}

/** Load the first page of the collection (after sign-in), replacing whatever the gallery shows. */
export async function loadGallery() {
  const epoch = session.epoch;
  el.gallery.replaceChildren(skeleton());
  el.gallery.setAttribute("aria-busy", "true");
  el.collectionMeta.textContent = "Loading your designs…";
  show(el.loadMore, false);
  try {
    const page = await api.list(PAGE_SIZE, 0);
    if (epoch !== session.epoch) return;
    el.gallery.replaceChildren();
    session.views.clear();
    session.total = page.total;
    for (const g of page.items) addGeneration(g, "end");
    refreshCollection();
    hydrateFeedback(page.items, epoch);
  } catch (err) {
    if (epoch !== session.epoch) return;
    el.gallery.replaceChildren(
      h("div", { class: "empty" }, [
        h("h2", { class: "empty__title", text: "Could not load your designs" }),
        h("p", { class: "empty__text", text: err instanceof Error ? err.message : String(err) }),
        h("button", { class: "btn btn--ghost", text: "Try again", attrs: { type: "button" }, on: { click: () => void loadGallery() } }),
      ]),
    );
    el.collectionMeta.textContent = "";
    reportError(err);
  } finally {
    el.gallery.setAttribute("aria-busy", "false");
  }
}

async function loadMore() {
  const epoch = session.epoch;
  el.loadMore.disabled = true;
  try {
    const page = await api.list(PAGE_SIZE, session.views.size);
    if (epoch !== session.epoch) return;
    session.total = page.total;
    const fresh = page.items.filter((g) => !session.views.has(g.id));
    for (const g of fresh) addGeneration(g, "end");
    refreshCollection();
    hydrateFeedback(fresh, epoch);
  } catch (err) {
    reportError(err, "Could not load more");
  } finally {
    el.loadMore.disabled = false;
  }
}

/**
 * The list endpoint leaves out reactions; fetch each finished generation's detail (a few at a time) so
 * badges show after a reload. Running ones get theirs from polling.
 * @param {Generation[]} items
 * @param {number} epoch
 */
function hydrateFeedback(items, epoch) {
  const queue = items.filter((g) => !isRunning(g.status) && g.assets.length > 0).map((g) => g.id);
  const worker = async () => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      try {
        const detail = await api.generation(id);
        if (epoch === session.epoch && session.views.has(id)) updateGeneration(detail);
      } catch {
        // Badges are decoration here; a failed fetch leaves them off rather than alarming anyone.
      }
    }
  };
  for (let i = 0; i < 4; i += 1) void worker();
}

/** Placeholder cards while the first page loads. */
function skeleton() {
  const tiles = Array.from({ length: 6 }, () =>
    h("li", { class: "tile tile--pending" }, [h("span", { class: "tile__frame shimmer" }), h("span", { class: "tile__line shimmer" })]),
  );
  return h("section", { class: "gen gen--skeleton", attrs: { "aria-label": "Loading" } }, [
    h("div", { class: "gen__head" }, [
      h("div", {}, [h("span", { class: "skeleton-line skeleton-line--title shimmer" }), h("span", { class: "skeleton-line shimmer" })]),
    ]),
    h("ul", { class: "grid" }, tiles),
  ]);
}

/** Attach the "Load older requests" button. */
export function wireCollection() {
  el.loadMore.addEventListener("click", () => void loadMore());
}
