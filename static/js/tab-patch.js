// Patch tab: live coding of the engine's modular synth.  The editor
// (patch-editor.js) holds the text; Ctrl/Cmd-Enter or Apply sends it with
// patch.load over the WebSocket, swapped at the chosen quantize point
// (now / next beat / next bar).  A compile error comes back as "line L,
// column C: ..." and is drawn at that place; the old patch keeps playing.
//
// Where the text comes from: GET /api/v1/patch when the tab opens (the
// running patch), except that an edited, not yet applied draft in
// localStorage wins - with a button to load the running patch instead.
// When the server's patch changes under us (another client, the watched
// patch file) and the editor holds no unapplied edits, the editor follows.

import { el } from './patch-dom.js';
import { PatchEditor } from './patch-editor.js';
import { GraphView } from './patch-graph.js';
import { LevelView } from './patch-level.js';
import { ModulePanel, normalizeModules, templateLine } from './patch-modules.js';

const STORE_KEY = 'stagebox.patch';
const SAVE_MS = 300;
const LOAD_TIMEOUT_MS = 20000; // "bar" at a slow tempo waits seconds for the swap
const QUANTIZE = [['now', 'Now'], ['beat', 'Beat'], ['bar', 'Bar']];
const MAC = /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);
const LOC = /^line (\d+), column (\d+):\s*/i;

const EXAMPLE = `# A patch: one node per line, then the wires.
# Ctrl-Enter (Cmd-Enter on a Mac) applies it.
seq = seq(pattern: "c3 e3 g3 ~ [c4 e4] g3*2 <a3 b3>")
osc = saw(freq: c4)
env = adsr(a: 0.01, d: 0.2, s: 0.6, r: 0.3)
flt = svf(cutoff: 900, q: 2)
lfo = lfo(freq: 0.25)
amp = vca()

seq.pitch -> osc.voct
seq.gate -> env.gate
osc.out -> flt.in
lfo.out * 400 -> flt.cutoff
flt.lp -> amp.in
env.out -> amp.cv
amp.out * 0.4 -> out.left, out.right
`;

function loadStore() {
  try {
    const v = JSON.parse(localStorage.getItem(STORE_KEY) ?? 'null');
    return v && typeof v === 'object' ? v : {};
  } catch {
    return {};
  }
}

function saveStore(v) {
  try {
    localStorage.setItem(STORE_KEY, JSON.stringify(v));
  } catch {
    /* private mode or full: the draft just is not kept */
  }
}

/** "line 3, column 7: unknown ..." -> { line, col, what } (line 0 when none). */
export function parseError(message, line, column) {
  const m = LOC.exec(message ?? '');
  const l = Number.isInteger(line) ? line : m ? Number(m[1]) : 0;
  const c = Number.isInteger(column) ? column : m ? Number(m[2]) : 0;
  return { line: l, col: c, what: m ? message.slice(m[0].length) : message };
}

