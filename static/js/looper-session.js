// Looper sessions: save the live state under a name, load a saved one.
// The list comes from looper.list_sessions; picking an entry fills the name.

import { el } from './looper-dom.js';

const NAME_RE = /^(?!\.)[A-Za-z0-9 _.-]{1,64}$/;

// list_sessions may answer ["a", ...], [{name}, ...] or {sessions: [...]}.
function sessionNames(result) {
  const list = Array.isArray(result) ? result : result?.sessions;
  if (!Array.isArray(list)) return [];
  return list.map((s) => (typeof s === 'string' ? s : s?.name)).filter((n) => typeof n === 'string' && !n.startsWith('.'));
}

export class SessionBar {
  /** request(cmd, args) -> Promise of the result; say(text, kind) shows a message. */
  constructor(request, say) {
    this.request = request;
    this.say = say;
    this.root = el('div', 'lp-session', { role: 'group', 'aria-label': 'Session' });
    this.name = el('input', 'lp-text', {
      type: 'text', maxlength: '64', placeholder: 'Session name', autocomplete: 'off', spellcheck: 'false',
      'data-testid': 'session-name', 'aria-label': 'Session name',
    });
    this.save = el('button', 'lp-btn', { type: 'button', 'data-testid': 'session-save' }, 'Save');
    this.list = el('select', 'lp-select', { 'data-testid': 'session-list', 'aria-label': 'Saved sessions' });
    this.load = el('button', 'lp-btn', { type: 'button', 'data-testid': 'session-load' }, 'Load');
    this.save.addEventListener('click', () => this.doSave());
    this.load.addEventListener('click', () => this.doLoad());
    this.name.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter') this.doSave();
    });
    this.list.addEventListener('change', () => {
      if (this.list.value) this.name.value = this.list.value;
    });
    this.list.addEventListener('focus', () => this.refresh());
    const saveBox = el('div', 'lp-inline');
    saveBox.append(this.name, this.save);
    const loadBox = el('div', 'lp-inline');
    loadBox.append(this.list, this.load);
    this.root.append(el('span', 'lp-label', {}, 'Session'), saveBox, loadBox);
    this.fill([]);
  }

  fill(names) {
    const keep = this.list.value;
    const opts = [el('option', '', { value: '' }, names.length ? 'Saved sessions\u2026' : 'No saved sessions')];
    for (const n of names.sort((a, b) => a.localeCompare(b))) opts.push(el('option', '', { value: n }, n));
    this.list.replaceChildren(...opts);
    if (names.includes(keep)) this.list.value = keep;
  }

  async refresh() {
    try {
      this.fill(sessionNames(await this.request('looper.list_sessions', {})));
    } catch {
      /* offline or no looper on this server: the list stays as it was */
    }
  }

  validName(name) {
    if (NAME_RE.test(name)) return true;
    this.say('Session names: 1-64 letters, digits, space, _ . - (not starting with a dot)', 'error');
    return false;
  }

  async busy(button, label, fn) {
    const text = button.textContent;
    button.disabled = true;
    button.textContent = label;
    try {
      await fn();
    } catch (e) {
      this.say(e.message, 'error');
    } finally {
      button.disabled = false;
      button.textContent = text;
    }
  }

  doSave() {
    const name = this.name.value.trim();
    if (!this.validName(name)) return;
    this.busy(this.save, 'Saving\u2026', async () => {
      await this.request('looper.save_session', { name }, { timeoutMs: 30000 });
      this.say(`Saved \u201c${name}\u201d`, 'ok');
      await this.refresh();
      this.list.value = name;
    });
  }

  doLoad() {
    const name = this.list.value || this.name.value.trim();
    if (!this.validName(name)) return;
    this.busy(this.load, 'Loading\u2026', async () => {
      await this.request('looper.load_session', { name }, { timeoutMs: 30000 });
      this.name.value = name;
      this.say(`Loaded \u201c${name}\u201d`, 'ok');
    });
  }
}
