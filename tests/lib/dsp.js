// dsp.js - signal measurements for the offline render tests: spectra
// (FFT, single-frequency Goertzel), pitch, envelopes, onsets, steps.
// Everything takes a Float32Array (one channel) and an optional frame
// range; nothing here knows about Stagebox.  Pitch by zero crossings
// and plain RMS/peak live in wav.js.

// In-place radix-2 FFT of re/im (length a power of two).
export function fft(re, im) {
	const n = re.length;
	for (let i = 1, j = 0; i < n; i++) {
		let bit = n >> 1;
		for (; j & bit; bit >>= 1)
			j ^= bit;
		j ^= bit;
		if (i < j) {
			[re[i], re[j]] = [re[j], re[i]];
			[im[i], im[j]] = [im[j], im[i]];
		}
	}
	for (let len = 2; len <= n; len <<= 1) {
		const ang = -2 * Math.PI / len;
		for (let i = 0; i < n; i += len) {
			for (let k = 0; k < len / 2; k++) {
				const wr = Math.cos(ang * k), wi = Math.sin(ang * k);
				const a = i + k, b = a + len / 2;
				const xr = re[b] * wr - im[b] * wi;
				const xi = re[b] * wi + im[b] * wr;
				re[b] = re[a] - xr;
				im[b] = im[a] - xi;
				re[a] += xr;
				im[a] += xi;
			}
		}
	}
}

function hann(i, n) {
	return 0.5 - 0.5 * Math.cos(2 * Math.PI * i / n);
}

// Amplitude spectrum of n frames from `from` (n a power of two), Hann
// windowed and scaled so a sine of amplitude A on a bin reads A.
// Returns { mag: Float64Array(n / 2 + 1), binHz }.
export function spectrum(x, sampleRate, from, n) {
	const re = new Float64Array(n), im = new Float64Array(n);
	for (let i = 0; i < n; i++)
		re[i] = (x[from + i] || 0) * hann(i, n);
	fft(re, im);
	const mag = new Float64Array(n / 2 + 1);
	for (let k = 0; k <= n / 2; k++)
		mag[k] = Math.hypot(re[k], im[k]) * 4 / n;
	return { mag, binHz: sampleRate / n };
}

// Frequency of the strongest bin above minHz, refined by a parabola
// through the log magnitudes of its neighbours.
export function peakFreq(x, sampleRate, from, n, minHz = 20) {
	const { mag, binHz } = spectrum(x, sampleRate, from, n);
	let best = Math.max(1, Math.ceil(minHz / binHz));
	for (let k = best; k < mag.length - 1; k++)
		if (mag[k] > mag[best])
			best = k;
	const a = Math.log(mag[best - 1] + 1e-30);
	const b = Math.log(mag[best] + 1e-30);
	const c = Math.log(mag[best + 1] + 1e-30);
	const d = a - 2 * b + c;
	return (best + (d < 0 ? 0.5 * (a - c) / d : 0)) * binHz;
}

// Amplitude of the component at freq over [from, to), Hann windowed
// Goertzel: a sine of amplitude A at freq reads about A.
export function toneAmp(x, freq, sampleRate, from = 0, to = x.length) {
	const n = to - from;
	const w = 2 * Math.PI * freq / sampleRate;
	let re = 0, im = 0, wsum = 0;
	for (let i = 0; i < n; i++) {
		const h = hann(i, n);
		re += x[from + i] * h * Math.cos(w * i);
		im -= x[from + i] * h * Math.sin(w * i);
		wsum += h;
	}
	return 2 * Math.hypot(re, im) / wsum;
}

// Power (sum of squared amplitudes) of the spectrum between lo and hi Hz,
// averaged over consecutive windows of n frames in [from, to).
export function bandPower(x, sampleRate, lo, hi, from = 0, to = x.length,
			  n = 4096) {
	let sum = 0, count = 0;
	for (let at = from; at + n <= to; at += n, count++) {
		const { mag, binHz } = spectrum(x, sampleRate, at, n);
		for (let k = Math.ceil(lo / binHz); k <= Math.floor(hi / binHz); k++)
			sum += mag[k] * mag[k];
	}
	return count ? sum / count : 0;
}

// RMS of consecutive windows of `win` frames.
export function rmsEnvelope(x, win, from = 0, to = x.length) {
	const out = [];
	for (let at = from; at + win <= to; at += win) {
		let s = 0;
		for (let i = at; i < at + win; i++)
			s += x[i] * x[i];
		out.push(Math.sqrt(s / win));
	}
	return out;
}

// Frames where x rises above thresh (x[i] > thresh >= x[i - 1]).
export function risingEdges(x, thresh = 0.5, from = 0, to = x.length) {
	const out = [];
	for (let i = Math.max(from, 0); i < to; i++)
		if (x[i] > thresh && (i === 0 || x[i - 1] <= thresh))
			out.push(i);
	return out;
}

// Frames where x goes from <= thresh to > thresh after at least
// `quiet` frames at or below it: note onsets in an audio signal.
export function onsets(x, thresh, quiet, from = 0, to = x.length) {
	const out = [];
	let below = quiet;
	for (let i = from; i < to; i++) {
		if (Math.abs(x[i]) > thresh) {
			if (below >= quiet)
				out.push(i);
			below = 0;
		} else {
			below++;
		}
	}
	return out;
}

// Largest |x[i] - x[i - 1]| over (from, to).
export function maxStep(x, from = 1, to = x.length) {
	let m = 0;
	for (let i = Math.max(from, 1); i < to; i++)
		m = Math.max(m, Math.abs(x[i] - x[i - 1]));
	return m;
}

// Index of the first NaN or infinite sample, or -1.
export function firstNonFinite(x) {
	for (let i = 0; i < x.length; i++)
		if (!Number.isFinite(x[i]))
			return i;
	return -1;
}

// Index of the first frame where a and b differ, or -1.
export function firstDiff(a, b, from = 0, to = Math.min(a.length, b.length)) {
	for (let i = from; i < to; i++)
		if (a[i] !== b[i])
			return i;
	return -1;
}

export function mean(x, from = 0, to = x.length) {
	let s = 0;
	for (let i = from; i < to; i++)
		s += x[i];
	return to > from ? s / (to - from) : 0;
}
