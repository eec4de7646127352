// @ts-check
/**
 * Tiny DOM builder. Text always goes in through text nodes / textContent, never innerHTML, so user data
 * (prompts, captions, API messages) can never become markup.
 */

/**
 * @typedef {string | number | Node | null | undefined | false} Child
 * @typedef {{
 *   class?: string,
 *   text?: string,
 *   attrs?: Record<string, string | number | boolean | null | undefined>,
 *   dataset?: Record<string, string>,
 *   on?: Record<string, EventListener>,
 * }} Props
 */

/**
 * Create an element.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Props} [props]
 * @param {Child[]} [children]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  if (props.class) node.className = props.class;
  if (props.text !== undefined) node.textContent = props.text;
  for (const [name, value] of Object.entries(props.attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const [name, value] of Object.entries(props.dataset ?? {})) node.dataset[name] = value;
  for (const [name, listener] of Object.entries(props.on ?? {})) node.addEventListener(name, listener);
  append(node, children);
  return node;
}

/**
 * Append children; strings and numbers become text nodes.
 * @param {Node} parent
 * @param {Child[]} children
 */
export function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

/**
 * Look up an element by id, failing loudly when the page and the script disagree.
 * @template {HTMLElement} T
 * @param {string} id
 * @param {new (...args: any[]) => T} type
 * @returns {T}
 */
export function byId(id, type) {
  const node = document.getElementById(id);
  if (!(node instanceof type)) throw new Error(`#${id} is missing or not a ${type.name}`);
  return node;
}

/**
 * Show or hide an element (the `hidden` attribute, so it also leaves the accessibility tree).
 * @param {HTMLElement} node
 * @param {boolean} visible
 */
export function show(node, visible) {
  node.hidden = !visible;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** Stroke icons (24×24 paths), drawn inline so they need no font and no extra request. */
const ICONS = {
  trash: ["M4 7h16", "M10 11v6", "M14 11v6", "M6 7l1 12a2 2 0 0 0 2 2h6a2 2 0 0 0 2-2l1-12", "M9 7V4h6v3"],
  sparkle: ["M12 3v4", "M12 17v4", "M3 12h4", "M17 12h4", "M6 6l2.5 2.5", "M15.5 15.5 18 18", "M18 6l-2.5 2.5", "M8.5 15.5 6 18"],
};

/**
 * An inline SVG icon, hidden from assistive technology (the button's text or label names it).
 * @param {keyof typeof ICONS} name
 * @returns {SVGSVGElement}
 */
export function icon(name) {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", `icon icon--${name}`);
  for (const d of ICONS[name]) {
    const path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", d);
    svg.appendChild(path);
  }
  return svg;
}
