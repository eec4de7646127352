// @ts-check
/**
 * The studio page: account, design requests, live progress, the gallery and the lightbox.
 * All user-provided text reaches the DOM through textContent (see dom.js), never as markup.
 */

import { api, ApiError, clearSession, storedEmail, storedToken, storeSession } from "./api.js";
import { append, byId, h, icon, show } from "./dom.js";
import { caption, formatDate, isRunning, plural, STATUS_LABEL, title } from "./format.js";

/** @typedef {import("./api.js").Generation} Generation */
/** @typedef {import("./api.js").Asset} Asset */
/** @typedef {import("./api.js").Feedback} Feedback */
/**
 * @typedef {{ item: HTMLLIElement, badges: HTMLElement }} Tile
 * @typedef {{
 *   data: Generation, section: HTMLElement, meta: HTMLElement, status: HTMLElement, progress: HTMLElement,
 *   bar: HTMLElement, progressLabel: HTMLElement, error: HTMLElement, grid: HTMLUListElement,
 *   tiles: Map<string, Tile>, polling: boolean, watched: boolean
 * }} GenView
 */

const POLL_MS = 700;
const PAGE_SIZE = 20;
const EXAMPLE_PROMPT = "bohemian maxi dress in rust linen";

const el = {
  authView: byId("auth-view", HTMLElement),
  studioView: byId("studio-view", HTMLDivElement),
  account: byId("account", HTMLDivElement),
  accountEmail: byId("account-email", HTMLSpanElement),
  accountAvatar: byId("account-avatar", HTMLSpanElement),
  signOut: byId("sign-out", HTMLButtonElement),
  tabLogin: byId("tab-login", HTMLButtonElement),
  tabRegister: byId("tab-register", HTMLButtonElement),
  authForm: byId("auth-form", HTMLFormElement),
  authTitle: byId("auth-title", HTMLHeadingElement),
  authEmail: byId("auth-email", HTMLInputElement),
  authPassword: byId("auth-password", HTMLInputElement),
  authError: byId("auth-error", HTMLParagraphElement),
  authSubmit: byId("auth-submit", HTMLButtonElement),
  requestForm: byId("request-form", HTMLFormElement),
  prompt: byId("req-prompt", HTMLTextAreaElement),
  count: byId("req-count", HTMLInputElement),
  ratio: byId("req-ratio", HTMLSelectElement),
  seed: byId("req-seed", HTMLInputElement),
  image: byId("req-image", HTMLInputElement),
  drop: byId("req-drop", HTMLLabelElement),
  dropText: byId("req-drop-text", HTMLSpanElement),
  imagePreview: byId("req-image-preview", HTMLImageElement),
  imageClear: byId("req-image-clear", HTMLButtonElement),
  requestError: byId("request-error", HTMLParagraphElement),
  requestSubmit: byId("request-submit", HTMLButtonElement),
  gallery: byId("gallery", HTMLDivElement),
  collectionMeta: byId("collection-meta", HTMLParagraphElement),
  loadMore: byId("load-more", HTMLButtonElement),
  lightbox: byId("lightbox", HTMLDialogElement),
  lbImage: byId("lb-image", HTMLImageElement),
  lbTitle: byId("lb-title", HTMLHeadingElement),
  lbPrompt: byId("lb-prompt", HTMLParagraphElement),
  lbPosition: byId("lb-position", HTMLParagraphElement),
  lbFacts: byId("lb-facts", HTMLElement),
  lbRating: byId("lb-rating", HTMLDivElement),
  lbClose: byId("lb-close", HTMLButtonElement),
  lbPrev: byId("lb-prev", HTMLButtonElement),
  lbNext: byId("lb-next", HTMLButtonElement),
  lbOpen: byId("lb-open", HTMLAnchorElement),
  lbStatus: byId("lb-status", HTMLParagraphElement),
  lbRenderer: byId("lb-renderer", HTMLParagraphElement),
  confirm: byId("confirm", HTMLDialogElement),
  confirmText: byId("confirm-text", HTMLParagraphElement),
  toasts: byId("toasts", HTMLDivElement),
};

