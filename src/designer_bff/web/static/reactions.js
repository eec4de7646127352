// @ts-check
/** Reactions on a design (standout, heart, reject, rating): reading them from feedback, and tile badges. */

import { h } from "./dom.js";

/** @typedef {import("./api.js").Feedback} Feedback */
/** @typedef {import("./state.js").Tile} Tile */

/**
 * What the user said about one asset: a set of reactions and the latest rating.
 * @param {Feedback[]} feedback
 * @param {string} assetId
 * @returns {{ types: Set<Feedback["type"]>, rating: number | null }}
 */
export function reactionsFor(feedback, assetId) {
  const mine = feedback
    .filter((f) => f.assetId === assetId)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  const types = new Set(mine.map((f) => f.type));
  const rated = mine.filter((f) => f.type === "rating" && f.rating !== null);
  const rating = rated.length ? rated[rated.length - 1].rating : null;
  return { types, rating };
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
