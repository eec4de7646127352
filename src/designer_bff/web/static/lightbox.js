// @ts-check
/** The lightbox: one design full size with its recipe, stepping through a request, reactions and rating. */

import { api } from "./api.js";
import { clusterName } from "./coverage.js";
import { byId, h } from "./dom.js";
import { caption, title } from "./format.js";
import { toast, reportError } from "./notify.js";
import { reactionsFor, renderBadges } from "./reactions.js";
import { session, visibleAssets } from "./state.js";
import { tasteSection } from "./taste.js";
import { flagThreshold, selectionSection, validationSection } from "./validation.js";

/** @typedef {import("./api.js").Feedback} Feedback */

const el = {
  lightbox: byId("lightbox", HTMLDialogElement),
  image: byId("lb-image", HTMLImageElement),
  title: byId("lb-title", HTMLHeadingElement),
  prompt: byId("lb-prompt", HTMLParagraphElement),
  position: byId("lb-position", HTMLParagraphElement),
  facts: byId("lb-facts", HTMLElement),
  insight: byId("lb-insight", HTMLDivElement),
  rating: byId("lb-rating", HTMLDivElement),
  close: byId("lb-close", HTMLButtonElement),
  prev: byId("lb-prev", HTMLButtonElement),
  next: byId("lb-next", HTMLButtonElement),
  open: byId("lb-open", HTMLAnchorElement),
  status: byId("lb-status", HTMLParagraphElement),
  renderer: byId("lb-renderer", HTMLParagraphElement),
};

/** @type {{ generationId: string, index: number } | null} */
let open = null;
/** @type {HTMLElement | null} */
let returnFocus = null;

/**
 * Show design `index` (in slot order) of a generation on screen; focus returns to the opener on close.
 * @param {string} generationId
 * @param {number} index
 */
export function openLightbox(generationId, index) {
  open = { generationId, index };
  el.status.textContent = "";
  returnFocus = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  renderLightbox();
  if (!el.lightbox.open) el.lightbox.showModal();
  el.close.focus();
}

/**
 * Redraw the lightbox if it shows a design of this generation (its data just changed).
 * @param {string} generationId
 */
export function refreshLightbox(generationId) {
  if (open?.generationId === generationId) renderLightbox();
}

/**
 * Close the lightbox: any open one, or only one showing a design of `generationId` when given.
 * @param {string} [generationId]
 */
export function closeLightbox(generationId) {
  if (generationId === undefined ? el.lightbox.open : open?.generationId === generationId) el.lightbox.close();
}

function currentAsset() {
  if (!open) return null;
  const view = session.views.get(open.generationId);
  if (!view) return null;
  const assets = visibleAssets(view);
  const asset = assets[open.index];
  return asset ? { view, assets, asset } : null;
}

function renderLightbox() {
  const current = currentAsset();
  if (!current) return;
  const { view, assets, asset } = current;
  const g = view.data;
  const text = caption(asset.spec);
  if (el.image.dataset.assetId !== asset.id) {
    el.image.dataset.assetId = asset.id;
    el.image.classList.remove("is-loaded");
    el.image.src = asset.url;
    el.open.href = asset.url;
  }
  el.image.alt = text;
  el.position.textContent = `Design ${open ? open.index + 1 : 1} of ${assets.length}`;
  el.title.textContent = text;
  el.prompt.textContent = title(g);

  const spec = asset.spec;
  const colours = [spec.color?.primary, spec.color?.secondary].filter(Boolean).join(" / ");
  const sleeve = spec.garment?.sleeve;
  /** @type {[string, string | null | undefined][]} */
  const facts = [
    ["Seed", asset.seed === null ? null : String(asset.seed)],
    ["Size", `${asset.width} × ${asset.height} px`],
    ["Garment", spec.garment?.type],
    ["Silhouette", spec.garment?.silhouette],
    ["Colour", colours],
    ["Pattern", spec.color?.pattern?.type],
    ["Fabric", spec.fabric?.type],
    ["Length", spec.garment?.length],
    ["Neckline", spec.garment?.neckline],
    ["Sleeves", sleeve ? [sleeve.length, sleeve.type].filter(Boolean).join(" ") : null],
  ];
  el.facts.replaceChildren(
    ...facts.map(([term, value]) =>
      h("div", { class: "facts__row" }, [h("dt", { text: term }), h("dd", { text: value || "—" })]),
    ),
  );
  el.renderer.textContent = `Drawn by ${asset.provider} (${asset.model})${spec.style?.aesthetic ? ` · ${spec.style.aesthetic} aesthetic` : ""}`;
  const details = h("details", { class: "facts__prompt" }, [
    h("summary", { text: "Full generation prompt" }),
    h("p", { text: asset.prompt }),
  ]);
  el.facts.append(details);
  const kept = g.assets.filter((a) => a.selected !== false).length;
  const cluster = asset.cluster == null ? null : clusterName(view, asset.cluster, () => refreshLightbox(g.id));
  const sections = [
    validationSection(asset, flagThreshold(g)),
    selectionSection(asset, kept, cluster),
    tasteSection(asset.id),
  ];
  el.insight.replaceChildren(...sections.filter((s) => s !== null));

  const { types, rating } = reactionsFor(g.feedback, asset.id);
  for (const button of el.lightbox.querySelectorAll("[data-reaction]")) {
    const type = /** @type {HTMLElement} */ (button).dataset.reaction ?? "";
    const pressed = types.has(/** @type {Feedback["type"]} */ (type));
    button.setAttribute("aria-pressed", String(pressed));
    button.setAttribute("title", pressed ? "Your current judgement — press again to undo" : "");
  }
  el.rating.replaceChildren(
    ...[1, 2, 3, 4, 5].map((n) => {
      const b = h("button", {
        class: "star",
        text: "★",
        attrs: {
          type: "button",
          "aria-label": `Rate ${n} of 5`,
          "aria-pressed": String(rating === n),
          title: `${n} of 5`,
        },
        dataset: { rating: String(n) },
      });
      b.classList.toggle("is-on", rating !== null && n <= rating);
      return b;
    }),
  );
  el.prev.disabled = open?.index === 0;
  el.next.disabled = (open?.index ?? 0) >= assets.length - 1;
}

