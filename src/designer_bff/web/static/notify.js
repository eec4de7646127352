// @ts-check
/** User-facing messages: corner toasts, inline form errors and the shared handling of failed API calls. */

import { ApiError, storedToken } from "./api.js";
import { byId, h, show } from "./dom.js";

const toasts = byId("toasts", HTMLDivElement);
const lightbox = byId("lightbox", HTMLDialogElement);
const lightboxStatus = byId("lb-status", HTMLParagraphElement);

/** What to do when the server says the session is no longer valid (set by app.js: sign out). */
let sessionExpired = () => {};

/**
 * Register what happens when a call fails with 401 while a session is stored.
 * @param {() => void} handler
 */
export function onSessionExpired(handler) {
  sessionExpired = handler;
}

/**
 * Show a short message in the corner; errors stay longer.
 * @param {string} message
 * @param {"info" | "success" | "error"} [kind]
 */
export function toast(message, kind = "info") {
  // Toasts sit under a modal dialog's backdrop; while the lightbox is open, say it inside it instead.
  if (lightbox.open) {
    lightboxStatus.textContent = message;
    lightboxStatus.dataset.kind = kind;
    return;
  }
  const close = h("button", { class: "toast__close", text: "✕", attrs: { type: "button", "aria-label": "Dismiss" } });
  const node = h("div", { class: `toast toast--${kind}` }, [h("span", { class: "toast__text", text: message }), close]);
  const dismiss = () => {
    node.classList.add("toast--leaving");
    setTimeout(() => node.remove(), 180);
  };
  close.addEventListener("click", dismiss);
  toasts.append(node);
  // Keep the corner calm: only the three newest messages stay.
  while (toasts.children.length > 3) toasts.firstElementChild?.remove();
  setTimeout(dismiss, kind === "error" ? 8000 : 4000);
}

/**
 * Report a failed call: an expired session signs out, anything else becomes a toast.
 * @param {unknown} err
 * @param {string} [context]
 */
export function reportError(err, context) {
  if (err instanceof ApiError && err.status === 401 && storedToken()) {
    sessionExpired();
    return;
  }
  const message = err instanceof Error ? err.message : String(err);
  toast(context ? `${context}: ${message}` : message, "error");
}

/**
 * Show a form's error line, or hide it when `message` is null.
 * @param {HTMLElement} node
 * @param {string | null} message
 */
export function setFormError(node, message) {
  node.textContent = message ?? "";
  show(node, Boolean(message));
}