const state = {
  /** @type {"login" | "register"} */
  authMode: "login",
  /** Bumped on sign-out so polls and loads started for the previous account stop touching the page. */
  epoch: 0,
  /** @type {Map<string, GenView>} */
  views: new Map(),
  total: 0,
  /** @type {{ generationId: string, index: number } | null} */
  open: null,
  /** @type {HTMLElement | null} */
  returnFocus: null,
};

// ---------------------------------------------------------------- toasts and errors

/**
 * Show a short message in the corner; errors stay longer.
 * @param {string} message
 * @param {"info" | "success" | "error"} [kind]
 */
function toast(message, kind = "info") {
  // Toasts sit under a modal dialog's backdrop; while the lightbox is open, say it inside it instead.
  if (el.lightbox.open) {
    el.lbStatus.textContent = message;
    el.lbStatus.dataset.kind = kind;
    return;
  }
  const close = h("button", { class: "toast__close", text: "✕", attrs: { type: "button", "aria-label": "Dismiss" } });
  const node = h("div", { class: `toast toast--${kind}` }, [h("span", { class: "toast__text", text: message }), close]);
  const dismiss = () => {
    node.classList.add("toast--leaving");
    setTimeout(() => node.remove(), 180);
  };
  close.addEventListener("click", dismiss);
  el.toasts.append(node);
  // Keep the corner calm: only the three newest messages stay.
  while (el.toasts.children.length > 3) el.toasts.firstElementChild?.remove();
  setTimeout(dismiss, kind === "error" ? 8000 : 4000);
}

/**
 * Report a failed call: an expired session signs out, anything else becomes a toast.
 * @param {unknown} err
 * @param {string} [context]
 */
function reportError(err, context) {
  if (err instanceof ApiError && err.status === 401 && storedToken()) {
    signOut("Your session has ended. Please sign in again.");
    return;
  }
  const message = err instanceof Error ? err.message : String(err);
  toast(context ? `${context}: ${message}` : message, "error");
}

/**
 * @param {HTMLElement} node
 * @param {string | null} message
 */
function setFormError(node, message) {
  node.textContent = message ?? "";
  show(node, Boolean(message));
}

// ---------------------------------------------------------------- account

/** @param {"login" | "register"} mode */
function setAuthMode(mode) {
  state.authMode = mode;
  const login = mode === "login";
  el.tabLogin.setAttribute("aria-selected", String(login));
  el.tabRegister.setAttribute("aria-selected", String(!login));
  el.tabLogin.tabIndex = login ? 0 : -1;
  el.tabRegister.tabIndex = login ? -1 : 0;
  el.authForm.setAttribute("aria-labelledby", login ? "tab-login" : "tab-register");
  el.authTitle.textContent = login ? "Welcome back" : "Create your studio";
  el.authSubmit.textContent = login ? "Sign in" : "Create account";
  el.authPassword.autocomplete = login ? "current-password" : "new-password";
  setFormError(el.authError, null);
}

/** @param {string | null} [message] shown on the sign-in card, e.g. why the user was signed out */
function showAuth(message = null) {
  show(el.studioView, false);
  show(el.account, false);
  show(el.authView, true);
  setFormError(el.authError, message);
  el.authEmail.focus();
}

/** @param {string} email */
function enterStudio(email) {
  show(el.authView, false);
  show(el.studioView, true);
  show(el.account, true);
  el.accountEmail.textContent = email;
  el.accountAvatar.textContent = email.slice(0, 1).toUpperCase();
  void loadGallery();
}

/** @param {string | null} [message] */
function signOut(message = null) {
  clearSession();
  state.epoch += 1;
  state.views.clear();
  state.total = 0;
  if (el.lightbox.open) el.lightbox.close();
  el.gallery.replaceChildren();
  // A shared computer: the next person starts from a clean sign-in card and an empty request form.
  el.authPassword.value = "";
  el.requestForm.reset();
  clearRequestErrors();
  clearImage();
  setAuthMode("login");
  showAuth(message);
}

