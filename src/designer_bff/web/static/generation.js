// @ts-check
/** One request's section in the gallery: title, status chip, progress bar, error and its grid of tiles. */

import { toggleCoverage } from "./coverage.js";
import { append, h, icon, show } from "./dom.js";
import { caption, formatDate, isRunning, plural, STATUS_LABEL, title } from "./format.js";
import { buildInsight, renderInsight } from "./insight.js";
import { openLightbox } from "./lightbox.js";
import { renderBadges } from "./reactions.js";
import { visibleAssets } from "./state.js";
import { flagThreshold, renderMarks } from "./validation.js";

/** @typedef {import("./api.js").Generation} Generation */
/** @typedef {import("./api.js").Asset} Asset */
/** @typedef {import("./state.js").GenView} GenView */
/** @typedef {import("./state.js").Tile} Tile */

/**
 * CSS aspect-ratio of a generation's images before any exist ("3:4" → "3 / 4").
 * @param {Generation} g
 */
function plannedRatio(g) {
  const ratio = g.settings.aspectRatio ?? g.settings.size?.replace("x", ":") ?? "1:1";
  return ratio.replace(":", " / ");
}

/**
 * Build the (not yet attached, not yet drawn) section of one generation and keep its parts for updates.
 * @param {Generation} g
 * @param {{ onDelete: (view: GenView) => void, onToggleHidden: (view: GenView) => void }} handlers called
 *   when the section's Delete or "Show hidden candidates" button is pressed
 * @returns {GenView}
 */
export function buildGeneration(g, handlers) {
  const titleId = `gen-${g.id}-title`;
  const meta = h("p", { class: "gen__meta" });
  const status = h("span", { class: "status" });
  const del = h("button", {
    class: "btn btn--ghost btn--sm gen__delete",
    attrs: { type: "button", "aria-label": `Delete request: ${title(g)}` },
  }, [icon("trash"), "Delete"]);
  const bar = h("span", { class: "progress__bar" });
  const progressLabel = h("span", { class: "progress__label" });
  const progress = h("div", { class: "gen__progress" }, [
    h("div", {
      class: "progress",
      attrs: { role: "progressbar", "aria-labelledby": titleId, "aria-valuemin": 0 },
    }, [bar]),
    progressLabel,
  ]);
  const error = h("p", { class: "gen__error", attrs: { role: "alert" } });
  const grid = h("ul", { class: "grid", attrs: { role: "list" } });
  const insight = buildInsight(g.id, () => handlers.onToggleHidden(view), () => toggleCoverage(view));
  const section = h("section", {
    class: "gen",
    attrs: { "aria-labelledby": titleId },
    dataset: { generationId: g.id },
  }, [
    h("header", { class: "gen__head" }, [
      h("div", { class: "gen__titles" }, [h("h2", { class: "gen__title", text: title(g), attrs: { id: titleId } }), meta]),
      del,
    ]),
    progress,
    error,
    insight.bar,
    insight.coveragePanel,
    grid,
  ]);
  /** @type {GenView} */
  const view = {
    data: g, section, meta, status, progress, bar, progressLabel, error, grid, tiles: new Map(), polling: false,
    watched: false, insight, hidden: null, showHidden: false, coverage: null, clusters: null,
  };
  del.addEventListener("click", () => handlers.onDelete(view));
  return view;
}

/**
 * Draw status, progress and tiles. Existing tiles are kept (and their <img>s with them): the signed
 * URLs differ on every response, so re-creating images would reload them on every poll.
 * @param {GenView} view
 */
