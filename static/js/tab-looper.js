// Looper tab: the grid of loop tracks, the transport bar, the action bar for
// the selected track and sessions.
//
// State comes only from the server: {"type":"looper", ...} pushes on the
// WebSocket and GET /api/v1/looper whenever the socket (re)opens.  Every
// control sends the same commands as REST through the socket; nothing is
// changed locally ahead of the server except the track selection.
//
// Tapping a cell works like a one-button looper pedal (SooperLooper's
// record/overdub cycle), judged on the state the track is heading for:
//   empty -> record, recording -> play (closes the take), playing ->
//   overdub, overdubbing -> play, muted -> play.

import { ActionBar } from './looper-actions.js';
import { el } from './looper-dom.js';
import { LooperGrid } from './looper-grid.js';
import { mountKeys } from './looper-keys.js';
import { SessionBar } from './looper-session.js';
import { TransportBar } from './looper-transport.js';
import { WaveLoader } from './looper-wave.js';

const DEFAULT_SHAPE = [4, 4];
const MESSAGE_MS = 5000;
const ENGINE_GRACE_MS = 1000;
// After a local selection, pushes still carrying the old one are ignored.
const SELECT_HOLD_MS = 600;
const WAVE_STATES = new Set(['playing', 'muted']);
const WAVE_RETRY_MS = 2000;

const TAP_ACTION = {
  empty: 'record',
  recording: 'play',
  playing: 'overdub',
  overdubbing: 'play',
  muted: 'play',
};

const HELP = 'Tap a track like a looper pedal: empty \u2192 record, recording \u2192 play, ' +
  'playing \u2192 overdub, overdubbing \u2192 play, muted \u2192 play. Long-press (or right-click) only ' +
  'selects it for the buttons below. Changes wait for the next beat or bar (quantize); a waiting ' +
  'track pulses and shows where it is going. Clear needs a second tap.';

