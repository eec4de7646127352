// @ts-check
/**
 * The sidebar's "Coverage gaps": the open gaps of the user's batches (what they keep missing) with an
 * "Apply boost" button that pins a gap's boost for the next batches. Refreshed when a request finishes.
 */

import { api } from "./api.js";
import { gapItem } from "./coverage.js";
import { byId, h, show } from "./dom.js";
import { reportError, toast } from "./notify.js";
import { session } from "./state.js";

/** @typedef {import("./api.js").OpenGap} OpenGap */

const el = {
  card: byId("gaps", HTMLElement),
  count: byId("gaps-count", HTMLSpanElement),
  list: byId("gaps-list", HTMLUListElement),
  empty: byId("gaps-empty", HTMLParagraphElement),
};

/** Bumped by every load so an older, slower answer never overwrites a newer one. */
let generation = 0;

/**
 * Fetch the open gaps and redraw the list (after sign-in and whenever a request finishes).
 * @returns {Promise<void>}
 */
export async function loadGaps() {
  const epoch = session.epoch;
  const mine = (generation += 1);
  el.card.setAttribute("aria-busy", "true");
  try {
    const { gaps } = await api.gaps();
    if (epoch !== session.epoch || mine !== generation) return;
    renderGaps(gaps.filter((g) => g.status === "open"));
  } catch (err) {
    if (epoch === session.epoch) reportError(err, "Could not load coverage gaps");
  } finally {
    if (mine === generation) el.card.setAttribute("aria-busy", "false");
  }
}

/** Empty the list (on sign-out). */
export function clearGaps() {
  generation += 1;
  renderGaps([]);
}

/** @param {OpenGap[]} gaps */
function renderGaps(gaps) {
  el.list.replaceChildren(...gaps.map((gap) => gapItem(gap, gapAction(gap))));
  el.count.textContent = gaps.length ? String(gaps.length) : "";
  show(el.count, gaps.length > 0);
  show(el.list, gaps.length > 0);
  show(el.empty, gaps.length === 0);
}

/**
 * The "Apply boost" button of an open gap, or its "pinned" chip once applied.
 * @param {OpenGap} gap
 * @returns {HTMLElement}
 */
function gapAction(gap) {
  if (gap.pinned) return pinned();
  const button = h("button", {
    class: "btn btn--ghost btn--sm gap__apply",
    text: "Apply boost",
    attrs: { type: "button", "aria-label": `Apply boost ×${gap.boost.toFixed(1)} to ${gap.category}` },
  });
  button.addEventListener("click", () => void applyBoost(gap, button));
  return button;
}

function pinned() {
  return h("span", {
    class: "gap__pinned",
    text: "pinned",
    attrs: { title: "Boosted in your next batches until one covers these values" },
  });
}

/**
 * @param {OpenGap} gap
 * @param {HTMLButtonElement} button
 */
async function applyBoost(gap, button) {
  const epoch = session.epoch;
  button.disabled = true;
  try {
    const { gap: updated } = await api.applyBoost(gap.id);
    if (epoch !== session.epoch) return;
    if (updated.pinned) {
      const chip = pinned();
      button.replaceWith(chip);
      toast(`Boost pinned: your next batch favours missing ${updated.category} values.`, "success");
    }
  } catch (err) {
    button.disabled = false;
    reportError(err, "Could not apply the boost");
  }
}

