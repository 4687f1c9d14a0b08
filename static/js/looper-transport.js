// Looper transport bar: start/stop and the big beat/bar indicator (root),
// and the settings: tempo (with tap tempo), meter, quantize, click and
// monitor (settings; placed separately so a phone can put it lower).
//
// The indicator runs its own beat clock between server pushes (at most
// 15/s, coarser than a beat at fast tempi): it extrapolates from the last
// push's beat, transport frame and tempo, so it flashes on the beat rather
// than up to one push late, and it resynchronises on every push.

import { el, field, replay, throttle } from './looper-dom.js';

const BPM_MIN = 20;
const BPM_MAX = 300;
const TAP_RESET_MS = 2000;
const TAP_KEEP = 6;
// Past this much silence from the server the clock stops guessing.
const EXTRAPOLATE_MAX_MS = 1500;

function toggleButton(label, testid) {
  const b = el('button', 'lp-btn lp-toggle', { type: 'button', 'data-testid': testid, 'aria-pressed': 'false' });
  b.append(el('span', 'lp-led', { 'aria-hidden': 'true' }), el('span', '', {}, label));
  return b;
}

function numberInput(testid, min, max, step, label) {
  return el('input', 'lp-num-input', {
    type: 'number', min: String(min), max: String(max), step: String(step),
    inputmode: 'decimal', 'data-testid': testid, 'aria-label': label,
  });
}

// An input the server also writes: never overwrite what the user is typing.
function serverValue(input, value) {
  if (document.activeElement === input) return;
  if (input.value !== value) input.value = value;
}

function buildIndicator() {
  const root = el('div', 'lp-beat', {
    'data-testid': 'beat-indicator', 'data-running': 'false', 'data-beat': '-1', 'data-bar': '-1',
    'data-beat-in-bar': '-1', role: 'timer', 'aria-label': 'Bar and beat',
  });
  const num = el('div', 'lp-beat-num', {}, '\u2013');
  const dots = el('div', 'lp-beat-dots', { 'aria-hidden': 'true' });
  const cap = el('div', 'lp-beat-cap', {}, 'stopped');
  root.append(num, dots, cap);
  return { root, num, dots, cap, shown: null };
}

export class TransportBar {
  /** send(cmd, args) runs a command and reports its failure itself. */
  constructor(send) {
    this.send = send;
    this.t = { running: false, bpm: 120, beats_per_bar: 4, beat: -1, bar: -1, pos: 0 };
    this.click = { enabled: false, volume: 0.5 };
    this.monitor = true;
    this.rate = 48000;
    this.rx = 0;
    this.phase = 0;
    this.barAnchor = 0;
    this.shownBeat = -1;
    this.taps = [];
    this.root = el('div', 'lp-transport');
    this.build();
  }

