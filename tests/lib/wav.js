// wav.js - read and write RIFF/WAVE files for tests: float32 (format 3,
// also inside WAVE_FORMAT_EXTENSIBLE as libsndfile writes it) and integer
// PCM (16, 24, 32 bit).  Samples are handled as one Float32Array per
// channel, scaled to [-1, 1).  Plus a few signal measurements tests need.

import fs from 'node:fs';

const FMT_PCM = 1;
const FMT_FLOAT = 3;
const FMT_EXTENSIBLE = 0xfffe;

function findChunks(buf) {
	if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' ||
	    buf.toString('ascii', 8, 12) !== 'WAVE')
		throw new Error('not a RIFF/WAVE file');
	const chunks = {};
	let off = 12;
	while (off + 8 <= buf.length) {
		const id = buf.toString('ascii', off, off + 4);
		let size = buf.readUInt32LE(off + 4);
		// A writer killed before finalising leaves 0 or 0xffffffff: take the rest.
		if (id === 'data' && (size === 0 || off + 8 + size > buf.length))
			size = buf.length - off - 8;
		if (!chunks[id])
			chunks[id] = { off: off + 8, size };
		off += 8 + size + (size & 1);
	}
	return chunks;
}

function parseFmt(buf, c) {
	if (!c)
		throw new Error('WAVE file without a fmt chunk');
	let format = buf.readUInt16LE(c.off);
	const channels = buf.readUInt16LE(c.off + 2);
	const sampleRate = buf.readUInt32LE(c.off + 4);
	const bits = buf.readUInt16LE(c.off + 14);
	if (format === FMT_EXTENSIBLE && c.size >= 40)
		format = buf.readUInt16LE(c.off + 24);	/* first bytes of the GUID */
	return { format, channels, sampleRate, bits };
}

function sampleReader(buf, format, bits) {
	if (format === FMT_FLOAT && bits === 32)
		return (o) => buf.readFloatLE(o);
	if (format === FMT_FLOAT && bits === 64)
		return (o) => buf.readDoubleLE(o);
	if (format !== FMT_PCM)
		throw new Error(`unsupported WAVE format ${format}/${bits} bit`);
	if (bits === 16)
		return (o) => buf.readInt16LE(o) / 32768;
	if (bits === 24)
		return (o) => buf.readIntLE(o, 3) / 8388608;
	if (bits === 32)
		return (o) => buf.readInt32LE(o) / 2147483648;
	if (bits === 8)
		return (o) => (buf.readUInt8(o) - 128) / 128;
	throw new Error(`unsupported PCM width ${bits}`);
}

// Decode a WAV buffer.  Returns { sampleRate, channels, frames, format,
// bits, data: [Float32Array per channel] }.
export function decodeWav(buf) {
	const chunks = findChunks(buf);
	const fmt = parseFmt(buf, chunks['fmt ']);
	const d = chunks.data;
	if (!d)
		throw new Error('WAVE file without a data chunk');
	const bytes = fmt.bits / 8;
	const frameBytes = bytes * fmt.channels;
	const frames = Math.floor(Math.min(d.size, buf.length - d.off) / frameBytes);
	const read = sampleReader(buf, fmt.format, fmt.bits);
	const data = [];
	for (let ch = 0; ch < fmt.channels; ch++)
		data.push(new Float32Array(frames));
	for (let i = 0; i < frames; i++) {
		const base = d.off + i * frameBytes;
		for (let ch = 0; ch < fmt.channels; ch++)
			data[ch][i] = read(base + ch * bytes);
	}
	return {
		sampleRate: fmt.sampleRate, channels: fmt.channels, frames,
		format: fmt.format === FMT_FLOAT ? 'float32' : `pcm${fmt.bits}`,
		bits: fmt.bits, data,
	};
}

export function readWav(file) {
	return decodeWav(fs.readFileSync(file));
}

function clip16(x) {
	const v = Math.round(x * 32767);
	return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}

// Encode channels (array of Float32Array/arrays, equal length) as WAV.
// format: 'float32' (default) or 'pcm16'.
export function encodeWav({ sampleRate = 48000, channels, format = 'float32' }) {
	if (!Array.isArray(channels) || channels.length === 0)
		throw new Error('encodeWav: channels must be a non-empty array');
	const nch = channels.length;
	const frames = channels[0].length;
	const isFloat = format === 'float32';
	if (!isFloat && format !== 'pcm16')
		throw new Error(`encodeWav: unsupported format ${format}`);
	const bytes = isFloat ? 4 : 2;
	const dataBytes = frames * nch * bytes;
	const buf = Buffer.alloc(44 + dataBytes);
	buf.write('RIFF', 0, 'ascii');
	buf.writeUInt32LE(36 + dataBytes, 4);
	buf.write('WAVE', 8, 'ascii');
	buf.write('fmt ', 12, 'ascii');
	buf.writeUInt32LE(16, 16);
	buf.writeUInt16LE(isFloat ? FMT_FLOAT : FMT_PCM, 20);
	buf.writeUInt16LE(nch, 22);
	buf.writeUInt32LE(sampleRate, 24);
	buf.writeUInt32LE(sampleRate * nch * bytes, 28);
	buf.writeUInt16LE(nch * bytes, 32);
	buf.writeUInt16LE(bytes * 8, 34);
	buf.write('data', 36, 'ascii');
	buf.writeUInt32LE(dataBytes, 40);
	let o = 44;
	for (let i = 0; i < frames; i++) {
		for (let ch = 0; ch < nch; ch++, o += bytes) {
			if (isFloat)
				buf.writeFloatLE(channels[ch][i], o);
			else
				buf.writeInt16LE(clip16(channels[ch][i]), o);
		}
	}
	return buf;
}

export function writeWav(file, opts) {
	fs.writeFileSync(file, encodeWav(opts));
}

// A sine of freq Hz, amplitude amp, n frames.
export function sine(freq, amp, frames, sampleRate = 48000, phase = 0) {
	const out = new Float32Array(frames);
	const w = 2 * Math.PI * freq / sampleRate;
	for (let i = 0; i < frames; i++)
		out[i] = amp * Math.sin(phase + w * i);
	return out;
}

export function peak(x, from = 0, to = x.length) {
	let p = 0;
	for (let i = from; i < to; i++)
		p = Math.max(p, Math.abs(x[i]));
	return p;
}

export function rms(x, from = 0, to = x.length) {
	let s = 0;
	for (let i = from; i < to; i++)
		s += x[i] * x[i];
	return to > from ? Math.sqrt(s / (to - from)) : 0;
}

// First frame whose |x| exceeds thresh, or -1.
export function onset(x, thresh = 0.01, from = 0) {
	for (let i = from; i < x.length; i++)
		if (Math.abs(x[i]) > thresh)
			return i;
	return -1;
}

// Frequency estimate from rising zero crossings (interpolated).
export function zeroCrossFreq(x, sampleRate = 48000, from = 0, to = x.length) {
	let first = -1;
	let last = -1;
	let n = 0;
	for (let i = Math.max(from, 1); i < to; i++) {
		if (x[i - 1] < 0 && x[i] >= 0) {
			const t = i - 1 + (-x[i - 1]) / (x[i] - x[i - 1]);
			if (first < 0)
				first = t;
			else
				n++;
			last = t;
		}
	}
	return n > 0 ? n * sampleRate / (last - first) : 0;
}
