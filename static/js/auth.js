// Login.  The page never keeps the token: the URL fragment (#token=..., how
// a phone joins from the QR code `make run` prints) or the login form hands
// it to POST /api/v1/login, which answers with an HttpOnly session cookie.
// The browser sends that cookie from then on, to the WebSocket port too
// (cookies belong to the host, not the port).  The fragment never reaches
// the server in a request and is taken out of the address bar at once.

import { apiGet, apiPost, UNAUTHORIZED } from './api.js';

// Fired on window after a login from the form, so the socket retries now.
export const LOGGED_IN = 'stagebox:login';

const STALE_LINK = 'This link\u2019s token is no longer valid: ask for a new link, or paste the token.';

// The token of "#token=abc" (or "...&token=abc"), removed from the address.
function takeFragmentToken() {
  const m = /(?:^#|&)token=([^&]*)/.exec(location.hash);
  if (!m) return null;
  history.replaceState(null, '', location.pathname + location.search);
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return m[1];
  }
}

// What was typed: a bare token, or a whole join URL pasted into the field.
function tokenOf(text) {
  const t = text.trim();
  const m = /[#&]token=([^&\s]*)/.exec(t);
  return m ? m[1] : t;
}

export function login(token) {
  return apiPost('/api/v1/login', { token });
}

export function logout() {
  return apiPost('/api/v1/logout', {});
}

// false only for a 401: an unreachable server boots the (offline) UI.
async function sessionValid() {
  try {
    await apiGet('/api/v1/status');
    return true;
  } catch (e) {
    return e.status !== 401;
  }
}

/**
 * Log in from the fragment if there is one, then show the login form for
 * as long as the server says 401.  Resolves once the page may start.
 */
export async function startAuth(root) {
  const q = (id) => root.querySelector(`[data-testid="${id}"]`);
  const form = root.querySelector('form');
  const input = q('login-token');
  const error = q('login-error');
  let resolveIn;
  const loggedIn = new Promise((r) => { resolveIn = r; });

  function show(why = '') {
    document.body.dataset.auth = 'out';
    error.textContent = why;
    if (!root.hidden) return;
    root.hidden = false;
    input.focus();
  }

  function hide() {
    document.body.dataset.auth = 'in';
    root.hidden = true;
    input.value = '';
    error.textContent = '';
    resolveIn();
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const token = tokenOf(input.value);
    if (!token) return;
    try {
      await login(token);
      hide();
      window.dispatchEvent(new Event(LOGGED_IN));
    } catch (e) {
      show(e.status === 401 ? 'Wrong token.' : e.message);
      input.select();
    }
  });
  window.addEventListener(UNAUTHORIZED, () => show(error.textContent));

  // A join link opened in a tab that is already here changes only the hash.
  async function fromFragment() {
    const token = takeFragmentToken();
    if (!token) return '';
    try {
      await login(token);
      return '';
    } catch (e) {
      return e.status === 401 ? STALE_LINK : e.message;
    }
  }
  window.addEventListener('hashchange', async () => {
    if (!/(?:^#|&)token=/.test(location.hash)) return;
    const why = await fromFragment();
    if (why) return show(why);
    hide();
    window.dispatchEvent(new Event(LOGGED_IN));
  });

  const why = await fromFragment();
  if (await sessionValid()) hide();
  else show(why);
  return loggedIn;
}