  build() {
    this.ind = buildIndicator();
    this.start = el('button', 'lp-btn lp-start', { type: 'button', 'data-testid': 'transport-start' }, '\u25B6 Start');
    this.stop = el('button', 'lp-btn lp-stop', { type: 'button', 'data-testid': 'transport-stop' }, '\u25A0 Stop');
    this.start.addEventListener('click', () => this.send('transport.start', {}));
    this.stop.addEventListener('click', () => this.send('transport.stop', {}));
    const run = el('div', 'lp-run');
    run.append(this.start, this.stop);

    this.tempo = numberInput('tempo-input', BPM_MIN, BPM_MAX, 0.1, 'Tempo in BPM');
    this.tempo.addEventListener('change', () => this.sendTempo(Number(this.tempo.value)));
    this.tap = el('button', 'lp-btn lp-tap', { type: 'button', 'data-testid': 'tap-tempo' }, 'Tap');
    this.tap.addEventListener('pointerdown', (ev) => {
      ev.preventDefault(); // act on touch-down: a tap is a beat
      this.onTap();
    });
    this.tap.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' || ev.key === ' ') {
        ev.preventDefault();
        this.onTap();
      }
    });
    const tempoBox = el('div', 'lp-inline');
    tempoBox.append(this.tempo, this.tap);

    this.meter = numberInput('meter-input', 1, 32, 1, 'Beats per bar');
    this.meter.addEventListener('change', () => this.sendMeter(Number(this.meter.value)));

    this.quant = el('select', 'lp-select', { 'data-testid': 'quantize-select', 'aria-label': 'Quantize' });
    for (const [v, text] of [['off', 'Off'], ['beat', 'Beat'], ['bar', 'Bar']])
      this.quant.append(el('option', '', { value: v }, text));
    this.quant.addEventListener('change', () => this.send('looper.set_quantize', { mode: this.quant.value }));

    this.clickBtn = toggleButton('Click', 'click-toggle');
    this.clickBtn.addEventListener('click', () => this.sendClick(!this.click.enabled, this.click.volume));
    this.clickVol = el('input', 'lp-range', {
      type: 'range', min: '0', max: '1', step: '0.01', 'data-testid': 'click-volume', 'aria-label': 'Click volume',
    });
    const sendVol = throttle((v) => this.sendClick(this.click.enabled, v), 60);
    this.clickVol.addEventListener('input', () => sendVol(Number(this.clickVol.value)));
    const clickBox = el('div', 'lp-inline');
    clickBox.append(this.clickBtn, this.clickVol);

    this.monBtn = toggleButton('Monitor', 'monitor-toggle');
    this.monBtn.addEventListener('click', () => this.send('looper.set_monitor', { enabled: !this.monitor }));

    const settings = el('div', 'lp-settings', { role: 'group', 'aria-label': 'Transport settings' });
    settings.append(field('Tempo (BPM)', tempoBox, 'lp-f-tempo'), field('Beats / bar', this.meter, 'lp-f-meter'),
      field('Quantize', this.quant, 'lp-f-quant'), field('Metronome', clickBox, 'lp-f-click'),
      field('Input', this.monBtn, 'lp-f-mon'));
    this.root.append(this.ind.root, run);
    this.settings = settings;
    this.renderDots(4);
  }

  sendTempo(bpm) {
    if (!(bpm >= BPM_MIN && bpm <= BPM_MAX)) {
      this.tempo.value = String(this.t.bpm);
      return;
    }
    this.send('transport.set_tempo', { bpm: Math.round(bpm * 100) / 100 });
  }

  sendMeter(n) {
    if (!(Number.isInteger(n) && n >= 1 && n <= 32)) {
      this.meter.value = String(this.t.beats_per_bar);
      return;
    }
    this.send('transport.set_meter', { beats_per_bar: n });
  }

  sendClick(enabled, volume) {
    this.click = { enabled, volume };
    this.renderToggles();
    this.send('click.set', { enabled, volume });
  }

  // Average the intervals of the recent taps; a pause starts over.
  onTap() {
    const now = performance.now();
    if (this.taps.length && now - this.taps[this.taps.length - 1] > TAP_RESET_MS) this.taps = [];
    this.taps.push(now);
    if (this.taps.length > TAP_KEEP) this.taps.shift();
    replay(this.tap, 'lp-hit');
    if (this.taps.length < 2) return;
    const span = this.taps[this.taps.length - 1] - this.taps[0];
    const bpm = (60000 * (this.taps.length - 1)) / span;
    const clamped = Math.min(BPM_MAX, Math.max(BPM_MIN, Math.round(bpm * 10) / 10));
    this.tempo.value = String(clamped);
    this.sendTempo(clamped);
  }

  renderDots(n) {
    if (this.ind.dots.childElementCount === n) return;
    const dots = [];
    for (let i = 0; i < n; i++) dots.push(el('span', i === 0 ? 'lp-dot lp-dot-one' : 'lp-dot'));
    this.ind.dots.replaceChildren(...dots);
    this.ind.shown = null; // relight the current beat on the new dots
  }

  renderToggles() {
    this.clickBtn.setAttribute('aria-pressed', String(this.click.enabled));
    if (document.activeElement !== this.clickVol) this.clickVol.value = String(this.click.volume);
    this.monBtn.setAttribute('aria-pressed', String(this.monitor));
  }

  /** Apply a looper state object; rate is the engine's sample rate. */
  update(state, rate, rxTime) {
    const t = { ...this.t, ...(state.transport || {}) };
    this.rate = rate || this.rate;
    this.trackBars(this.t, t);
    this.syncClock(t, rxTime);
    this.t = t;
    if (state.click) this.click = { enabled: !!state.click.enabled, volume: Number(state.click.volume) || 0 };
    if (typeof state.monitor === 'boolean') this.monitor = state.monitor;
    serverValue(this.tempo, String(Math.round(t.bpm * 100) / 100));
    serverValue(this.meter, String(t.beats_per_bar));
    if (typeof state.quantize === 'string') serverValue(this.quant, state.quantize);
    this.renderToggles();
    this.renderDots(Math.max(1, Math.min(32, t.beats_per_bar | 0)));
    this.start.classList.toggle('on', !!t.running);
    this.start.setAttribute('aria-pressed', String(!!t.running));
    this.ind.root.dataset.running = String(!!t.running);
  }

  // Bars restart where a meter change put them; the server only tells the
  // bar number, so learn the anchor from a bar change between two
  // consecutive beats (until then bars count from beat 0).
  trackBars(prev, t) {
    if (!t.running || t.beat < 0) {
      this.barAnchor = 0;
      return;
    }
    if (prev.running && t.bar !== prev.bar && t.beat === prev.beat + 1) this.barAnchor = t.beat;
  }

  // Fraction of the current beat already passed when the push was built.
  syncClock(t, rxTime) {
    this.rx = rxTime;
    const fpb = t.bpm > 0 ? (60 * this.rate) / t.bpm : 0;
    const phase = fpb > 0 ? t.pos / fpb - t.beat : -1;
    // Off the simple grid after a tempo change: assume the beat just began.
    this.phase = phase >= 0 && phase < 1 ? phase : 0;
    if (!t.running || t.beat < this.shownBeat - 1) this.shownBeat = -1;
  }

  estimatedBeat(now) {
    const t = this.t;
    if (!t.running || t.beat < 0) return -1;
    const dt = Math.min(now - this.rx, EXTRAPOLATE_MAX_MS);
    const est = Math.floor(t.beat + this.phase + (dt / 1000) * (t.bpm / 60));
    // Never step back over a beat already flashed because of a late push.
    return Math.max(est, t.beat, this.shownBeat);
  }

  /** Advance the beat indicator; called from requestAnimationFrame. */
  tick(now) {
    const beat = this.estimatedBeat(now);
    if (beat === this.ind.shown) return;
    this.shownBeat = beat;
    this.ind.shown = beat;
    const { root, num, cap, dots } = this.ind;
    const bpb = Math.max(1, this.t.beats_per_bar | 0);
    if (beat < 0) {
      num.textContent = '\u2013';
      cap.textContent = 'stopped';
      Object.assign(root.dataset, { beat: '-1', bar: '-1', beatInBar: '-1' });
      for (const d of dots.children) d.classList.remove('lit');
      root.classList.remove('lp-flash', 'lp-accent');
      return;
    }
    const rel = beat - this.barAnchor;
    const inBar = ((rel % bpb) + bpb) % bpb;
    const bar = this.t.bar + Math.floor(rel / bpb) - Math.floor((this.t.beat - this.barAnchor) / bpb);
    num.textContent = `${bar + 1}.${inBar + 1}`;
    cap.textContent = `bar ${bar + 1} \u00b7 beat ${inBar + 1}`;
    Object.assign(root.dataset, { beat: String(beat), bar: String(bar), beatInBar: String(inBar) });
    [...dots.children].forEach((d, i) => d.classList.toggle('lit', i === inBar));
    root.classList.toggle('lp-accent', inBar === 0);
    replay(root, 'lp-flash');
  }
}
