// Looper waveform thumbnails: fetch a track's current layer as WAV, parse
// it here (RIFF/RF64, PCM 8/16/24/32 bit or float 32/64), reduce it to a
// min/max pair per pixel column and draw that on the cell's <canvas>.
// Parsing ourselves avoids an AudioContext (which a phone may refuse
// before a user gesture) and any resampling of what the loop really holds.

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_FLOAT = 3;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
// Columns kept per thumbnail; the drawing rescales them to the canvas.
const PEAK_COLUMNS = 512;

function fourcc(dv, off) {
  return String.fromCharCode(dv.getUint8(off), dv.getUint8(off + 1),
    dv.getUint8(off + 2), dv.getUint8(off + 3));
}

function readFmt(dv, body, size) {
  const fmt = {
    format: dv.getUint16(body, true),
    channels: dv.getUint16(body + 2, true),
    rate: dv.getUint32(body + 4, true),
    bits: dv.getUint16(body + 14, true),
  };
  // WAVE_FORMAT_EXTENSIBLE keeps the real format in its sub-format GUID.
  if (fmt.format === WAVE_FORMAT_EXTENSIBLE && size >= 26) fmt.format = dv.getUint16(body + 24, true);
  return fmt;
}

// One sample reader per encoding; each returns a value in about -1..1.
function sampleReader(dv, fmt) {
  const { format, bits } = fmt;
  if (format === WAVE_FORMAT_FLOAT && bits === 32) return (o) => dv.getFloat32(o, true);
  if (format === WAVE_FORMAT_FLOAT && bits === 64) return (o) => dv.getFloat64(o, true);
  if (format !== WAVE_FORMAT_PCM) return null;
  if (bits === 8) return (o) => (dv.getUint8(o) - 128) / 128;
  if (bits === 16) return (o) => dv.getInt16(o, true) / 32768;
  if (bits === 24)
    return (o) => ((dv.getInt8(o + 2) << 16) | (dv.getUint8(o + 1) << 8) | dv.getUint8(o)) / 8388608;
  if (bits === 32) return (o) => dv.getInt32(o, true) / 2147483648;
  return null;
}

/**
 * Parse a WAV file into { rate, channels, frames, read(frame, ch) }.
 * Throws Error with a readable message on anything it cannot read.
 */
export function parseWav(buf) {
  const dv = new DataView(buf);
  if (buf.byteLength < 12) throw new Error('file too short for WAV');
  const riff = fourcc(dv, 0);
  if ((riff !== 'RIFF' && riff !== 'RF64') || fourcc(dv, 8) !== 'WAVE') throw new Error('not a RIFF/WAVE file');
  let fmt = null;
  let data = null;
  for (let off = 12; off + 8 <= buf.byteLength && !data;) {
    const id = fourcc(dv, off);
    const size = dv.getUint32(off + 4, true);
    const body = off + 8;
    if (id === 'fmt ' && size >= 16) fmt = readFmt(dv, body, size);
    // A header written while recording may claim more (or 0xffffffff)
    // than the file holds: trust the bytes that are there.
    if (id === 'data') data = { off: body, len: Math.min(size, buf.byteLength - body) };
    off = body + size + (size & 1);
  }
  if (!fmt || !data) throw new Error('WAV without fmt or data chunk');
  const read = sampleReader(dv, fmt);
  if (!read || fmt.channels < 1) throw new Error(`unsupported WAV encoding ${fmt.format}/${fmt.bits}`);
  const bytes = fmt.bits / 8;
  const stride = bytes * fmt.channels;
  return {
    rate: fmt.rate,
    channels: fmt.channels,
    frames: Math.floor(data.len / stride),
    read: (frame, ch) => read(data.off + frame * stride + ch * bytes),
  };
}

/** Min/max over all channels per column: Float32Array [min0, max0, min1, ...]. */
export function wavePeaks(wav, columns = PEAK_COLUMNS) {
  const n = Math.max(1, Math.min(columns, wav.frames));
  const out = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    const from = Math.floor((i * wav.frames) / n);
    const to = Math.max(from + 1, Math.floor(((i + 1) * wav.frames) / n));
    let lo = 0;
    let hi = 0;
    for (let f = from; f < to && f < wav.frames; f++) {
      for (let ch = 0; ch < wav.channels; ch++) {
        const v = wav.read(f, ch);
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
    out[2 * i] = lo;
    out[2 * i + 1] = hi;
  }
  return out;
}

/**
 * Draw peaks on a canvas sized to its box.  `fill` is the fraction of the
 * width the audio covers (a layer shorter than its loop span is padded
 * with silence on the grid, so it is drawn shorter too).
 */
export function drawWave(canvas, peaks, { fill = 1, color = 'rgba(255,255,255,0.62)' } = {}) {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(canvas.clientWidth * dpr));
  const h = Math.max(1, Math.round(canvas.clientHeight * dpr));
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  const g = canvas.getContext('2d');
  g.clearRect(0, 0, w, h);
  if (!peaks || peaks.length < 2) return;
  const cols = peaks.length / 2;
  const mid = h / 2;
  const span = Math.max(1, Math.round(w * Math.min(1, Math.max(0, fill))));
  // A hair of gain so quiet loops still show a shape; clipped at the edge.
  const scale = mid * 0.95;
  g.fillStyle = color;
  for (let x = 0; x < span; x++) {
    const a = Math.floor((x * cols) / span);
    const b = Math.max(a + 1, Math.floor(((x + 1) * cols) / span));
    let lo = 0;
    let hi = 0;
    for (let i = a; i < b && i < cols; i++) {
      lo = Math.min(lo, peaks[2 * i]);
      hi = Math.max(hi, peaks[2 * i + 1]);
    }
    const top = mid - Math.min(1, hi) * scale;
    const bot = mid - Math.max(-1, lo) * scale;
    g.fillRect(x, top, 1, Math.max(1, bot - top));
  }
}

/**
 * Fetches layers one at a time (a phone on stage Wi-Fi should not pull
 * sixteen loops at once); a newer request for the same track replaces an
 * older one still waiting.  onPeaks(key, peaks, wav) or onError(key, err).
 */
export class WaveLoader {
  constructor(onPeaks, onError) {
    this.onPeaks = onPeaks;
    this.onError = onError;
    this.queue = new Map(); // key -> url
    this.busy = false;
  }

  request(key, url) {
    this.queue.delete(key);
    this.queue.set(key, url);
    this.pump();
  }

  cancel(key) {
    this.queue.delete(key);
  }

  async pump() {
    if (this.busy || this.queue.size === 0) return;
    const [key, url] = this.queue.entries().next().value;
    this.queue.delete(key);
    this.busy = true;
    try {
      const res = await fetch(url, { cache: 'no-store' });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const wav = parseWav(await res.arrayBuffer());
      // Superseded while loading: the newer request will draw.
      if (!this.queue.has(key)) this.onPeaks(key, wavePeaks(wav), wav);
    } catch (e) {
      this.onError(key, e);
    } finally {
      this.busy = false;
      this.pump();
    }
  }
}
