// What the patch is doing, as far as the server tells us.  The browser gets
// no audio, so there is no scope here: if the status carries main-output
// peaks they are drawn as L/R meters; otherwise this says so and shows the
// engine's DSP load over the last half minute instead (the whole engine's
// load - looper, patch and all - not the patch's alone).

import { el, svg } from './patch-dom.js';
import { DB_FLOOR, dbToFrac, fmtDb, linToDb } from './format.js';

const HISTORY = 150; // status pushes kept for the load trace
const MIN_GAP_MS = 180; // the trace advances at most ~5 times a second
const OUT_FIELDS = ['out_peaks', 'output_peaks', 'peaks_out', 'main_peaks'];
const TRACE_W = 300;
const TRACE_H = 64;
const HOT_DB = -1; // a row turns red from here (dBFS)

function outPeaks(st) {
  for (const f of OUT_FIELDS) if (Array.isArray(st?.[f])) return { field: f, peaks: st[f] };
  return null;
}

function meterRow(name) {
  const fill = el('span', 'pl-fill');
  const db = el('span', 'pl-db', {}, fmtDb(DB_FLOOR));
  const row = el('div', 'pl-row', {}, el('span', 'pl-name', {}, name), el('span', 'pl-bar', {}, fill), db);
  return { row, fill, db };
}

export class LevelView {
  constructor(socket) {
    this.loads = [];
    this.lastAt = 0;
    this.source = null;
    this.title = el('h3', '', {}, 'Output');
    this.caption = el('span', 'hint', {}, '');
    this.note = el('p', 'pl-note', {}, '');
    this.body = el('div', 'pl-body');
    this.root = el('section', 'pt-card pl', { 'data-testid': 'patch-level', 'data-source': 'none', 'aria-label': 'Output level' },
      el('div', 'pt-card-head', {}, this.title, this.caption), this.body, this.note);
    this.showNone('Waiting for the engine\u2026');
    socket.on('status', (st) => this.onStatus(st));
    socket.on('state', (s) => {
      if (s !== 'open') this.showNone('Server offline.');
    });
  }

  setSource(source) {
    if (this.source === source) return false;
    this.source = source;
    this.root.dataset.source = source;
    return true;
  }

  showNone(why) {
    this.setSource('none');
    this.title.textContent = 'Output';
    this.caption.textContent = '';
    this.body.replaceChildren();
    this.note.textContent = why;
    this.loads = [];
  }

  onStatus(st) {
    if (st?.connected !== true) {
      this.showNone('Engine not running: nothing to show.');
      return;
    }
    const out = outPeaks(st);
    if (out) this.showPeaks(out, st);
    else this.showLoad(st);
  }

  // st.out_peaks_over / st.output.over (the safety stage) mark a row red.
  showPeaks({ field, peaks }, st = {}) {
    if (this.setSource(field)) {
      this.title.textContent = 'Main out';
      this.caption.textContent = 'peak dBFS';
      this.meters = ['L', 'R'].map(meterRow);
      this.body.replaceChildren(el('div', 'pl-rows', {}, ...this.meters.map((m) => m.row)));
      this.note.textContent = 'Peak of the engine\u2019s main out per status push (no audio reaches the browser).';
    }
    const over = st.output?.over === true;
    this.caption.textContent = over ? 'peak dBFS \u00b7 OVER' : 'peak dBFS';
    this.meters.forEach((m, i) => {
      const db = linToDb(Number(peaks[i]) || 0);
      m.fill.style.setProperty('--lit', dbToFrac(db).toFixed(3));
      m.db.textContent = fmtDb(db);
      m.row.classList.toggle('hot', over || st.out_peaks_over?.[i] === true || db >= HOT_DB);
    });
  }

  showLoad(st) {
    if (this.setSource('dsp_load')) {
      this.title.textContent = 'Engine DSP load';
      this.value = el('strong', 'pl-value', {}, '\u2014');
      this.peak = el('span', 'pl-peak', {}, '');
      this.line = svg('polyline', { class: 'pl-trace', points: '' });
      this.area = svg('polygon', { class: 'pl-area', points: '' });
      const grid = [0.25, 0.5, 0.75].map((f) => svg('line', { class: 'pl-grid', x1: 0, x2: TRACE_W, y1: TRACE_H * (1 - f), y2: TRACE_H * (1 - f) }));
      const chart = svg('svg', { class: 'pl-chart', viewBox: `0 0 ${TRACE_W} ${TRACE_H}`, preserveAspectRatio: 'none', 'aria-hidden': 'true' },
        ...grid, this.area, this.line);
      this.body.replaceChildren(el('div', 'pl-readout', {}, this.value, this.peak), chart);
      this.note.textContent = 'The server reports no output level, and no audio reaches the browser: ' +
        'this is the load of the whole engine (patch, looper and all), last 30 s.';
    }
    const now = performance.now();
    const load = Number(st.dsp_load);
    if (!Number.isFinite(load)) return;
    if (now - this.lastAt >= MIN_GAP_MS) {
      this.lastAt = now;
      this.loads.push(load);
      if (this.loads.length > HISTORY) this.loads.shift();
      this.drawTrace();
    }
    this.value.textContent = `${(load * 100).toFixed(load < 0.1 ? 1 : 0)}%`;
    const pk = Number(st.dsp_load_peak);
    this.peak.textContent = Number.isFinite(pk) ? `peak ${(pk * 100).toFixed(1)}%` : '';
  }

  drawTrace() {
    // Scale to the busiest moment shown, at least 10 %, so a light patch
    // still shows its shape.
    const top = Math.max(0.1, ...this.loads) * 1.1;
    const step = TRACE_W / (HISTORY - 1);
    const x0 = TRACE_W - (this.loads.length - 1) * step;
    const pts = this.loads.map((v, i) => `${(x0 + i * step).toFixed(1)},${(TRACE_H * (1 - Math.min(1, v / top))).toFixed(1)}`);
    this.line.setAttribute('points', pts.join(' '));
    this.area.setAttribute('points', `${x0.toFixed(1)},${TRACE_H} ${pts.join(' ')} ${TRACE_W},${TRACE_H}`);
    this.root.style.setProperty('--pl-top', `${(top * 100).toFixed(0)}%`);
  }
}
