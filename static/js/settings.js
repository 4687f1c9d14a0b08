// Settings: a small dialog behind the header's Settings button.  "Rotate
// token" (after a confirmation) runs auth.rotate over REST: every other
// device is logged out, this browser gets a fresh session cookie with the
// reply, and the dialog shows the new join links.  "Log out" drops this
// browser's session.

import { logout } from './auth.js';

// Join links for the new token: the name this page was opened by, then the
// box's LAN addresses (a phone cannot use "localhost").
function joinUrls(token, addresses = []) {
  const port = location.port ? `:${location.port}` : '';
  const hosts = [...new Set([location.hostname, ...addresses])];
  return hosts.map((h) => `${location.protocol}//${h}${port}/#token=${encodeURIComponent(token)}`);
}

export function mountSettings(button, dialog, { api }) {
  const q = (id) => dialog.querySelector(`[data-testid="${id}"]`);
  const rotate = q('rotate-token');
  const confirmBox = q('rotate-confirm');
  const join = q('join');
  const list = q('join-urls');
  const result = q('rotate-result');

  function say(text, state = '') {
    result.textContent = text;
    result.dataset.state = state;
  }

  function reset() {
    confirmBox.hidden = true;
    rotate.hidden = false;
    say('');
  }

  function showJoin(token, addresses) {
    list.replaceChildren(...joinUrls(token, addresses).map((u) => {
      const li = document.createElement('li');
      const code = document.createElement('code');
      code.textContent = u;
      li.append(code);
      return li;
    }));
    join.hidden = false;
  }

  async function doRotate() {
    q('rotate-yes').disabled = true;
    say('rotating\u2026', 'busy');
    try {
      const r = await api.command('auth.rotate');
      confirmBox.hidden = true;
      rotate.hidden = false;
      showJoin(r.token, r.addresses);
      say('New token made: every other device is logged out.', 'ok');
    } catch (e) {
      say(e.message || 'failed', 'error');
    } finally {
      q('rotate-yes').disabled = false;
    }
  }

  button.addEventListener('click', () => {
    reset();
    dialog.showModal();
  });
  q('settings-close').addEventListener('click', () => dialog.close());
  rotate.addEventListener('click', () => {
    rotate.hidden = true;
    confirmBox.hidden = false;
    q('rotate-no').focus();
  });
  q('rotate-no').addEventListener('click', reset);
  q('rotate-yes').addEventListener('click', doRotate);
  q('logout').addEventListener('click', async () => {
    try {
      await logout();
    } finally {
      location.reload();
    }
  });
}
