// @ts-check
/** Reactions on a design (standout, heart, reject, rating): reading them from feedback, and tile badges. */

import { h } from "./dom.js";

/** @typedef {import("./api.js").Feedback} Feedback */
/** @typedef {import("./state.js").Tile} Tile */

/** Reactions that judge a design; the latest one not undone is its current judgement. */
const JUDGING = new Set(["outlier", "heart", "save", "rating", "reject"]);

/**
 * What the user currently says about one asset: the latest reaction not undone (a rating carries its
 * stars), and that reaction itself, which undoing takes back.
 * @param {Feedback[]} feedback
 * @param {string} assetId
 * @returns {{ types: Set<Feedback["type"]>, rating: number | null, current: Feedback | null }}
 */
export function reactionsFor(feedback, assetId) {
  const standing = feedback
    .filter((f) => f.assetId === assetId && !f.undoneAt && JUDGING.has(f.type))
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  const current = standing.length ? standing[standing.length - 1] : null;
  const types = new Set(current ? [current.type] : []);
  const rating = current?.type === "rating" ? current.rating : null;
  return { types, rating, current };
}

const BADGES = /** @type {const} */ ([
  ["outlier", "★", "Standout"],
  ["heart", "♥", "Hearted"],
  ["reject", "✕", "Rejected"],
]);

/**
 * Draw a tile's reaction badges (and dim it when rejected).
 * @param {Tile} tile
 * @param {string} assetId
 * @param {Feedback[]} feedback
 */
export function renderBadges(tile, assetId, feedback) {
  const { types, rating } = reactionsFor(feedback, assetId);
  const nodes = BADGES.filter(([type]) => types.has(type)).map(([type, symbol, label]) =>
    h("span", { class: `badge badge--${type}`, text: symbol, attrs: { title: label, "aria-label": label } }),
  );
  if (rating !== null) {
    nodes.push(h("span", { class: "badge badge--rating", text: `${rating}★`, attrs: { title: `Rated ${rating} of 5`, "aria-label": `Rated ${rating} of 5` } }));
  }
  tile.badges.replaceChildren(...nodes);
  tile.item.classList.toggle("tile--rejected", types.has("reject"));
}