export function renderGeneration(view) {
  const g = view.data;
  const running = isRunning(g.status);
  view.section.classList.toggle("gen--running", running);
  view.section.dataset.status = g.status;

  // The chip is updated in place: replacing it every poll would restart its pulse animation.
  const chipClass = `status status--${g.status}`;
  if (view.status.className !== chipClass) view.status.className = chipClass;
  view.status.textContent = STATUS_LABEL[g.status] ?? g.status;
  const bits = [formatDate(g.createdAt), plural(g.requestedCount, "design")];
  if (g.settings.aspectRatio) bits.push(g.settings.aspectRatio);
  if (g.settings.seed !== undefined) bits.push(`seed ${g.settings.seed}`);
  if (g.mode === "image") bits.push("from reference image");
  const text = bits.join("|");
  if (view.meta.dataset.text !== text) {
    view.meta.dataset.text = text;
    view.meta.replaceChildren(view.status);
    append(view.meta, bits.map((b) => h("span", { class: "gen__meta-item", text: b })));
  }

  const { done, total } = g.progress;
  show(view.progress, running);
  const bar = /** @type {HTMLElement} */ (view.progress.firstElementChild);
  bar.setAttribute("aria-valuemax", String(total));
  bar.setAttribute("aria-valuenow", String(done));
  bar.setAttribute("aria-valuetext", `${done} of ${total} candidates, ${STATUS_LABEL[g.status]}`);
  // Never a zero-width bar: a sliver shows the request is alive while the first image renders.
  view.bar.style.width = `${Math.max(3, total ? (done / total) * 100 : 0)}%`;
  // Progress counts candidates: a request for N makes a few more and keeps the best N at the end.
  view.progressLabel.textContent = g.status === "pending" ? "Waiting for a worker…" : `${done} of ${total} candidates`;

  view.error.textContent = g.status === "failed" ? (g.error ?? "This request failed.") : "";
  show(view.error, g.status === "failed");

  renderInsight(view);
  const assets = visibleAssets(view);
  const flagBelow = flagThreshold(g);
  assets.forEach((asset, index) => {
    let tile = view.tiles.get(asset.id);
    if (!tile) {
      tile = createTile(view, asset);
      view.tiles.set(asset.id, tile);
    }
    tile.item.dataset.index = String(index);
    renderBadges(tile, asset.id, g.feedback);
    renderMarks(tile, asset, flagBelow);
  });
  // Order: finished tiles by slot, then one placeholder per image still to come.
  const placeholders = running ? Math.max(0, total - assets.length) : 0;
  const items = assets.map((a) => /** @type {Tile} */ (view.tiles.get(a.id)).item);
  const spare = [...view.grid.querySelectorAll(":scope > .tile--pending")];
  const ratio = plannedRatio(g);
  for (let i = 0; i < placeholders; i += 1) items.push(spare[i] ?? placeholder(ratio));
  reconcile(view.grid, items);
}

/**
 * @param {string} ratio CSS aspect-ratio
 * @returns {HTMLLIElement}
 */
function placeholder(ratio) {
  const frame = h("span", { class: "tile__frame shimmer" });
  frame.style.aspectRatio = ratio;
  return h("li", { class: "tile tile--pending", attrs: { "aria-hidden": "true" } }, [
    frame,
    h("span", { class: "tile__line shimmer" }),
  ]);
}

/**
 * Make `parent`'s children exactly `items`, moving only nodes that are out of place, so a focused tile
 * keeps focus while new images arrive around it.
 * @param {HTMLElement} parent
 * @param {HTMLElement[]} items
 */
function reconcile(parent, items) {
  items.forEach((item, i) => {
    const at = parent.children[i];
    if (at !== item) parent.insertBefore(item, at ?? null);
  });
  while (parent.children.length > items.length) parent.lastElementChild?.remove();
}

/**
 * @param {GenView} view
 * @param {Asset} asset
 * @returns {Tile}
 */
function createTile(view, asset) {
  const text = caption(asset.spec);
  const img = h("img", {
    class: "tile__img",
    attrs: { src: asset.thumbnailUrl, alt: text, loading: "lazy", decoding: "async", width: asset.width, height: asset.height },
  });
  const frame = h("span", { class: "tile__frame" }, [img]);
  img.addEventListener("load", () => frame.classList.add("is-loaded"));
  frame.style.aspectRatio = `${asset.width} / ${asset.height}`;
  const badges = h("span", { class: "tile__badges" });
  const marks = h("span", { class: "tile__marks" });
  const button = h("button", {
    class: "tile__button",
    attrs: { type: "button", "aria-label": `Open design: ${text}`, "aria-haspopup": "dialog" },
    dataset: { label: `Open design: ${text}` },
  }, [frame, badges, marks]);
  const item = h("li", { class: "tile", dataset: { assetId: asset.id } }, [
    button,
    h("p", { class: "tile__caption", text }),
  ]);
  button.addEventListener("click", () => {
    const index = visibleAssets(view).findIndex((a) => a.id === asset.id);
    openLightbox(view.data.id, Math.max(0, index));
  });
  return { item, badges, marks };
}
