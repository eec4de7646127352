// @ts-check
/** Pure text helpers: captions from garment specs, dates, status labels. No DOM here. */

/** @typedef {import("./api.js").Spec} Spec */
/** @typedef {import("./api.js").Generation} Generation */

// Tops have no meaningful hem length in a caption ("cropped t-shirt" yes, "maxi shirt" never).
const NO_LENGTH = new Set(["top", "blouse", "shirt", "t-shirt", "sweater"]);

/**
 * A short caption such as "rust linen a-line maxi dress, floral in white".
 * @param {Spec} spec
 * @returns {string}
 */
export function caption(spec) {
  const garment = spec.garment ?? {};
  const type = garment.type ?? "design";
  const parts = [
    spec.color?.primary,
    spec.fabric?.type,
    garment.silhouette,
    NO_LENGTH.has(type) ? null : garment.length,
    type,
  ].filter((p) => typeof p === "string" && p.length > 0);
  let text = parts.join(" ");
  const pattern = spec.color?.pattern?.type;
  if (pattern && pattern !== "solid") {
    text += `, ${pattern}`;
    if (spec.color?.secondary) text += ` in ${spec.color.secondary}`;
  }
  return text;
}

/**
 * The title of a generation: its request text, or what it was made from.
 * @param {Generation} g
 * @returns {string}
 */
export function title(g) {
  const prompt = g.request.prompt?.trim();
  if (prompt) return prompt;
  if (g.mode === "image") return "From a reference image";
  if (g.mode === "spec") return "From a garment spec";
  return "Untitled request";
}

/**
 * Parse an API timestamp; naive ones are UTC (the server stores UTC without an offset).
 * @param {string} iso
 * @returns {Date}
 */
export function parseTime(iso) {
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`);
}

const DATE_FORMAT = new Intl.DateTimeFormat(undefined, {
  day: "numeric",
  month: "short",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
});

/**
 * @param {string} iso
 * @returns {string}
 */
export function formatDate(iso) {
  return DATE_FORMAT.format(parseTime(iso));
}

/** @type {Record<Generation["status"], string>} */
export const STATUS_LABEL = {
  pending: "Queued",
  processing: "Generating",
  completed: "Ready",
  failed: "Failed",
};

/**
 * @param {Generation["status"]} status
 * @returns {boolean}
 */
export function isRunning(status) {
  return status === "pending" || status === "processing";
}

/**
 * "8 designs", "1 design".
 * @param {number} n
 * @param {string} noun
 * @returns {string}
 */
export function plural(n, noun) {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/**
 * A fraction 0..1 as a whole percentage: 0.3107 → "31%".
 * @param {number} fraction
 * @returns {string}
 */
export function percent(fraction) {
  return `${Math.round(fraction * 100)}%`;
}

/** Spec attribute paths in words, for validation checks and coverage. */
const ATTRIBUTE_LABEL = {
  "color.primary": "Primary colour",
  "color.secondary": "Secondary colour",
  "color.pattern.type": "Pattern",
  "color.pattern.scale": "Pattern scale",
  "fabric.type": "Fabric",
  "garment.type": "Garment",
  "garment.silhouette": "Silhouette",
  "garment.length": "Length",
  "garment.neckline": "Neckline",
  "garment.sleeve.type": "Sleeve type",
  "garment.sleeve.length": "Sleeve length",
  "style.aesthetic": "Aesthetic",
};

/**
 * "color.pattern.type" → "Pattern"; unknown paths become their last meaningful part, capitalised.
 * @param {string} path
 * @returns {string}
 */
export function attributeLabel(path) {
  const known = /** @type {Record<string, string>} */ (ATTRIBUTE_LABEL)[path];
  if (known) return known;
  const parts = path.split(".").filter((p) => p !== "type");
  const last = (parts[parts.length - 1] ?? path).replace(/[_-]/g, " ");
  return last.charAt(0).toUpperCase() + last.slice(1);
}

/**
 * A value from the API as short text: null → "—", lists joined, objects as JSON.
 * @param {unknown} value
 * @returns {string}
 */
export function valueText(value) {
  if (value === null || value === undefined || value === "") return "—";
  if (Array.isArray(value)) return value.map(valueText).join(", ");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/**
 * The first few values of a list and how many more: ["crew", "scoop", "+4 more"] as one string.
 * @param {string[]} values
 * @param {number} [max]
 * @returns {string}
 */
export function shortList(values, max = 4) {
  if (values.length <= max) return values.join(", ");
  return `${values.slice(0, max).join(", ")} +${values.length - max} more`;
}
