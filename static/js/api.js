// REST helper for /api/v1. Every answer carries "ok"; failures become an
// ApiError so callers can show the server's own message and HTTP status.
// A 401 (no session, or the token was rotated) is also announced on window
// as UNAUTHORIZED, so the login form can come up wherever it happened.

const DEFAULT_TIMEOUT_MS = 3000;

export const UNAUTHORIZED = 'stagebox:unauthorized';

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.name = 'ApiError';
    this.status = status; // HTTP status, or 0 when the server was unreachable
  }
}

// fetch() has no timeout of its own; a stalled server must not hang the UI.
async function fetchJson(method, path, body, timeoutMs) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  const init = { method, signal: ctl.signal, cache: 'no-store', headers: {} };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    const why = e.name === 'AbortError' ? 'timed out' : 'server unreachable';
    throw new ApiError(why, 0);
  } finally {
    clearTimeout(timer);
  }
  let json;
  try {
    json = await res.json();
  } catch {
    json = null;
  }
  if (!json && res.status !== 401)
    throw new ApiError(`bad reply (HTTP ${res.status})`, res.status);
  if (res.status === 401) window.dispatchEvent(new Event(UNAUTHORIZED));
  if (!json || json.ok !== true)
    throw new ApiError(json?.error || `HTTP ${res.status}`, res.status);
  return json.result;
}

/** GET an /api/v1 route; resolves to the "result" member. */
export function apiGet(path, { timeoutMs = DEFAULT_TIMEOUT_MS } = {}) {
  return fetchJson('GET', path, undefined, timeoutMs);
}

/** POST a JSON body to an /api/v1 route; resolves to the "result" member. */
export function apiPost(path, body = {}, { timeoutMs = DEFAULT_TIMEOUT_MS } = {}) {
  return fetchJson('POST', path, body, timeoutMs);
}

/** Run a command through POST /api/v1/cmd/<name>; resolves to its result. */
export function command(name, args = {}, { timeoutMs = DEFAULT_TIMEOUT_MS } = {}) {
  return fetchJson('POST', `/api/v1/cmd/${encodeURIComponent(name)}`, args, timeoutMs);
}

/** The status object (works with or without an engine). */
export function getStatus(opts) {
  return apiGet('/api/v1/status', opts);
}

/** The command table with argument schemas. */
export function getCommands(opts) {
  return apiGet('/api/v1/commands', opts);
}
