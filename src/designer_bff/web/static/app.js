// @ts-check
/**
 * Entry point of the studio page: wires the modules together and starts from the stored session.
 * All user-provided text reaches the DOM through textContent (see dom.js), never as markup.
 *
 * Modules, from the bottom up (each imports only ones above it in this list):
 *   api.js, dom.js, format.js, state.js   API client, DOM builder, text helpers, shared session state
 *   notify.js                             toasts, form errors, handling of failed calls
 *   reactions.js                          reactions on a design and its tile badges
 *   validation.js                         kept/rejected/flagged counts, tile marks, lightbox validation
 *   coverage.js                           a request's Coverage panel (report, gaps, clusters), lazily loaded
 *   lightbox.js                           one design full size, reactions, rating, validation, selection
 *   insight.js                            a finished request's bar: kept line, Coverage, hidden toggle
 *   generation.js                         one request's section: status, progress bar, tiles
 *   gallery.js                            header line, empty state, updating/removing/deleting requests
 *   candidates.js                         showing and hiding a request's hidden candidates
 *   gaps.js                               the sidebar's open coverage gaps and "Apply boost"
 *   progress.js                           polling running requests
 *   collection.js                         loading pages of requests, adding requests
 *   request-form.js                       the new design request form and reference image
 *   auth.js                               sign in / create account, sign out, session restore
 */

import { expireSession, restoreSession, wireAuth } from "./auth.js";
import { wireCollection } from "./collection.js";
import { wireLightbox } from "./lightbox.js";
import { onSessionExpired } from "./notify.js";
import { wireRequestForm } from "./request-form.js";

// A call rejected with 401 anywhere on the page means the stored token is dead: back to sign-in.
onSessionExpired(expireSession);
wireAuth();
wireRequestForm();
wireCollection();
wireLightbox();
void restoreSession();
