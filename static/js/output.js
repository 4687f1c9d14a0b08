// The main output strip in the header: L/R peak meters of what leaves the
// box (after the engine's safety stage), the over / limiting indicator,
// the master volume slider with its dB readout, and mute.  It lives in the
// header so it is on screen whatever tab is open, phone size included.
//
// Everything shown comes from the status pushes ("output", "out_peaks",
// "out_peaks_over"); the slider sends output.set_volume over the WebSocket,
// at most one request in flight and the latest position winning, so a
// drag never queues a backlog.

import { dbToFrac, fmtDb, linToDb } from './format.js';

const VOL_MIN_DB = -60; // the command's range (output.set_volume)
const VOL_MAX_DB = 6;
const VOL_STEP_DB = 0.5;
// After the player last touched the slider, status pushes leave it alone
// this long, so a push from before the change does not yank it back.
const HANDS_OFF_MS = 1500;
// A meter turns red from here (dBFS) or when the engine says over.
const HOT_DB = -1;

function el(tag, cls, attrs = {}, ...children) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  e.append(...children);
  return e;
}

function fmtVolume(db) {
  return `${db > 0 ? '+' : db < 0 ? '\u2212' : ''}${Math.abs(db).toFixed(1)} dB`;
}

function meter(name) {
  const fill = el('span', 'os-fill');
  const root = el('div', 'os-meter', { 'data-testid': `out-meter-${name}`, 'data-peak': '0', 'data-over': 'false' },
    el('span', 'os-name', {}, name), el('span', 'os-bar', { 'aria-hidden': 'true' }, fill));
  return { root, fill };
}

// What the indicator says: over beats limiting beats fine.
export function outputState(o) {
  if (!o) return { state: 'off', text: '\u2014', title: 'engine not running' };
  if (o.over)
    return { state: 'over', text: 'OVER', title: 'a sample over the ceiling or not a number reached the output in the last second' };
  if (o.limiting)
    return { state: 'limit', text: `LIMIT ${fmtDb(-o.gain_reduction_db)}`, title: 'the limiter is turning the output down' };
  return { state: 'ok', text: 'OK', title: `no over; ceiling ${fmtDb(o.ceiling_db)} dBFS` };
}

export function mountOutput(container, socket) {
  const meters = ['L', 'R'].map(meter);
  const flag = el('span', 'os-flag', { 'data-testid': 'out-over', 'data-state': 'off', role: 'status' }, '\u2014');
  const slider = el('input', 'os-slider', {
    type: 'range', min: VOL_MIN_DB, max: VOL_MAX_DB, step: VOL_STEP_DB, value: 0,
    'data-testid': 'out-volume', 'aria-label': 'Master volume', 'aria-valuetext': fmtVolume(0),
  });
  const readout = el('output', 'os-db', { 'data-testid': 'out-volume-db' }, fmtVolume(0));
  const mute = el('button', 'btn os-mute', { type: 'button', 'data-testid': 'out-mute', 'aria-pressed': 'false' }, 'Mute');
  const box = el('fieldset', 'os', { 'data-testid': 'output-strip', 'aria-label': 'Main output' },
    el('span', 'os-title', {}, 'Out'),
    el('div', 'os-meters', {}, ...meters.map((m) => m.root)), flag,
    el('label', 'os-vol', {}, el('span', 'os-vol-label', {}, 'Vol'), slider), readout, mute);
  container.replaceChildren(box);

  let want = null; // volume waiting to be sent
  let busy = false;
  let touchedAt = -Infinity;
  let muted = false;

  function showVolume(db) {
    const t = fmtVolume(db);
    readout.textContent = t;
    slider.setAttribute('aria-valuetext', t);
  }

  async function push() {
    if (busy || want === null) return;
    const db = want;
    want = null;
    busy = true;
    try {
      await socket.request('output.set_volume', { db });
      readout.removeAttribute('title');
    } catch (e) {
      readout.title = e.message;
    } finally {
      busy = false;
      push();
    }
  }

  slider.addEventListener('input', () => {
    want = Number(slider.value);
    touchedAt = performance.now();
    showVolume(want);
    push();
  });

  mute.addEventListener('click', async () => {
    try {
      await socket.request('output.mute', { on: !muted });
    } catch (e) {
      mute.title = e.message;
    }
  });

  function showMeters(st, o) {
    meters.forEach((m, i) => {
      const lin = Number(st.out_peaks?.[i]);
      const v = Number.isFinite(lin) && lin > 0 ? lin : 0;
      const db = linToDb(v);
      const over = st.out_peaks_over?.[i] === true || o?.over === true;
      m.root.dataset.peak = String(v);
      m.root.dataset.over = String(over);
      m.root.classList.toggle('hot', over || db >= HOT_DB);
      m.fill.style.setProperty('--lit', dbToFrac(db).toFixed(3));
    });
  }

  function onStatus(st) {
    const o = st.connected === true && st.output ? st.output : null;
    box.disabled = !o;
    showMeters(o ? st : {}, o);
    const f = outputState(o);
    flag.dataset.state = f.state;
    flag.textContent = f.text;
    flag.title = f.title;
    if (!o) return;
    muted = o.muted === true;
    mute.setAttribute('aria-pressed', String(muted));
    mute.textContent = muted ? 'Muted' : 'Mute';
    const idle = want === null && !busy && performance.now() - touchedAt > HANDS_OFF_MS;
    if (idle && Number.isFinite(o.volume_db) && Number(slider.value) !== o.volume_db) {
      slider.value = String(o.volume_db);
      showVolume(o.volume_db);
    }
  }

  socket.on('status', onStatus);
  socket.on('state', (state) => {
    if (state !== 'open') onStatus({ connected: false });
  });
}
