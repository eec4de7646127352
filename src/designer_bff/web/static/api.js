// @ts-check
/**
 * The JSON API client: bearer token from localStorage, errors as ApiError with the server's message.
 */

const TOKEN_KEY = "dbff.token";
const EMAIL_KEY = "dbff.email";

/**
 * @typedef {{ id: string, email: string, displayName: string | null, createdAt: string }} User
 * @typedef {{ accessToken: string, user: User }} Token
 * @typedef {{ done: number, total: number }} Progress
 * @typedef {{
 *   garment?: {
 *     type?: string, silhouette?: string | null, length?: string | null, neckline?: string | null,
 *     sleeve?: { type?: string | null, length?: string | null } | null,
 *   },
 *   fabric?: { type?: string | null },
 *   color?: { primary?: string | null, secondary?: string | null, pattern?: { type?: string } },
 *   style?: { aesthetic?: string | null },
 * }} Spec
 * @typedef {{ attribute: string, expected: unknown, observed: unknown, score: number }} Check
 * @typedef {{ score: number, verdict: Verdict, checks: Check[], unchecked: string[] }} Validation
 * @typedef {"ok" | "flagged" | "rejected"} Verdict
 * @typedef {{
 *   id: string, slot: number, url: string, thumbnailUrl: string, width: number, height: number,
 *   spec: Spec, prompt: string, seed: number | null, provider: string, model: string,
 *   selected?: boolean, verdict?: Verdict | null, validationScore?: number | null,
 *   validation?: Validation | null, cluster?: number | null, pickRank?: number | null, pickGain?: number | null
 * }} Asset
 * @typedef {{
 *   id: string, type: "outlier" | "heart" | "save" | "rating" | "comment" | "reject", assetId: string | null,
 *   rating: number | null, comment: string | null, createdAt: string, undoneAt?: string | null
 * }} Feedback
 * @typedef {{ feedback: Feedback, judgement: string | null, learned: number }} Recorded
 * @typedef {{
 *   assetId: string, judgement: string | null, baseline: number, predicted: number, typical: number, method: string,
 *   contributions: { feature: string, label: string, mean: number, evidence: number, logOdds: number }[]
 * }} Explanation
 * @typedef {{
 *   id: string, status: "pending" | "processing" | "completed" | "failed", mode: string,
 *   requestedCount: number, candidateCount?: number, hiddenCount?: number, progress: Progress,
 *   error: string | null, stages?: Record<string, { input?: any, output?: any }>,
 *   request: { prompt?: string, description?: string | null, filename?: string },
 *   settings: { aspectRatio?: string, size?: string, seed?: number },
 *   createdAt: string, completedAt: string | null, assets: Asset[], feedback: Feedback[]
 * }} Generation
 * @typedef {{ items: Generation[], total: number, limit: number, offset: number }} GenerationPage
 * @typedef {{ name: string, coverage: number, target: number, present: string[], total: number }} CoverageCategory
 * @typedef {{ category: string, severity: Severity, boost: number, missing: string[] }} CoverageGap
 * @typedef {"critical" | "high" | "medium"} Severity
 * @typedef {{ overall: number, specs: number, categories: CoverageCategory[], gaps: CoverageGap[] }} Coverage
 * @typedef {{ label: number, size: number, share: number, name: string, centralAssetIds: string[] }} Cluster
 * @typedef {{ k: number | null, silhouette: number | null, clusters: Cluster[] }} Clusters
 * @typedef {CoverageGap & { id: string, status: "open" | "closed", pinned: boolean }} OpenGap
 */

/** An error response: `message` is written for people, `field` names the offending input. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   * @param {string | null} field
   */
  constructor(status, code, message, field) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

/** @returns {string | null} */
export function storedToken() {
  return localStorage.getItem(TOKEN_KEY);
}

/** @returns {string | null} */
export function storedEmail() {
  return localStorage.getItem(EMAIL_KEY);
}

