// Small DOM and timing helpers shared by the looper modules.

/** Create an element with a class, attributes and optional text. */
export function el(tag, cls, attrs = {}, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A labelled field: <label class="lp-field"><span>Label</span>control</label>. */
export function field(label, control, cls = '') {
  const box = el('label', `lp-field ${cls}`.trim());
  box.append(el('span', 'lp-label', {}, label), control);
  return box;
}

/**
 * Rate-limit fn to one call per ms while a slider moves; the last value is
 * always delivered, so the server ends where the thumb ends.
 */
export function throttle(fn, ms) {
  let last = 0;
  let timer = 0;
  let args = null;
  const fire = () => {
    last = performance.now();
    timer = 0;
    fn(...args);
  };
  return (...a) => {
    args = a;
    const wait = last + ms - performance.now();
    if (wait <= 0 && !timer) fire();
    else if (!timer) timer = setTimeout(fire, Math.max(0, wait));
  };
}

/** Restart a CSS animation class so every trigger shows. */
export function replay(node, cls) {
  node.classList.remove(cls);
  void node.offsetWidth;
  node.classList.add(cls);
}

/** Track gain (0..4) <-> fader position (0..1): -60..+12 dB, 0 at the bottom. */
const FADER_DB_MIN = -60;
const FADER_DB_MAX = 20 * Math.log10(4);

export function gainToFader(g) {
  if (!(g > 0)) return 0;
  const db = 20 * Math.log10(g);
  return Math.min(1, Math.max(0, (db - FADER_DB_MIN) / (FADER_DB_MAX - FADER_DB_MIN)));
}

export function faderToGain(p) {
  if (!(p > 0.001)) return 0;
  const db = FADER_DB_MIN + p * (FADER_DB_MAX - FADER_DB_MIN);
  return Math.min(4, 10 ** (db / 20));
}

export function fmtGainDb(g) {
  if (!(g > 0)) return '-inf dB';
  const db = 20 * Math.log10(g);
  return `${db > 0.05 ? '+' : ''}${Math.abs(db) < 0.05 ? '0.0' : db.toFixed(1)} dB`;
}
