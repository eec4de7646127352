// @ts-check
/** The "New design request" form: prompt, count, ratio, seed and an optional reference image upload. */

import { api, ApiError } from "./api.js";
import { addGeneration } from "./collection.js";
import { byId, show } from "./dom.js";
import { refreshCollection } from "./gallery.js";
import { reportError, setFormError } from "./notify.js";
import { session } from "./state.js";

const el = {
  form: byId("request-form", HTMLFormElement),
  prompt: byId("req-prompt", HTMLTextAreaElement),
  count: byId("req-count", HTMLInputElement),
  ratio: byId("req-ratio", HTMLSelectElement),
  seed: byId("req-seed", HTMLInputElement),
  image: byId("req-image", HTMLInputElement),
  drop: byId("req-drop", HTMLLabelElement),
  dropText: byId("req-drop-text", HTMLSpanElement),
  imagePreview: byId("req-image-preview", HTMLImageElement),
  imageClear: byId("req-image-clear", HTMLButtonElement),
  error: byId("request-error", HTMLParagraphElement),
  submit: byId("request-submit", HTMLButtonElement),
};

/**
 * The input to mark when the API's error names a field.
 * @type {Record<string, () => HTMLElement>}
 */
const FIELD_INPUTS = {
  prompt: () => el.prompt,
  description: () => el.prompt,
  count: () => el.count,
  aspectRatio: () => el.ratio,
  "settings.aspectRatio": () => el.ratio,
  seed: () => el.seed,
  "settings.seed": () => el.seed,
  image: () => el.drop,
};

function clearRequestErrors() {
  setFormError(el.error, null);
  for (const node of [el.prompt, el.count, el.ratio, el.seed]) node.removeAttribute("aria-invalid");
  el.drop.classList.remove("is-invalid");
}

/** @param {SubmitEvent} event */
async function submitRequest(event) {
  event.preventDefault();
  clearRequestErrors();
  const prompt = el.prompt.value.trim();
  // Raw values go to the API, which owns validation; its message is what the user sees.
  const count = el.count.value.trim() === "" ? null : Number(el.count.value);
  const seed = el.seed.value.trim() === "" ? undefined : Number(el.seed.value);
  const file = el.image.files?.[0];
  el.submit.disabled = true;
  el.submit.textContent = "Starting…";
  const epoch = session.epoch;
  try {
    let accepted;
    if (file) {
      const form = new FormData();
      form.append("image", file);
      if (prompt) form.append("description", prompt);
      form.append("count", count === null ? "" : String(count));
      form.append("aspectRatio", el.ratio.value);
      if (seed !== undefined) form.append("seed", String(seed));
      accepted = await api.fromImage(form);
    } else {
      accepted = await api.fromPrompt({
        prompt,
        count: /** @type {number} */ (count),
        settings: { aspectRatio: el.ratio.value, ...(seed === undefined ? {} : { seed }) },
      });
    }
    const g = await api.generation(accepted.id);
    if (epoch !== session.epoch) return;
    if (!session.views.has(g.id)) {
      session.total += 1;
      addGeneration(g, "start");
      refreshCollection();
    }
    // On narrow screens the gallery is below the form: bring the new request into view.
    const section = session.views.get(g.id)?.section;
    if (section && section.getBoundingClientRect().top > window.innerHeight * 0.6) {
      section.scrollIntoView({ behavior: "smooth", block: "start" });
    }
    clearImage();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      reportError(err);
      return;
    }
    setFormError(el.error, err instanceof Error ? err.message : String(err));
    const field = err instanceof ApiError && err.field ? FIELD_INPUTS[err.field]?.() : undefined;
    if (field === el.drop) el.drop.classList.add("is-invalid");
    else if (field) {
      field.setAttribute("aria-invalid", "true");
      field.focus();
    }
  } finally {
    el.submit.disabled = false;
    el.submit.textContent = "Generate designs";
  }
}

/** @type {string | null} */
let previewUrl = null;

function showChosenImage() {
  const file = el.image.files?.[0];
  if (previewUrl) URL.revokeObjectURL(previewUrl);
  previewUrl = file ? URL.createObjectURL(file) : null;
  el.imagePreview.src = previewUrl ?? "";
  show(el.imagePreview, Boolean(file));
  show(el.imageClear, Boolean(file));
  el.drop.classList.toggle("has-file", Boolean(file));
  el.drop.classList.remove("is-invalid");
  el.dropText.textContent = file
    ? `${file.name} — its colours guide the designs; the request text is optional.`
    : "Choose or drop a PNG, JPEG or WebP — its colours guide the designs.";
}

function clearImage() {
  el.image.value = "";
  showChosenImage();
}

/** Empty the form, its errors and the chosen image (on sign-out, for the next person at the computer). */
export function resetRequestForm() {
  el.form.reset();
  clearRequestErrors();
  clearImage();
}

/** Attach the form's listeners: submit (also Ctrl/Cmd+Enter), image choose/drop/remove. */
export function wireRequestForm() {
  el.form.addEventListener("submit", (e) => void submitRequest(/** @type {SubmitEvent} */ (e)));
  // Ctrl/Cmd+Enter in the request box submits, as in most creative tools.
  el.prompt.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) el.form.requestSubmit();
  });
  el.image.addEventListener("change", showChosenImage);
  el.imageClear.addEventListener("click", () => {
    clearImage();
    el.image.focus();
  });
  el.drop.addEventListener("dragover", (event) => {
    event.preventDefault();
    el.drop.classList.add("is-dragging");
  });
  el.drop.addEventListener("dragleave", () => el.drop.classList.remove("is-dragging"));
  el.drop.addEventListener("drop", (event) => {
    event.preventDefault();
    el.drop.classList.remove("is-dragging");
    const files = event.dataTransfer?.files;
    if (files && files.length) {
      const transfer = new DataTransfer();
      transfer.items.add(files[0]);
      el.image.files = transfer.files;
      showChosenImage();
    }
  });
}
