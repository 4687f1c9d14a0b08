// Input meters.  Status pushes (up to 30 Hz) set each meter's target; a
// requestAnimationFrame loop moves the drawn level towards it with an
// instant attack and a steady release, like a hardware peak meter.

import { DB_FLOOR, dbToFrac, fmtDb, linToDb } from './format.js';

const RELEASE_DB_PER_S = 24;
const HOLD_MS = 1500;
const HOLD_FALL_DB_PER_S = 40;
const CLIP_LIN = 0.999;
const CLIP_HOLD_MS = 2000;
const READOUT_MS = 100; // numbers change slower than bars so they can be read
const SCALE_DB = [0, -6, -12, -18, -24, -36, -48, -60];

function el(tag, cls, attrs = {}) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

function buildScale() {
  const scale = el('div', 'meter-scale', { 'aria-hidden': 'true' });
  for (const db of SCALE_DB) {
    const mark = el('span', 'meter-mark');
    mark.style.setProperty('--pos', dbToFrac(db));
    // Short horizontal meters (phones) only have room for every other mark.
    if (db === -6 || db === -18) mark.classList.add('minor');
    mark.textContent = db === 0 ? '0' : String(db);
    scale.append(mark);
  }
  return scale;
}

function buildMeter(n) {
  const root = el('div', 'meter', {
    'data-testid': `meter-${n}`,
    'data-peak': '0',
    role: 'meter',
    'aria-label': `Input ${n}`,
    'aria-valuemin': String(DB_FLOOR),
    'aria-valuemax': '0',
    'aria-valuenow': String(DB_FLOOR),
  });
  const bar = el('div', 'meter-bar');
  const cover = el('div', 'meter-cover');
  const hold = el('div', 'meter-hold');
  const clip = el('div', 'meter-clip', { title: 'clipped' });
  bar.append(el('div', 'meter-grad'), cover, hold);
  const db = el('div', 'meter-db');
  db.textContent = fmtDb(DB_FLOOR);
  const name = el('div', 'meter-name');
  name.textContent = `In ${n}`;
  root.append(clip, bar, db, name);
  return {
    root, bar, db,
    target: DB_FLOOR, level: DB_FLOOR, hold: DB_FLOOR,
    holdUntil: 0, clipUntil: 0, shownDb: null, shownAt: 0, clipShown: false,
  };
}

export function mountMeters(container, socket) {
  let meters = [];
  let running = false;
  let lastT = 0;

  function rebuild(count) {
    container.replaceChildren(buildScale());
    meters = [];
    for (let i = 1; i <= count; i++) {
      const m = buildMeter(i);
      meters.push(m);
      container.append(m.root);
    }
    if (count === 0) {
      const p = el('p', 'empty');
      p.textContent = 'Waiting for the engine\u2026';
      container.replaceChildren(p);
    }
  }

  // overs: the engine's over flags (full scale, NaN or inf on the input):
  // they light the clip lamp even when the peak itself reads lower.
  function applyPeaks(peaks, overs, now) {
    meters.forEach((m, i) => {
      const lin = Number(peaks?.[i]);
      const v = Number.isFinite(lin) && lin > 0 ? lin : 0;
      m.root.dataset.peak = String(v);
      m.target = linToDb(v);
      if (v >= CLIP_LIN || overs?.[i] === true) m.clipUntil = now + CLIP_HOLD_MS;
    });
  }

  function onStatus(st) {
    const up = st.connected === true && Array.isArray(st.peaks);
    const count = up ? (Number.isInteger(st.inputs) ? st.inputs : st.peaks.length) : meters.length;
    if (count !== meters.length) rebuild(count);
    container.classList.toggle('idle', !up);
    applyPeaks(up ? st.peaks : null, up ? st.peaks_over : null, performance.now());
    wake();
  }

  function step(m, dt, now) {
    if (m.target >= m.level) m.level = m.target;
    else m.level = Math.max(m.target, m.level - RELEASE_DB_PER_S * dt);
    if (m.level >= m.hold) {
      m.hold = m.level;
      m.holdUntil = now + HOLD_MS;
    } else if (now > m.holdUntil) {
      m.hold = Math.max(m.level, m.hold - HOLD_FALL_DB_PER_S * dt);
    }
    return m.level > DB_FLOOR || m.hold > DB_FLOOR || m.clipUntil > now;
  }

  function draw(m, now) {
    m.bar.style.setProperty('--lit', dbToFrac(m.level).toFixed(4));
    m.bar.style.setProperty('--hold', dbToFrac(m.hold).toFixed(4));
    const clip = m.clipUntil > now;
    if (clip !== m.clipShown) {
      m.root.classList.toggle('clipping', clip);
      m.clipShown = clip;
    }
    if (now - m.shownAt < READOUT_MS && m.hold > DB_FLOOR) return;
    const text = fmtDb(m.hold);
    if (text !== m.shownDb) {
      m.db.textContent = text;
      m.root.setAttribute('aria-valuenow', m.hold.toFixed(1));
      m.shownDb = text;
    }
    m.shownAt = now;
  }

  function tick(now) {
    const dt = Math.min(0.1, Math.max(0, (now - lastT) / 1000));
    lastT = now;
    let busy = false;
    for (const m of meters) {
      busy = step(m, dt, now) || busy;
      draw(m, now);
    }
    running = busy;
    if (running) requestAnimationFrame(tick);
  }

  // The loop sleeps once every meter has fallen to the floor.
  function wake() {
    if (running) return;
    running = true;
    lastT = performance.now();
    requestAnimationFrame(tick);
  }

  socket.on('status', onStatus);
  socket.on('state', (state) => {
    if (state !== 'open') onStatus({ connected: false });
  });
}