/** @param {Token} token */
export function storeSession(token) {
  localStorage.setItem(TOKEN_KEY, token.accessToken);
  localStorage.setItem(EMAIL_KEY, token.user.email);
}

export function clearSession() {
  localStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(EMAIL_KEY);
}

/**
 * Call the API. JSON bodies are encoded here; FormData goes as multipart untouched.
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<any>}
 */
async function call(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { Accept: "application/json" };
  const token = storedToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  /** @type {BodyInit | undefined} */
  let payload;
  if (body instanceof FormData) {
    payload = body; // the browser sets the multipart boundary itself
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body: payload, cache: "no-store" });
  } catch {
    throw new ApiError(0, "network", "Cannot reach the studio server. Is it running?", null);
  }
  if (response.status === 204) return null;
  const text = await response.text();
  /** @type {any} */
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const message =
      data && typeof data.message === "string" ? data.message : `Request failed (HTTP ${response.status}).`;
    const code = data && typeof data.error === "string" ? data.error : "http_error";
    const field = data && typeof data.field === "string" ? data.field : null;
    throw new ApiError(response.status, code, message, field);
  }
  return data;
}

export const api = {
  /** @param {string} email @param {string} password @returns {Promise<Token>} */
  register: (email, password) => call("POST", "/api/auth/register", { email, password }),
  /** @param {string} email @param {string} password @returns {Promise<Token>} */
  login: (email, password) => call("POST", "/api/auth/login", { email, password }),
  /** @returns {Promise<User>} */
  me: () => call("GET", "/api/auth/me"),
  /**
   * @param {{ prompt: string, count: number, settings: { aspectRatio: string, seed?: number } }} body
   * @returns {Promise<{ id: string }>}
   */
  fromPrompt: (body) => call("POST", "/api/generate/from-prompt", body),
  /** @param {FormData} form @returns {Promise<{ id: string }>} */
  fromImage: (form) => call("POST", "/api/generate/from-image", form),
  /**
   * A generation with its kept designs, or with every candidate (hidden ones `selected: false`).
   * @param {string} id @param {boolean} [all] @returns {Promise<Generation>}
   */
  generation: (id, all = false) => call("GET", `/api/generate/${encodeURIComponent(id)}${all ? "?include=all" : ""}`),
  /** @param {number} limit @param {number} offset @returns {Promise<GenerationPage>} */
  list: (limit, offset) => call("GET", `/api/generate?limit=${limit}&offset=${offset}`),
  /** @param {string} id @returns {Promise<null>} */
  remove: (id) => call("DELETE", `/api/generate/${encodeURIComponent(id)}`),
  /**
   * @param {string} id
   * @param {{ type: Feedback["type"], assetId?: string, rating?: number, comment?: string }} body
   * @returns {Promise<Feedback>}
   */
  feedback: (id, body) => call("POST", `/api/generate/${encodeURIComponent(id)}/feedback`, body),
  /** @param {string} feedbackId @returns {Promise<Recorded>} */
  undoFeedback: (feedbackId) => call("POST", `/api/feedback/${encodeURIComponent(feedbackId)}/undo`),
  /** @param {string} assetId @returns {Promise<Explanation>} */
  explain: (assetId) => call("GET", `/api/learning/explain/${encodeURIComponent(assetId)}`),
  /** @param {string} id @returns {Promise<Coverage>} */
  coverage: (id) => call("GET", `/api/coverage/${encodeURIComponent(id)}`),
  /** @param {string} id @returns {Promise<Clusters>} */
  clusters: (id) => call("GET", `/api/clusters/${encodeURIComponent(id)}`),
  /** @returns {Promise<{ gaps: OpenGap[] }>} */
  gaps: () => call("GET", "/api/coverage/gaps"),
  /** @param {string} gapId @returns {Promise<{ gap: OpenGap }>} */
  applyBoost: (gapId) => call("POST", `/api/coverage/gaps/${encodeURIComponent(gapId)}/apply-boost`),
};
