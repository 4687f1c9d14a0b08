// Looper grid: one column per looper column (header with its length in
// beats, editable), one big cell per track.  A cell shows the state by
// colour, a progress ring (loop position), the track number inside the
// ring, a solo badge, the pending state while an action waits for its
// boundary, and a waveform thumbnail of the current layer.
//
// Between server pushes (at most 15/s) positions are extrapolated from the
// sample rate so the rings turn smoothly; every push resynchronises them.

import { drawWave } from './looper-wave.js';
import { el } from './looper-dom.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const RING_R = 19;
const RING_LEN = 2 * Math.PI * RING_R;
const ADVANCING = new Set(['recording', 'playing', 'overdubbing', 'muted']);
const LONG_PRESS_MS = 450;
const MAX_BEATS = 256;

export const STATE_LABEL = {
  empty: 'Empty',
  recording: 'Rec',
  playing: 'Play',
  overdubbing: 'Dub',
  muted: 'Mute',
};

function ring() {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 44 44');
  svg.setAttribute('class', 'lp-ring');
  svg.setAttribute('aria-hidden', 'true');
  for (const cls of ['lp-ring-bg', 'lp-ring-fg']) {
    const c = document.createElementNS(SVG_NS, 'circle');
    c.setAttribute('class', cls);
    c.setAttribute('cx', '22');
    c.setAttribute('cy', '22');
    c.setAttribute('r', String(RING_R));
    svg.append(c);
  }
  const fg = svg.lastChild;
  fg.setAttribute('stroke-dasharray', RING_LEN.toFixed(2));
  fg.setAttribute('stroke-dashoffset', RING_LEN.toFixed(2));
  return { svg, fg };
}

function buildCell(c, t) {
  const root = el('button', 'lp-cell', {
    type: 'button',
    'data-testid': `track-${c}-${t}`,
    'data-state': 'empty',
    'data-next-state': '',
    'data-pending-action': '',
    'data-waiting': 'false',
    'data-progress': '0',
    'data-wave': 'none',
  });
  const { svg, fg } = ring();
  const num = el('span', 'lp-num', { 'aria-hidden': 'true' }, String(t + 1));
  const ringBox = el('span', 'lp-ringbox');
  ringBox.append(svg, num);
  const state = el('span', 'lp-state', {}, STATE_LABEL.empty);
  const pend = el('span', 'lp-pend', { 'aria-hidden': 'true' });
  const info = el('span', 'lp-info');
  info.append(state, pend);
  const solo = el('span', 'lp-solo', { 'aria-hidden': 'true', title: 'solo' }, 'S');
  // The canvas sits absolutely in its box, so its bitmap size never feeds
  // back into the cell's layout.
  const canvas = el('canvas', 'lp-wave', { 'aria-hidden': 'true' });
  const waveBox = el('span', 'lp-wavebox');
  waveBox.append(canvas);
  root.append(ringBox, info, solo, waveBox);
  return {
    c, t, root, fg, state, pend, canvas,
    track: { state: 'empty', next_state: null, position: 0, frames: 0, solo: false },
    rx: 0, shown: {}, peaks: null, waveFill: 1, progress: -1,
  };
}

function buildColumn(c, nTracks, handlers) {
  const col = el('div', 'lp-col', { role: 'group', 'aria-label': `Column ${c + 1}` });
  const head = el('div', 'lp-colhead');
  const name = el('span', 'lp-colname', {}, `C${c + 1}`);
  const beats = el('input', 'lp-beats', {
    type: 'number', min: '0', max: String(MAX_BEATS), step: '1', inputmode: 'numeric',
    'data-testid': `column-${c}-beats`, 'aria-label': `Column ${c + 1} length in beats (0 = free)`,
    title: 'Loop length in beats (0 = set by the first recording)',
  });
  const unit = el('span', 'lp-unit', { 'aria-hidden': 'true' }, 'beats');
  beats.addEventListener('change', () => {
    const v = Number(beats.value);
    if (Number.isInteger(v) && v >= 0 && v <= MAX_BEATS) handlers.onColumnBeats(c, v);
    else beats.value = beats.dataset.server ?? '0';
  });
  beats.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') beats.blur();
  });
  head.append(name, beats, unit);
  col.append(head);
  const cells = [];
  for (let t = 0; t < nTracks; t++) {
    const cell = buildCell(c, t);
    wirePress(cell, handlers);
    cells.push(cell);
    col.append(cell.root);
  }
  return { root: col, head, beats, cells, beatsValue: 0 };
}