function mountPatch(panel, { socket, api }) {
  const store = loadStore();
  let quantize = QUANTIZE.some(([q]) => q === store.quantize) ? store.quantize : 'now';
  let server = null; // last GET /api/v1/patch result
  let synced = null; // text last loaded from or applied to the server
  let applying = false;
  let localError = null; // the last apply's error, until the next apply
  let lastLoad = null; // the last successful patch.load reply
  let available = true;
  let saveTimer = 0;
  let modulesLoaded = false;
  let refreshing = null;
  let again = false; // refresh() was called during a refresh: run once more
  let loadGen = 0; // bumps when a load finishes: older GET answers are stale

  // ---------- pieces ----------
  const editor = new PatchEditor({ onApply: () => apply(), onChange: () => changed() });
  const modules = new ModulePanel({ onInsert: (m) => editor.insertLine(templateLine(m, editor.value)) });
  const graph = new GraphView();
  const level = new LevelView(socket);

  const applyBtn = el('button', 'btn pt-apply', { type: 'button', 'data-testid': 'patch-apply' },
    'Apply', el('kbd', 'pt-kbd', {}, MAC ? '\u2318\u21b5' : 'Ctrl\u21b5'));
  const quantBtns = QUANTIZE.map(([q, label]) => el('button', 'pt-seg', {
    type: 'button', role: 'radio', 'data-value': q, 'aria-checked': String(q === quantize),
  }, label));
  const quant = el('div', 'pt-quant', { role: 'radiogroup', 'aria-label': 'Swap at', 'data-testid': 'patch-quantize' },
    ...quantBtns);
  const stopBtn = el('button', 'pt-btn', { type: 'button', 'data-testid': 'patch-stop', title: 'Stop the running patch' }, 'Stop');
  const statusText = el('span', 'pt-status-text', {}, 'loading');
  const statusDetail = el('span', 'pt-status-detail', {}, '');
  const status = el('div', 'pt-status', { 'data-testid': 'patch-status', 'data-state': 'unknown', role: 'status', 'aria-live': 'polite' },
    el('span', 'pt-dot', { 'aria-hidden': 'true' }), statusText, statusDetail);

  const errLoc = el('button', 'pt-err-loc', { type: 'button', title: 'Go to the error' }, '');
  const errText = el('span', 'pt-err-text', {}, '');
  const errBox = el('div', 'pt-error', { 'data-testid': 'patch-error', role: 'alert', hidden: true }, errLoc, errText);
  const revertBtn = el('button', 'pt-btn pt-small', { type: 'button', 'data-testid': 'patch-revert' }, 'Load running patch');
  const draftNote = el('div', 'pt-draft', { hidden: true },
    el('span', '', {}, 'Edited here, not applied yet.'), revertBtn);
  const keys = el('p', 'pt-keys', { id: 'patch-keys-hint' },
    el('kbd', '', {}, MAC ? '\u2318' : 'Ctrl'), '+', el('kbd', '', {}, 'Enter'), ' applies \u00b7 ',
    el('kbd', '', {}, 'Tab'), ' indents \u00b7 ', el('kbd', '', {}, 'Esc'), ' then ', el('kbd', '', {}, 'Tab'), ' leaves the editor');

  const root = el('div', 'pt', {},
    el('h2', 'visually-hidden', {}, 'Patch'),
    el('div', 'pt-bar', {}, applyBtn, el('span', 'pt-at', { 'aria-hidden': 'true' }, 'at'), quant, stopBtn, status),
    el('div', 'pt-edit', {}, editor.root, errBox, draftNote, keys),
    modules.root, graph.root, level.root);
  panel.append(root);

  // ---------- status ----------
  // The server says "error" after a failed load even while the previous
  // plan keeps playing; a serial means a plan is active.
  const hasPlan = () => server?.serial !== null && server?.serial !== undefined;

  function renderStatus() {
    let state = server?.status ?? 'unknown';
    let text = state;
    let detail = '';
    if (!available) {
      state = 'unavailable';
      text = 'no patch engine';
      detail = 'this server has no patch API';
    } else if (applying) {
      state = 'applying';
      text = 'applying';
      detail = quantize === 'now' ? '' : `swaps on the next ${quantize}`;
    } else if (localError) {
      state = 'error';
      text = 'not applied';
      detail = hasPlan() ? 'the previous patch keeps playing' : 'nothing is playing';
    } else if (state === 'running') {
      const n = server.graph?.nodes?.length;
      const bits = [];
      if (Number.isInteger(server.serial)) bits.push(`#${server.serial}`);
      if (lastLoad && lastLoad.serial === server.serial) {
        const count = (v) => (Array.isArray(v) ? v.length : Number.isInteger(v) ? v : 0);
        const gone = count(lastLoad.removed);
        bits.push(`${count(lastLoad.added)} new, ${count(lastLoad.kept)} kept${gone ? `, ${gone} gone` : ''}`);
        if (Number.isFinite(lastLoad.compile_us)) bits.push(`${(lastLoad.compile_us / 1000).toFixed(1)} ms`);
      } else if (Number.isInteger(n)) {
        bits.push(`${n} nodes`);
      }
      detail = bits.join(' \u00b7 ');
    } else if (state === 'error') {
      detail = hasPlan() ? 'the last load failed; the previous patch keeps playing' : 'the last load failed';
    } else if (socket.state !== 'open' && !server) {
      state = 'offline';
      text = 'offline';
    }
    status.dataset.state = state;
    statusText.textContent = text;
    statusDetail.textContent = detail;
    status.title = detail;
    applyBtn.setAttribute('aria-busy', String(applying));
    stopBtn.disabled = !hasPlan() || applying;
  }

  // ---------- errors ----------
  function showError(err) {
    if (!err) {
      errBox.hidden = true;
      delete errBox.dataset.line;
      delete errBox.dataset.column;
      errLoc.hidden = true;
      errText.textContent = '';
      editor.setError(null);
      return;
    }
    errBox.hidden = false;
    errText.textContent = err.what;
    if (err.line > 0) {
      errBox.dataset.line = String(err.line);
      errBox.dataset.column = String(err.col);
      errLoc.hidden = false;
      errLoc.textContent = `Line ${err.line}, column ${err.col}`;
      editor.setError({ line: err.line, col: err.col });
    } else {
      delete errBox.dataset.line;
      delete errBox.dataset.column;
      errLoc.hidden = true;
      editor.setError(null);
    }
  }

  errLoc.addEventListener('click', () => {
    if (localError?.line > 0) editor.focusAt(localError.line, localError.col);
  });

  // ---------- text and draft ----------
  function renderDraft() {
    draftNote.hidden = synced === null || editor.value === synced || !server?.text;
  }

  function changed() {
    renderDraft();
    clearTimeout(saveTimer);
    saveTimer = setTimeout(persist, SAVE_MS);
  }

  function persist() {
    saveStore({ text: editor.value, dirty: synced === null ? !!store.dirty : editor.value !== synced, quantize });
  }

  revertBtn.addEventListener('click', () => {
    if (server?.text === undefined) return;
    editor.setValue(server.text);
    changed();
    editor.ta.focus();
  });

  // First answer from the server: pick what the editor shows.
  function adoptText(first) {
    const text = typeof server.text === 'string' ? server.text : '';
    if (first) {
      const draft = typeof store.text === 'string' ? store.text : null;
      if (draft !== null && (store.dirty || !text)) editor.setValue(draft || (text ? text : EXAMPLE));
      else editor.setValue(text || EXAMPLE);
    } else if (text !== synced && editor.value === synced) {
      // Loaded elsewhere and nothing unapplied here: follow it.
      editor.setValue(text);
      localError = null;
      showError(null);
    }
    synced = text;
    renderDraft();
  }

  // ---------- server ----------
  async function refreshOnce() {
    const gen = loadGen;
    try {
      const first = server === null;
      const got = await api.apiGet('/api/v1/patch');
      // Fetched before a load finished: stale; the next round is not.
      if (gen !== loadGen) {
        again = true;
        return;
      }
      server = got;
      available = true;
      adoptText(first);
      graph.render(hasPlan() ? server.graph : null,
        server.status === 'stopped' ? 'Stopped: no patch is playing.' : 'No patch running.');
      // An error the server holds (the watched file failed to compile)
      // is shown when it is about the text in the editor.
      if (!localError && server.status === 'error' && server.error && editor.value === server.text) {
        showError(parseError(server.error, server.line, server.column));
      }
    } catch (e) {
      if (e.status === 404 || e.status === 405 || e.status === 501) {
        available = false;
        graph.render(null, 'This server has no patch engine.');
      }
      if (server === null && typeof store.text === 'string') editor.setValue(store.text);
      else if (server === null && !editor.value) editor.setValue(EXAMPLE);
    }
  }

  // One GET at a time; a call during one runs another after it, so the
  // caller always sees state fetched after its call.
  function refresh() {
    if (refreshing) {
      again = true;
      return refreshing;
    }
    refreshing = (async () => {
      do {
        again = false;
        await refreshOnce();
      } while (again);
      refreshing = null;
      renderStatus();
    })();
    return refreshing;
  }

  async function loadModules() {
    if (modulesLoaded) return;
    try {
      const mods = normalizeModules(await api.apiGet('/api/v1/modules'));
      modules.setModules(mods);
      editor.setTypes(new Set(mods.map((m) => m.type)));
      modulesLoaded = true;
    } catch (e) {
      modules.fail(e.message);
    }
  }

  function send(cmd, args, timeoutMs) {
    if (socket.state === 'open') return socket.request(cmd, args, { timeoutMs });
    return api.command(cmd, args, { timeoutMs });
  }

  async function apply() {
    if (applying) return;
    const text = editor.value;
    applying = true;
    renderStatus();
    try {
      lastLoad = await send('patch.load', { text, quantize }, LOAD_TIMEOUT_MS);
      localError = null;
      showError(null);
      synced = text;
      persist();
      // The reply is the news: running with this serial.  The GET below
      // brings the graph.
      if (server) server = { ...server, status: 'running', serial: lastLoad.serial, text, error: null };
    } catch (e) {
      // Only the message crosses ws.js / api.js; its "line L, column C:"
      // prefix is the contract (SPEC-PATCH).
      localError = parseError(e.message, e.line, e.column);
      showError(localError);
    }
    loadGen++;
    applying = false;
    renderStatus();
    await refresh();
  }

  applyBtn.addEventListener('click', () => apply());
  stopBtn.addEventListener('click', async () => {
    try {
      await send('patch.stop', {}, LOAD_TIMEOUT_MS);
    } catch (e) {
      localError = parseError(e.message);
      showError(localError);
    }
    await refresh();
  });
  quant.addEventListener('click', (ev) => {
    const b = ev.target.closest('.pt-seg');
    if (!b) return;
    quantize = b.dataset.value;
    for (const q of quantBtns) q.setAttribute('aria-checked', String(q === b));
    persist();
    renderStatus();
  });
  quant.addEventListener('keydown', (ev) => {
    const i = quantBtns.indexOf(document.activeElement);
    const to = { ArrowRight: i + 1, ArrowDown: i + 1, ArrowLeft: i - 1, ArrowUp: i - 1 }[ev.key];
    if (i < 0 || to === undefined) return;
    ev.preventDefault();
    const b = quantBtns[(to + quantBtns.length) % quantBtns.length];
    b.focus();
    b.click();
  });

  socket.on('state', (s) => {
    if (s === 'open') {
      loadModules();
      refresh();
    }
    renderStatus();
  });
  socket.on('event', (ev) => {
    if (typeof ev.event === 'string' && ev.event.startsWith('patch.')) refresh();
    if (ev.event === 'engine.connected') refresh();
  });
  let lastSerial;
  socket.on('status', (st) => {
    const serial = st.patch_serial ?? st.patch?.serial;
    if (serial !== undefined && serial !== lastSerial) {
      if (lastSerial !== undefined && !applying) refresh();
      lastSerial = serial;
    }
  });

  editor.setValue(typeof store.text === 'string' ? store.text : '');
  renderStatus();
  loadModules();
  refresh();
}

export default {
  id: 'patch',
  title: 'Patch',
  mount: mountPatch,
};
