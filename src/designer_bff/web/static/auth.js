// @ts-check
/** The account: the sign-in / create-account card, the signed-in header, sign-out and session restore. */

import { api, ApiError, clearSession, storedEmail, storedToken, storeSession } from "./api.js";
import { loadGallery } from "./collection.js";
import { byId, show } from "./dom.js";
import { clearGallery } from "./gallery.js";
import { clearGaps, loadGaps } from "./gaps.js";
import { closeLightbox } from "./lightbox.js";
import { setFormError } from "./notify.js";
import { resetRequestForm } from "./request-form.js";
import { resetSession } from "./state.js";

const SESSION_ENDED = "Your session has ended. Please sign in again.";

const el = {
  authView: byId("auth-view", HTMLElement),
  studioView: byId("studio-view", HTMLDivElement),
  account: byId("account", HTMLDivElement),
  accountEmail: byId("account-email", HTMLSpanElement),
  accountAvatar: byId("account-avatar", HTMLSpanElement),
  signOut: byId("sign-out", HTMLButtonElement),
  tabLogin: byId("tab-login", HTMLButtonElement),
  tabRegister: byId("tab-register", HTMLButtonElement),
  form: byId("auth-form", HTMLFormElement),
  title: byId("auth-title", HTMLHeadingElement),
  email: byId("auth-email", HTMLInputElement),
  password: byId("auth-password", HTMLInputElement),
  error: byId("auth-error", HTMLParagraphElement),
  submit: byId("auth-submit", HTMLButtonElement),
};

/** @type {"login" | "register"} */
let authMode = "login";

/** @param {"login" | "register"} mode */
function setAuthMode(mode) {
  authMode = mode;
  const login = mode === "login";
  el.tabLogin.setAttribute("aria-selected", String(login));
  el.tabRegister.setAttribute("aria-selected", String(!login));
  el.tabLogin.tabIndex = login ? 0 : -1;
  el.tabRegister.tabIndex = login ? -1 : 0;
  el.form.setAttribute("aria-labelledby", login ? "tab-login" : "tab-register");
  el.title.textContent = login ? "Welcome back" : "Create your studio";
  el.submit.textContent = login ? "Sign in" : "Create account";
  el.password.autocomplete = login ? "current-password" : "new-password";
  setFormError(el.error, null);
}

/** @param {string | null} [message] shown on the sign-in card, e.g. why the user was signed out */
function showAuth(message = null) {
  show(el.studioView, false);
  show(el.account, false);
  show(el.authView, true);
  setFormError(el.error, message);
  el.email.focus();
}

/** @param {string} email */
function enterStudio(email) {
  show(el.authView, false);
  show(el.studioView, true);
  show(el.account, true);
  el.accountEmail.textContent = email;
  el.accountAvatar.textContent = email.slice(0, 1).toUpperCase();
  void loadGallery();
  void loadGaps();
}

/** @param {string | null} [message] */
function signOut(message = null) {
  clearSession();
  resetSession();
  closeLightbox();
  clearGallery();
  clearGaps();
  // A shared computer: the next person starts from a clean sign-in card and an empty request form.
  el.password.value = "";
  resetRequestForm();
  setAuthMode("login");
  showAuth(message);
}

/** Sign out because the server no longer accepts the stored token, saying so on the sign-in card. */
export function expireSession() {
  signOut(SESSION_ENDED);
}

/** @param {SubmitEvent} event */
async function submitAuth(event) {
  event.preventDefault();
  setFormError(el.error, null);
  const email = el.email.value.trim();
  const password = el.password.value;
  el.submit.disabled = true;
  try {
    const token = authMode === "login" ? await api.login(email, password) : await api.register(email, password);
    storeSession(token);
    el.password.value = "";
    enterStudio(token.user.email);
  } catch (err) {
    setFormError(el.error, err instanceof Error ? err.message : String(err));
    (err instanceof ApiError && err.field === "password" ? el.password : el.email).focus();
  } finally {
    el.submit.disabled = false;
  }
}

/** Attach the card's tabs (click and arrow keys), its submit and the header's Sign out button. */
export function wireAuth() {
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
  el.form.addEventListener("submit", (e) => void submitAuth(/** @type {SubmitEvent} */ (e)));
  el.signOut.addEventListener("click", () => signOut());
}

/**
 * On page load: open the studio from a stored session at once, then confirm the token with the server;
 * without one, show the sign-in card.
 */
export async function restoreSession() {
  setAuthMode("login");
  const token = storedToken();
  if (!token) {
    showAuth();
    return;
  }
  enterStudio(storedEmail() ?? "");
  try {
    const user = await api.me();
    el.accountEmail.textContent = user.email;
    el.accountAvatar.textContent = user.email.slice(0, 1).toUpperCase();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) signOut(SESSION_ENDED);
  }
}