/** @param {SubmitEvent} event */
async function submitAuth(event) {
  event.preventDefault();
  setFormError(el.authError, null);
  const email = el.authEmail.value.trim();
  const password = el.authPassword.value;
  el.authSubmit.disabled = true;
  try {
    const token =
      state.authMode === "login" ? await api.login(email, password) : await api.register(email, password);
    storeSession(token);
    el.authPassword.value = "";
    enterStudio(token.user.email);
  } catch (err) {
    setFormError(el.authError, err instanceof Error ? err.message : String(err));
    (err instanceof ApiError && err.field === "password" ? el.authPassword : el.authEmail).focus();
  } finally {
    el.authSubmit.disabled = false;
  }
}

// ---------------------------------------------------------------- gallery

async function loadGallery() {
  const epoch = state.epoch;
  el.gallery.replaceChildren(skeleton());
  el.gallery.setAttribute("aria-busy", "true");
  el.collectionMeta.textContent = "Loading your designs…";
  show(el.loadMore, false);
  try {
    const page = await api.list(PAGE_SIZE, 0);
    if (epoch !== state.epoch) return;
    el.gallery.replaceChildren();
    state.views.clear();
    state.total = page.total;
    for (const g of page.items) addGeneration(g, "end");
    refreshCollection();
    hydrateFeedback(page.items, epoch);
  } catch (err) {
    if (epoch !== state.epoch) return;
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
  const epoch = state.epoch;
  el.loadMore.disabled = true;
  try {
    const page = await api.list(PAGE_SIZE, state.views.size);
    if (epoch !== state.epoch) return;
    state.total = page.total;
    const fresh = page.items.filter((g) => !state.views.has(g.id));
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
        if (epoch === state.epoch && state.views.has(id)) updateGeneration(detail);
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

function emptyState() {
  const tryIt = h("button", { class: "btn btn--primary", text: "Try an example", attrs: { type: "button" } });
  tryIt.addEventListener("click", () => {
    el.prompt.value = EXAMPLE_PROMPT;
    el.prompt.focus();
  });
  return h("div", { class: "empty", attrs: { id: "empty-state" } }, [
    h("img", { class: "empty__art", attrs: { src: "/static/empty.svg", alt: "", width: 160, height: 120 } }),
    h("h2", { class: "empty__title", text: "No designs yet" }),
    h("p", {
      class: "empty__text",
      text: "Describe a garment in the request panel and your first designs appear here in seconds, each with its recipe.",
    }),
    tryIt,
  ]);
}

/** Header line of the collection, the empty state and the load-more button. */
function refreshCollection() {
  const running = [...state.views.values()].filter((v) => isRunning(v.data.status)).length;
  const designs = [...state.views.values()].reduce((n, v) => n + v.data.assets.length, 0);
  const parts = state.total ? [plural(state.total, "request"), plural(designs, "design")] : ["Nothing here yet"];
  if (running) parts.push(`${running} generating`);
  el.collectionMeta.textContent = parts.join(" · ");
  const empty = document.getElementById("empty-state");
  if (state.views.size === 0 && !empty) el.gallery.replaceChildren(emptyState());
  if (state.views.size > 0 && empty) empty.remove();
  show(el.loadMore, state.views.size < state.total);
}

/**
 * CSS aspect-ratio of a generation's images before any exist ("3:4" → "3 / 4").
 * @param {Generation} g
 */
function plannedRatio(g) {
  const ratio = g.settings.aspectRatio ?? g.settings.size?.replace("x", ":") ?? "1:1";
  return ratio.replace(":", " / ");
}

/**
 * Build the section of one generation and keep its parts for later updates.
 * @param {Generation} g
 * @param {"start" | "end"} where
 */
function addGeneration(g, where) {
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
    grid,
  ]);
  /** @type {GenView} */
  const view = { data: g, section, meta, status, progress, bar, progressLabel, error, grid, tiles: new Map(), polling: false, watched: false };
  del.addEventListener("click", () => void deleteGeneration(view));
  state.views.set(g.id, view);
  document.getElementById("empty-state")?.remove();
  if (where === "start") el.gallery.prepend(section);
  else el.gallery.append(section);
  renderGeneration(view);
  if (isRunning(g.status)) void poll(g.id);
}

/**
 * Replace a generation's data and redraw what changed.
 * @param {Generation} g
 */
function updateGeneration(g) {
  const view = state.views.get(g.id);
  if (!view) return;
  view.data = g;
  renderGeneration(view);
  if (state.open?.generationId === g.id) renderLightbox();
}

/**
 * Draw status, progress and tiles. Existing tiles are kept (and their <img>s with them): the signed
 * URLs differ on every response, so re-creating images would reload them on every poll.
 * @param {GenView} view
 */
function renderGeneration(view) {
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
  bar.setAttribute("aria-valuetext", `${done} of ${total} designs, ${STATUS_LABEL[g.status]}`);
  // Never a zero-width bar: a sliver shows the request is alive while the first image renders.
  view.bar.style.width = `${Math.max(3, total ? (done / total) * 100 : 0)}%`;
  view.progressLabel.textContent = g.status === "pending" ? "Waiting for a worker…" : `${done} of ${total} designs`;

  view.error.textContent = g.status === "failed" ? (g.error ?? "This request failed.") : "";
  show(view.error, g.status === "failed");

  const assets = [...g.assets].sort((a, b) => a.slot - b.slot);
  assets.forEach((asset, index) => {
    let tile = view.tiles.get(asset.id);
    if (!tile) {
      tile = createTile(view, asset);
      view.tiles.set(asset.id, tile);
    }
    tile.item.dataset.index = String(index);
    renderBadges(tile, asset.id, g.feedback);
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
  const button = h("button", {
    class: "tile__button",
    attrs: { type: "button", "aria-label": `Open design: ${text}`, "aria-haspopup": "dialog" },
  }, [frame, badges]);
  const item = h("li", { class: "tile", dataset: { assetId: asset.id } }, [
    button,
    h("p", { class: "tile__caption", text }),
  ]);
  button.addEventListener("click", () => {
    const index = view.data.assets.findIndex((a) => a.id === asset.id);
    openLightbox(view.data.id, Math.max(0, index));
  });
  return { item, badges };
}

/**
 * What the user said about one asset: a set of reactions and the latest rating.
 * @param {Feedback[]} feedback
 * @param {string} assetId
 */
function reactionsFor(feedback, assetId) {
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
 * @param {Tile} tile
 * @param {string} assetId
 * @param {Feedback[]} feedback
 */
function renderBadges(tile, assetId, feedback) {
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

/**
 * Poll a running generation until it finishes (or disappears, or the user signs out).
 * @param {string} id
 */
async function poll(id) {
  const view = state.views.get(id);
  if (!view || view.polling) return;
  view.polling = true;
  view.watched = true;
  const epoch = state.epoch;
  let delay = POLL_MS;
  refreshCollection();
  try {
    while (epoch === state.epoch && state.views.get(id) === view && isRunning(view.data.status)) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      if (epoch !== state.epoch || state.views.get(id) !== view) return;
      try {
        updateGeneration(await api.generation(id));
        delay = POLL_MS;
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) {
          removeGeneration(view);
          return;
        }
        if (err instanceof ApiError && err.status === 401) {
          reportError(err);
          return;
        }
        // Transient (server restart, network blip): back off, keep the last known state on screen.
        delay = Math.min(delay * 2, 10000);
      }
    }
    if (epoch !== state.epoch || state.views.get(id) !== view) return;
    const g = view.data;
    if (g.status === "completed") toast(`${plural(g.assets.length, "design")} ready: ${title(g)}`, "success");
    if (g.status === "failed") toast(`Request failed: ${g.error ?? title(g)}`, "error");
    refreshCollection();
  } finally {
    view.polling = false;
  }
}

/** @param {GenView} view */
function removeGeneration(view) {
  if (state.open?.generationId === view.data.id) el.lightbox.close();
  state.views.delete(view.data.id);
  view.section.remove();
  state.total = Math.max(0, state.total - 1);
  refreshCollection();
}

/**
 * Ask with the confirm dialog; resolves true when the user chose Delete.
 * @param {string} text
 * @returns {Promise<boolean>}
 */
function confirmDelete(text) {
  el.confirmText.textContent = text;
  el.confirm.returnValue = "";
  el.confirm.showModal();
  return new Promise((resolve) => {
    el.confirm.addEventListener("close", () => resolve(el.confirm.returnValue === "confirm"), { once: true });
  });
}

/** @param {GenView} view */
async function deleteGeneration(view) {
  const g = view.data;
  const ok = await confirmDelete(
    `“${title(g)}” and its ${plural(g.assets.length, "design")} will be removed for good. This cannot be undone.`,
  );
  if (!ok) return;
  view.section.classList.add("gen--leaving");
  try {
    await api.remove(g.id);
    removeGeneration(view);
    toast("Request deleted.", "success");
    el.prompt.focus();
  } catch (err) {
    view.section.classList.remove("gen--leaving");
    if (err instanceof ApiError && err.status === 404) removeGeneration(view);
    else reportError(err, "Could not delete");
  }
}

// ---------------------------------------------------------------- request form

/** @type {Record<string, () => HTMLElement>} */
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
  setFormError(el.requestError, null);
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
  el.requestSubmit.disabled = true;
  el.requestSubmit.textContent = "Starting…";
  const epoch = state.epoch;
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
    if (epoch !== state.epoch) return;
    if (!state.views.has(g.id)) {
      state.total += 1;
      addGeneration(g, "start");
      refreshCollection();
    }
    // On narrow screens the gallery is below the form: bring the new request into view.
    const section = state.views.get(g.id)?.section;
    if (section && section.getBoundingClientRect().top > window.innerHeight * 0.6) {
      section.scrollIntoView({ behavior: "smooth", block: "start" });
    }
    clearImage();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      reportError(err);
      return;
    }
    setFormError(el.requestError, err instanceof Error ? err.message : String(err));
    const field = err instanceof ApiError && err.field ? FIELD_INPUTS[err.field]?.() : undefined;
    if (field === el.drop) el.drop.classList.add("is-invalid");
    else if (field) {
      field.setAttribute("aria-invalid", "true");
      field.focus();
    }
  } finally {
    el.requestSubmit.disabled = false;
    el.requestSubmit.textContent = "Generate designs";
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

// ---------------------------------------------------------------- lightbox

/**
 * @param {string} generationId
 * @param {number} index
 */
function openLightbox(generationId, index) {
  state.open = { generationId, index };
  el.lbStatus.textContent = "";
  state.returnFocus = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  renderLightbox();
  if (!el.lightbox.open) el.lightbox.showModal();
  el.lbClose.focus();
}

function currentAsset() {
  if (!state.open) return null;
  const view = state.views.get(state.open.generationId);
  if (!view) return null;
  const assets = [...view.data.assets].sort((a, b) => a.slot - b.slot);
  const asset = assets[state.open.index];
  return asset ? { view, assets, asset } : null;
}

function renderLightbox() {
  const current = currentAsset();
  if (!current) return;
  const { view, assets, asset } = current;
  const g = view.data;
  const text = caption(asset.spec);
  if (el.lbImage.dataset.assetId !== asset.id) {
    el.lbImage.dataset.assetId = asset.id;
    el.lbImage.classList.remove("is-loaded");
    el.lbImage.src = asset.url;
    el.lbOpen.href = asset.url;
  }
  el.lbImage.alt = text;
  el.lbPosition.textContent = `Design ${state.open ? state.open.index + 1 : 1} of ${assets.length}`;
  el.lbTitle.textContent = text;
  el.lbPrompt.textContent = title(g);

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
  el.lbFacts.replaceChildren(
    ...facts.map(([term, value]) =>
      h("div", { class: "facts__row" }, [h("dt", { text: term }), h("dd", { text: value || "—" })]),
    ),
  );
  el.lbRenderer.textContent = `Drawn by ${asset.provider} (${asset.model})${spec.style?.aesthetic ? ` · ${spec.style.aesthetic} aesthetic` : ""}`;
  const details = h("details", { class: "facts__prompt" }, [
    h("summary", { text: "Full generation prompt" }),
    h("p", { text: asset.prompt }),
  ]);
  el.lbFacts.append(details);

  const { types, rating } = reactionsFor(g.feedback, asset.id);
  for (const button of el.lightbox.querySelectorAll("[data-reaction]")) {
    const type = /** @type {HTMLElement} */ (button).dataset.reaction ?? "";
    button.setAttribute("aria-pressed", String(types.has(/** @type {Feedback["type"]} */ (type))));
  }
  el.lbRating.replaceChildren(
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
  el.lbPrev.disabled = state.open?.index === 0;
  el.lbNext.disabled = (state.open?.index ?? 0) >= assets.length - 1;
}

/** @param {number} step */
function stepLightbox(step) {
  const current = currentAsset();
  if (!current || !state.open) return;
  const next = state.open.index + step;
  if (next < 0 || next >= current.assets.length) return;
  state.open.index = next;
  el.lbStatus.textContent = "";
  renderLightbox();
}

const REACTION_DONE = { outlier: "Marked as a standout.", heart: "Hearted.", reject: "Rejected — you'll see fewer like it." };

/**
 * Record a reaction on the open asset; reactions are history, so an existing one is not sent twice.
 * @param {"outlier" | "heart" | "reject" | "rating"} type
 * @param {number} [rating]
 */
async function react(type, rating) {
  const current = currentAsset();
  if (!current) return;
  const { view, asset } = current;
  const before = reactionsFor(view.data.feedback, asset.id);
  if (type !== "rating" && before.types.has(type)) {
    toast("Already recorded for this design.");
    return;
  }
  if (type === "rating" && before.rating === rating) return;
  try {
    const fb = await api.feedback(view.data.id, {
      type,
      assetId: asset.id,
      ...(rating === undefined ? {} : { rating }),
    });
    view.data = { ...view.data, feedback: [...view.data.feedback, fb] };
    renderGeneration(view);
    if (state.open?.generationId === view.data.id) renderLightbox();
    toast(type === "rating" ? `Rated ${rating} of 5.` : REACTION_DONE[type], "success");
  } catch (err) {
    reportError(err, "Could not save your reaction");
  }
}

// ---------------------------------------------------------------- wiring

function wire() {
  el.tabLogin.addEventListener("click", () => setAuthMode("login"));
  el.tabRegister.addEventListener("click", () => setAuthMode("register"));
  // Arrow keys move between the two tabs (WAI-ARIA tabs pattern).
  for (const tab of [el.tabLogin, el.tabRegister]) {
    tab.addEventListener("keydown", (event) => {
      if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
      const next = tab === el.tabLogin ? el.tabRegister : el.tabLogin;
      setAuthMode(next === el.tabLogin ? "login" : "register");
      next.focus();
    });
  }
  el.authForm.addEventListener("submit", (e) => void submitAuth(/** @type {SubmitEvent} */ (e)));
  el.signOut.addEventListener("click", () => signOut());
  el.requestForm.addEventListener("submit", (e) => void submitRequest(/** @type {SubmitEvent} */ (e)));
  // Ctrl/Cmd+Enter in the request box submits, as in most creative tools.
  el.prompt.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) el.requestForm.requestSubmit();
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
  el.loadMore.addEventListener("click", () => void loadMore());

  el.lbClose.addEventListener("click", () => el.lightbox.close());
  el.lbPrev.addEventListener("click", () => stepLightbox(-1));
  el.lbNext.addEventListener("click", () => stepLightbox(1));
  el.lbImage.addEventListener("load", () => el.lbImage.classList.add("is-loaded"));
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
    state.open = null;
    state.returnFocus?.focus();
    state.returnFocus = null;
  });
  for (const button of el.lightbox.querySelectorAll("[data-reaction]")) {
    button.addEventListener("click", () => {
      const type = /** @type {"outlier" | "heart" | "reject"} */ (/** @type {HTMLElement} */ (button).dataset.reaction);
      void react(type);
    });
  }
  el.lbRating.addEventListener("click", (event) => {
    const star = event.target instanceof HTMLElement ? event.target.closest("[data-rating]") : null;
    if (star instanceof HTMLElement) void react("rating", Number(star.dataset.rating));
  });
}

async function start() {
  wire();
  setAuthMode("login");
  const token = storedToken();
  if (!token) {
    showAuth();
    return;
  }
  // Show the studio at once from the stored session, then confirm the token is still good.
  enterStudio(storedEmail() ?? "");
  try {
    const user = await api.me();
    el.accountEmail.textContent = user.email;
    el.accountAvatar.textContent = user.email.slice(0, 1).toUpperCase();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) signOut("Your session has ended. Please sign in again.");
  }
}

void start();