// Tap = the pedal action; a long press (or right click) only selects, so a
// track can be picked for the action bar without changing what it plays.
function wirePress(cell, handlers) {
  let timer = 0;
  let longPressed = false;
  const cancel = () => clearTimeout(timer);
  cell.root.addEventListener('pointerdown', (ev) => {
    if (ev.button !== 0) return;
    longPressed = false;
    timer = setTimeout(() => {
      longPressed = true;
      handlers.onSelect(cell.c, cell.t);
    }, LONG_PRESS_MS);
  });
  for (const type of ['pointerup', 'pointerleave', 'pointercancel']) cell.root.addEventListener(type, cancel);
  cell.root.addEventListener('click', () => {
    if (longPressed) {
      longPressed = false;
      return;
    }
    handlers.onTap(cell.c, cell.t);
  });
  cell.root.addEventListener('contextmenu', (ev) => {
    ev.preventDefault();
    cancel();
    handlers.onSelect(cell.c, cell.t);
  });
}

function setAttr(node, name, value) {
  if (node.getAttribute(name) !== value) node.setAttribute(name, value);
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

export class LooperGrid {
  /** handlers: onTap(c, t), onSelect(c, t), onColumnBeats(c, beats). */
  constructor(container, handlers) {
    this.container = container;
    this.handlers = handlers;
    this.columns = [];
    this.selected = { column: 0, track: 0 };
    this.timing = { rate: 48000, bpm: 120, beatsPerBar: 4, running: false };
    this.resize = new ResizeObserver(() => this.redrawWaves());
  }

  get shape() {
    return [this.columns.length, this.columns[0]?.cells.length ?? 0];
  }

  build(nColumns, nTracks) {
    this.resize.disconnect();
    this.columns = [];
    const nodes = [];
    for (let c = 0; c < nColumns; c++) {
      const col = buildColumn(c, nTracks, this.handlers);
      this.columns.push(col);
      nodes.push(col.root);
      for (const cell of col.cells) this.resize.observe(cell.canvas);
    }
    this.container.style.setProperty('--cols', String(nColumns));
    this.container.replaceChildren(...nodes);
    this.setSelected(this.selected.column, this.selected.track);
  }

  cell(c, t) {
    return this.columns[c]?.cells[t] ?? null;
  }

  *cells() {
    for (const col of this.columns) yield* col.cells;
  }

  /** Apply one looper state object (GET /api/v1/looper shape). */
  update(state, timing, rxTime) {
    this.timing = timing;
    const cols = Array.isArray(state.columns) ? state.columns : [];
    const nTracks = Math.max(0, ...cols.map((col) => (Array.isArray(col.tracks) ? col.tracks.length : 0)));
    const [hc, ht] = this.shape;
    if (cols.length && (cols.length !== hc || nTracks !== ht)) this.build(cols.length, nTracks);
    cols.forEach((col, c) => this.updateColumn(this.columns[c], col, rxTime));
    // With a solo on, only soloed tracks sound: the others are drawn dim.
    const solo = cols.some((col) => (col.tracks || []).some((tr) => tr.solo === true));
    this.container.classList.toggle('has-solo', solo);
  }

  updateColumn(view, col, rxTime) {
    if (!view) return;
    const beats = Number.isFinite(col.beats) ? col.beats : 0;
    view.beatsValue = beats;
    view.beats.dataset.server = String(beats);
    if (document.activeElement !== view.beats && view.beats.value !== String(beats)) view.beats.value = String(beats);
    view.head.dataset.free = String(beats === 0);
    (col.tracks || []).forEach((tr, t) => {
      const cell = view.cells[t];
      if (!cell) return;
      cell.track = tr;
      cell.rx = rxTime;
      this.renderCell(cell);
    });
  }

  renderCell(cell) {
    const tr = cell.track;
    const state = STATE_LABEL[tr.state] ? tr.state : 'empty';
    // next_state names the state a waiting action leads to; actions that
    // keep the state (solo, undo, ...) only show as pending_action.
    const next = typeof tr.next_state === 'string' ? tr.next_state : '';
    const action = typeof tr.pending_action === 'string' ? tr.pending_action : '';
    const waiting = next !== '' || action !== '';
    setAttr(cell.root, 'data-state', state);
    setAttr(cell.root, 'data-next-state', next);
    setAttr(cell.root, 'data-pending-action', action);
    setAttr(cell.root, 'data-waiting', String(waiting));
    setAttr(cell.root, 'data-solo', String(tr.solo === true));
    setAttr(cell.root, 'data-unsaved', String(tr.unsaved === true));
    // A track that would play but the transport is stopped (a restored
    // session, or after Stop) is ready, not playing: no green PLAY.
    const idle = state === 'playing' && !this.timing.running;
    setAttr(cell.root, 'data-idle', String(idle));
    setText(cell.state, idle ? 'Ready' : STATE_LABEL[state]);
    const pendName = next ? (STATE_LABEL[next] ?? next) : action;
    setText(cell.pend, waiting ? `\u2192 ${pendName}` : '');
    const vol = Number.isFinite(tr.volume) ? ` volume ${tr.volume.toFixed(2)}` : '';
    const label = `Column ${cell.c + 1} track ${cell.t + 1}: ${idle ? 'ready (transport stopped)' : state}` +
      `${waiting ? `, next ${pendName}` : ''}${tr.solo ? ', solo' : ''}${vol}`;
    setAttr(cell.root, 'aria-label', label);
    if (state === 'empty' && cell.root.dataset.wave !== 'none') this.setWave(cell.c, cell.t, null);
  }

  setSelected(column, track) {
    this.selected = { column, track };
    for (const cell of this.cells()) {
      const on = cell.c === column && cell.t === track;
      setAttr(cell.root, 'aria-pressed', String(on));
      cell.root.classList.toggle('selected', on);
    }
    this.columns.forEach((col, c) => col.head.classList.toggle('selected', c === column));
  }

  // Frames of one loop pass of a column, 0 when its length is free.
  columnSpan(c) {
    const beats = this.columns[c]?.beatsValue ?? 0;
    const { rate, bpm } = this.timing;
    return beats > 0 && bpm > 0 ? Math.round((beats * 60 * rate) / bpm) : 0;
  }

  // Where a track is in its loop now, 0..1.
  progress(cell, now) {
    const tr = cell.track;
    const { rate, bpm, running, beatsPerBar } = this.timing;
    if (!ADVANCING.has(tr.state)) return 0;
    const moving = running && rate > 0;
    const pos = (Number(tr.position) || 0) + (moving ? ((now - cell.rx) / 1000) * rate : 0);
    const span = this.columnSpan(cell.c);
    if (tr.state === 'recording') {
      if (span > 0) return Math.min(1, pos / span);
      // Free length: the ring counts bars until the take is closed.
      const bar = bpm > 0 ? (beatsPerBar * 60 * rate) / bpm : 0;
      return bar > 0 ? (pos % bar) / bar : 0;
    }
    const loop = span || Number(tr.frames) || 0;
    return loop > 0 ? (pos % loop) / loop : 0;
  }

  /** Move every ring; called from requestAnimationFrame. */
  tick(now) {
    for (const cell of this.cells()) {
      const p = this.progress(cell, now);
      if (Math.abs(p - cell.progress) < 0.001) continue;
      cell.progress = p;
      cell.fg.setAttribute('stroke-dashoffset', (RING_LEN * (1 - p)).toFixed(2));
      cell.root.dataset.progress = p.toFixed(3);
    }
  }

  /** Show (or with peaks null, remove) a cell's waveform. */
  setWave(c, t, peaks, frames = 0) {
    const cell = this.cell(c, t);
    if (!cell) return;
    cell.peaks = peaks;
    const span = this.columnSpan(c);
    cell.waveFill = span > 0 && frames > 0 ? Math.min(1, frames / span) : 1;
    this.drawCellWave(cell);
    cell.root.dataset.wave = peaks ? 'drawn' : 'none';
  }

  drawCellWave(cell) {
    drawWave(cell.canvas, cell.peaks, { fill: cell.waveFill });
  }

  redrawWaves() {
    for (const cell of this.cells()) if (cell.peaks) this.drawCellWave(cell);
  }
}