/** @param {number} step */
function stepLightbox(step) {
  const current = currentAsset();
  if (!current || !open) return;
  const next = open.index + step;
  if (next < 0 || next >= current.assets.length) return;
  open.index = next;
  el.status.textContent = "";
  renderLightbox();
}

const REACTION_DONE = { outlier: "Marked as a standout.", heart: "Hearted.", reject: "Rejected — you'll see fewer like it." };

/**
 * Record a reaction on the open asset. It becomes the design's judgement (replacing the one before, which
 * stays in the history); pressing the current judgement again undoes it, and the one before comes back.
 * @param {"outlier" | "heart" | "reject" | "rating"} type
 * @param {number} [rating]
 */
async function react(type, rating) {
  const current = currentAsset();
  if (!current) return;
  const { view, asset } = current;
  const standing = reactionsFor(view.data.feedback, asset.id).current;
  const again = standing !== null && standing.type === type && (type !== "rating" || standing.rating === rating);
  try {
    if (again) {
      const undone = await api.undoFeedback(standing.id);
      view.data = {
        ...view.data,
        feedback: view.data.feedback.map((f) => (f.id === undone.feedback.id ? undone.feedback : f)),
      };
    } else {
      const fb = await api.feedback(view.data.id, {
        type,
        assetId: asset.id,
        ...(rating === undefined ? {} : { rating }),
      });
      view.data = { ...view.data, feedback: [...view.data.feedback, fb] };
    }
    // Only this design's feedback changed, so in the gallery only its tile's badges need redrawing.
    const tile = view.tiles.get(asset.id);
    if (tile) renderBadges(tile, asset.id, view.data.feedback);
    refreshLightbox(view.data.id);
    if (again) toast("Undone — the studio forgets it.", "success");
    else toast(type === "rating" ? `Rated ${rating} of 5.` : REACTION_DONE[type], "success");
  } catch (err) {
    reportError(err, again ? "Could not undo your reaction" : "Could not save your reaction");
  }
}

/** Attach the lightbox's listeners: close, previous/next (buttons and arrow keys), reactions, stars. */
export function wireLightbox() {
  el.close.addEventListener("click", () => el.lightbox.close());
  el.prev.addEventListener("click", () => stepLightbox(-1));
  el.next.addEventListener("click", () => stepLightbox(1));
  el.image.addEventListener("load", () => el.image.classList.add("is-loaded"));
  // A click on the backdrop (the dialog itself, outside the frame) closes it.
  el.lightbox.addEventListener("click", (event) => {
    if (event.target === el.lightbox) el.lightbox.close();
  });
  el.lightbox.addEventListener("keydown", (event) => {
    const target = event.target;
    if (target instanceof HTMLElement && target.closest("summary, input, textarea")) return;
    if (event.key === "ArrowLeft") stepLightbox(-1);
    if (event.key === "ArrowRight") stepLightbox(1);
  });
  el.lightbox.addEventListener("close", () => {
    open = null;
    returnFocus?.focus();
    returnFocus = null;
  });
  for (const button of el.lightbox.querySelectorAll("[data-reaction]")) {
    button.addEventListener("click", () => {
      const type = /** @type {"outlier" | "heart" | "reject"} */ (/** @type {HTMLElement} */ (button).dataset.reaction);
      void react(type);
    });
  }
  el.rating.addEventListener("click", (event) => {
    const star = event.target instanceof HTMLElement ? event.target.closest("[data-rating]") : null;
    if (star instanceof HTMLElement) void react("rating", Number(star.dataset.rating));
  });
}