function mountLooper(panel, { socket, api }) {
  const root = el('fieldset', 'lp', { disabled: '', 'aria-label': 'Looper' });
  // Two lines: the banner holds a lasting condition (server or engine
  // away), the message the outcome of the last action; neither hides the other.
  const banner = el('div', 'lp-banner', { 'data-testid': 'looper-banner', role: 'status', 'aria-live': 'polite' });
  const msg = el('div', 'lp-msg', { 'data-testid': 'looper-message', role: 'status', 'aria-live': 'polite' });
  let msgTimer = 0;
  const say = (text, kind = 'info') => {
    clearTimeout(msgTimer);
    msg.textContent = text;
    msg.dataset.kind = kind;
    if (kind === 'error') msg.dataset.lastError = text; // outlives the fade, for tests
    if (text) msgTimer = setTimeout(() => say(''), MESSAGE_MS);
  };
  const warn = (text) => {
    if (banner.textContent !== text) banner.textContent = text;
  };

  const request = (cmd, args, opts) => socket.request(cmd, args, opts);
  const send = (cmd, args) => request(cmd, args).catch((e) => say(`${cmd}: ${e.message}`, 'error'));

  let state = null;
  let selected = { column: 0, track: 0 };
  let selectedAt = -Infinity;
  let epoch = 0; // bumps when the engine or the link changes: reload waves
  const waveKeys = new Map(); // "c/t" -> key of the drawn (or loading) layer

  const transport = new TransportBar(send);
  const actions = new ActionBar(send);
  const sessions = new SessionBar(request, say);
  const gridBox = el('div', 'lp-grid', { 'data-testid': 'looper-grid' });
  const grid = new LooperGrid(gridBox, {
    onTap(c, t) {
      select(c, t);
      const tr = grid.cell(c, t)?.track;
      const heading = tr?.next_state || tr?.state || 'empty';
      send(`looper.${TAP_ACTION[heading] ?? 'record'}`, { column: c, track: t });
    },
    onSelect: select,
    onColumnBeats: (c, beats) => send('looper.set_column', { column: c, beats }),
  });
  grid.build(...DEFAULT_SHAPE);

  const loader = new WaveLoader((key, peaks, wav) => {
    const [c, t] = key.split('/').map(Number);
    grid.setWave(c, t, peaks, wav.frames);
  }, (key) => {
    const [c, t] = key.split('/').map(Number);
    const cell = grid.cell(c, t);
    if (cell && cell.track.state !== 'empty') cell.root.dataset.wave = 'error';
    // Try again a little later (a take may still be on its way to disk).
    setTimeout(() => waveKeys.delete(key), WAVE_RETRY_MS);
  });

  const keysHelp = mountKeys(panel, {
    selected: () => selected,
    shape: () => [state?.columns?.length || DEFAULT_SHAPE[0], state?.columns?.[0]?.tracks?.length || DEFAULT_SHAPE[1]],
    select,
    act: (a) => send(`looper.${a}`, { ...selected }),
    running: () => !!state?.transport?.running,
    trackState: () => grid.cell(selected.column, selected.track)?.track?.state,
    send,
  });
  const keysBtn = el('button', 'lp-btn lp-keys-btn', { type: 'button', 'data-testid': 'keys-button', 'aria-label': 'Keyboard shortcuts' }, '? Keys');
  keysBtn.addEventListener('click', () => { keysHelp.hidden = !keysHelp.hidden; });
  const help = el('p', 'lp-help', {}, HELP);
  help.append(' ', keysBtn);
  const gridWrap = el('div', 'lp-gridwrap');
  const legend = el('p', 'lp-legend', {}, 'Column headers: loop length in beats (0 = set by the first take).');
  gridWrap.append(gridBox);
  root.append(transport.root, transport.settings, banner, legend, gridWrap, actions.root, msg, sessions.root, help, keysHelp);
  panel.append(root);

  function select(c, t) {
    selected = { column: c, track: t };
    selectedAt = performance.now();
    grid.setSelected(c, t);
    actions.show(selected, grid.cell(c, t)?.track);
    request('looper.select', { column: c, track: t }).catch(() => {
      /* selection is also kept here; older servers lack the command */
    });
  }

  function rate() {
    const r = socket.lastStatus?.sample_rate;
    return Number.isFinite(r) && r > 0 ? r : 48000;
  }

  function refreshWaves() {
    for (const cell of grid.cells()) {
      const key = `${cell.c}/${cell.t}`;
      const tr = cell.track;
      if (tr.state === 'empty') {
        waveKeys.delete(key);
        loader.cancel(key);
        continue;
      }
      if (!WAVE_STATES.has(tr.state)) continue; // the layer is still being written
      const layerKey = `${epoch}:${tr.layer}:${tr.layers}:${tr.frames}`;
      if (waveKeys.get(key) === layerKey) continue;
      waveKeys.set(key, layerKey);
      loader.request(key, `/api/v1/looper/tracks/${cell.c}/${cell.t}.wav`);
    }
  }

  function apply(s) {
    const rx = performance.now();
    state = s;
    root.disabled = false;
    const t = s.transport || {};
    grid.update(s, {
      rate: rate(), bpm: Number(t.bpm) || 120, beatsPerBar: Number(t.beats_per_bar) || 4, running: !!t.running,
    }, rx);
    transport.update(s, rate(), rx);
    const srv = s.selected;
    if (srv && Number.isInteger(srv.column) && rx - selectedAt > SELECT_HOLD_MS &&
        (srv.column !== selected.column || srv.track !== selected.track)) {
      selected = { column: srv.column, track: srv.track };
      grid.setSelected(selected.column, selected.track);
    }
    actions.show(selected, grid.cell(selected.column, selected.track)?.track);
    refreshWaves();
    showEngine(s.connected !== false);
  }

  // The server keeps answering without an engine; say why nothing moves,
  // once it has been gone a moment (a restart takes a fraction of a second).
  let engineTimer = 0;
  function showEngine(up) {
    if (up) {
      clearTimeout(engineTimer);
      engineTimer = 0;
      if (/^Engine/.test(banner.textContent)) warn('');
    } else if (!engineTimer) {
      engineTimer = setTimeout(() => warn('Engine offline \u2014 loops resume when it is back.'), ENGINE_GRACE_MS);
    }
  }

  async function fetchState() {
    try {
      apply(await api.apiGet('/api/v1/looper'));
      if (!/^Engine/.test(banner.textContent)) warn('');
      sessions.refresh();
    } catch (e) {
      warn(e.status === 404 ? 'This server has no looper.' : `Looper state unavailable: ${e.message}`);
    }
  }

  socket.on('message', (m) => {
    if (m.type === 'looper') apply(m);
    else if (m.type === 'event' && m.event === 'looper.nomem') say('Out of loop memory: the recording was cut short.', 'error');
    else if (m.type === 'event' && m.event === 'engine.connected') epoch++;
  });
  socket.on('state', (st) => {
    if (st === 'open') {
      epoch++;
      fetchState();
    } else {
      root.disabled = true;
      warn(st === 'closed' ? 'Server offline \u2014 reconnecting\u2026' : 'Connecting\u2026');
    }
  });
  if (socket.state === 'open') fetchState();

  function frame(now) {
    if (!panel.hidden && state) {
      grid.tick(now);
      transport.tick(now);
    }
    requestAnimationFrame(frame);
  }
  requestAnimationFrame(frame);
}

export default {
  id: 'looper',
  title: 'Looper',
  mount: mountLooper,
};
