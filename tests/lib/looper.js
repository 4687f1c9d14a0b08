// looper.js - helpers for the looper integration tests: a stack with the
// looper configured, a known input signal, captures of the engine's ports
// in one frame coordinate, the looper state, track WAVs, and the sample-exact
// measurements the tests make (click onsets, fade ramps, first difference).
//
// Frame coordinate: one sb-recorder records stagebox:out_L, out_R, click and
// the source player's own ports, so "input frame k" and "output frame k" are
// the same JACK cycle's sample k.  The first click onset is beat 0.

import fs from 'node:fs';
import path from 'node:path';
import { startStack, sleep, waitFor } from './harness.js';
import { decodeWav, encodeWav, readWav } from './wav.js';

export const RATE = 48000;
export const DECLICK = 64;
export const SRC = 'src';	// client name of the input player

// A stack with realtime jackd (fewer spurious xruns) and the looper config.
export function startLooper({ looper = {}, pool = {}, config = {}, ...opts } = {}) {
	return startStack({
		inputs: 2, realtime: true, ...opts,
		config: { ...config, looper: { ...(config.looper || {}), ...looper },
			pool: { ...(config.pool || {}), ...pool } },
	});
}

// Deterministic noise: no two neighbours alike, never (near) zero, so an
// exact match at the wrong offset cannot happen and gains can be measured
// sample by sample.
export function noise(frames, seed = 1, amp = 0.25) {
	const out = new Float32Array(frames);
	let x = (seed * 2654435761) >>> 0 || 1;
	for (let i = 0; i < frames; i++) {
		x ^= x << 13; x >>>= 0;
		x ^= x >>> 17;
		x ^= x << 5; x >>>= 0;
		let v = (x / 4294967296) * 2 - 1;
		if (Math.abs(v) < 0.08)
			v = v < 0 ? -0.08 - Math.abs(v) : 0.08 + v;
		out[i] = amp * v;
	}
	return out;
}

// A stereo noise WAV in the stack's temp dir; returns { file, L, R }.
export function noiseWav(s, name, frames, seed = 1, amp = 0.25) {
	const L = noise(frames, seed, amp);
	const R = noise(frames, seed + 1000, amp);
	const file = path.join(s.dir, name);
	fs.writeFileSync(file, encodeWav({ sampleRate: RATE, channels: [L, R] }));
	return { file, L, R };
}

// Play a stereo file in a loop into stagebox:in_1/in_2 as client `src`.
export function startSource(s, file, name = SRC) {
	return s.client('sb-player', ['--name', name, '--file', file, '--loop',
		'--connect', 'stagebox:in_1,stagebox:in_2']);
}

let captureCount = 0;

// Where the xrun counts stand: the engine's (null when the server does not
// answer, e.g. while a test has it killed) and how much jackd has logged.
export async function xrunMark(s) {
	let xruns = null;
	try {
		const r = await s.api('GET', '/api/v1/status');
		const st = r.body && r.body.result;
		if (st && st.connected)
			xruns = st.xruns;
	} catch { /* server away: the other signs still count */ }
	return { xruns, log: s.jackd ? s.jackd.err.length : 0 };
}

// Every sign that an xrun touched a capture, or null: frames the recorder
// filled with silence, engine xruns, and jackd's own reports (a client
// "not finished" in time loses its cycle's output without any frame-time
// gap, and a late client can label its frames one period off).
function xrunSeen(s, mark, after, recorderErr) {
	const why = [];
	if (/skipped/.test(recorderErr))
		why.push(recorderErr.trim());
	if (mark.xruns !== null && after.xruns !== null && after.xruns > mark.xruns)
		why.push(`engine xruns ${mark.xruns} -> ${after.xruns}`);
	const log = s.jackd ? s.jackd.err.slice(mark.log) : '';
	const n = (log.match(/XRun/g) || []).length;
	if (n)
		why.push(`jackd reported ${n} XRun line(s)`);
	return why.length ? why.join('; ') : null;
}

// Record `frames` frames of out_L, out_R, click (and the source's ports if
// withSource).  Resolves to the started capture; await cap.result() for the
// decoded channels { L, R, click, inL, inR, frames, skipped, xrun } (xrun:
// why the capture cannot be trusted sample for sample, or null).
export async function capture(s, frames, { withSource = true, source = SRC } = {}) {
	const n = ++captureCount;
	const out = path.join(s.dir, `capture-${n}.wav`);
	const ports = ['stagebox:out_L', 'stagebox:out_R', 'stagebox:click'];
	if (withSource)
		ports.push(`${source}:out_1`, `${source}:out_2`);
	const mark = await xrunMark(s);
	const c = await s.client('sb-recorder', ['--name', `cap${n}`, '--connect', ports.join(','),
		'--out', out, '--frames', String(frames)]);
	return {
		client: c,
		file: out,
		async result(ms = frames / RATE * 1000 + 10000) {
			const t = setTimeout(() => c.stop('SIGTERM'), ms);
			const ex = await c.exited;
			clearTimeout(t);
			if (ex.code !== 0)
				throw new Error(`sb-recorder exit ${JSON.stringify(ex)}: ${c.err}`);
			const w = readWav(out);
			const [L, R, click, inL, inR] = w.data;
			await sleep(20);	// jackd's last words reach its pipe
			const xrun = xrunSeen(s, mark, await xrunMark(s), c.err);
			// the spans the recorder filled with silence: [frame, length]
			const gaps = [...c.err.matchAll(/gap at frame (\d+): (\d+) frames/g)]
				.map((m) => [Number(m[1]), Number(m[2])]);
			return { L, R, click, inL, inR, frames: w.frames, gaps, log: c.err,
				skipped: /skipped/.test(c.err) ? c.err.trim() : null, xrun };
		},
	};
}

// A capture of a steady state that no xrun touched, for sample-exact
// checks: a cycle JACK dropped is not the looper's output, so a hit
// capture is taken again (the state does not change meanwhile).  Throws
// when every try was hit: the machine is too busy to measure.
export async function cleanCapture(s, frames, opts = {}, tries = 8) {
	const hits = [];
	for (let i = 0; i < tries; i++) {
		const out = await (await capture(s, frames, opts)).result();
		if (!out.xrun)
			return out;
		hits.push(out.xrun);
		console.log(`[looper] capture ${i + 1} of ${tries} hit by an xrun, taken again: ${out.xrun}`);
	}
	throw new Error(`every one of ${tries} captures was hit by an xrun (machine too busy to ` +
		`measure sample for sample): ${hits.join(' | ')}`);
}

// Why an xrun touched the span since `mark` (engine xruns, jackd XRun
// lines), or null: for a test that must tell a planned xrun from others.
export async function xrunSince(s, mark) {
	await sleep(20);	// jackd's last words reach its pipe
	return xrunSeen(s, mark, await xrunMark(s), '');
}

// A scenario step that acts inside its capture, run again from a clean
// state when an unplanned xrun touched it: step(i) resolves to its
// measurements with `xrun` (why they cannot be trusted, or null); reset()
// brings back the state the step starts from.  The caller asserts on the
// clean result; like cleanCapture, throws when every try was hit.
export async function cleanStep(step, reset, tries = 8) {
	const hits = [];
	for (let i = 0; i < tries; i++) {
		if (i > 0)
			await reset();
		const out = await step(i);
		if (!out.xrun)
			return out;
		hits.push(out.xrun);
		console.log(`[looper] scenario try ${i + 1} of ${tries} hit by an xrun, run again: ${out.xrun}`);
	}
	throw new Error(`every one of ${tries} tries was hit by an xrun (machine too busy to ` +
		`measure sample for sample): ${hits.join(' | ')}`);
}

// Wait until a track has no pending action (a quantized command landed).
export function settled(s, c, t, pred = () => true, ms = 5000) {
	return waitTrack(s, c, t, (x) => x.pending_action === null && x.next_state === null && pred(x),
		ms, 'settled state');
}

// --- looper state -------------------------------------------------------

export async function looper(s) {
	const r = await s.api('GET', '/api/v1/looper');
	if (r.status !== 200 || !r.body || r.body.ok !== true)
		throw new Error(`GET /api/v1/looper: HTTP ${r.status}: ${r.text}`);
	return r.body.result;
}

export function trackOf(st, c, t) {
	return st.columns[c].tracks[t];
}

export async function track(s, c, t) {
	return trackOf(await looper(s), c, t);
}

// Wait until pred(track) holds; returns the track.
export function waitTrack(s, c, t, pred, ms = 5000, what = 'track state') {
	return waitFor(async () => {
		const tr = await track(s, c, t);
		return pred(tr) ? tr : null;
	}, ms, `${what} of track ${c}/${t}`, 20);
}

export const act = (s, action, c, t) => s.cmd(`looper.${action}`, { column: c, track: t });

// PUT a WAV body (Buffer) on a track.
export function putWav(s, c, t, body, type = 'audio/wav') {
	return s.api('PUT', `/api/v1/looper/tracks/${c}/${t}.wav`, body, { 'Content-Type': type });
}

// GET a track's current layer: { status, wav (decoded or null), body }.
// A layer the server is still streaming to disk answers 404 "not on disk
// yet" for a few ms; that one is waited out (up to 2 s), an empty track not.
export async function getWav(s, c, t) {
	for (let i = 0; ; i++) {
		const w = await getWavOnce(s, c, t);
		if (w.status !== 404 || !/not on disk yet/.test(w.body?.error ?? '') || i >= 100)
			return w;
		await sleep(20);
	}
}

async function getWavOnce(s, c, t) {
	const r = await s.fetch(`/api/v1/looper/tracks/${c}/${t}.wav`);
	const buf = Buffer.from(await r.arrayBuffer());
	if (r.status !== 200) {
		let body = null;
		try { body = JSON.parse(buf.toString()); } catch { /* not JSON */ }
		return { status: r.status, wav: null, body, type: r.headers.get('content-type') };
	}
	return { status: 200, wav: decodeWav(buf), type: r.headers.get('content-type') };
}

export function stereoWav(L, R = L, sampleRate = RATE, format = 'float32') {
	return encodeWav({ sampleRate, channels: [L, R], format });
}

// The common preparation: tempo, click on (beat 0 is found from it), monitor.
export async function prepare(s, { bpm = 120, beatsPerBar = 4, monitor = false, quantize } = {}) {
	await s.cmd('transport.set_tempo', { bpm });
	await s.cmd('transport.set_meter', { beats_per_bar: beatsPerBar });
	await s.cmd('click.set', { enabled: true, volume: 0.5 });
	await s.cmd('looper.set_monitor', { enabled: monitor });
	if (quantize)
		await s.cmd('looper.set_quantize', { mode: quantize });
}

// --- measurements ---------------------------------------------------------

// First frames of the click bursts: a burst begins at a non-zero sample
// after at least `gap` silent frames (or after silence from the capture's
// first frame on).
export function clickOnsets(click, gap = 1000) {
	const on = [];
	let lastNonZero = -Infinity;
	for (let i = 0; i < click.length; i++) {
		if (click[i] === 0)
			continue;
		// a burst already sounding when the capture began is not an onset
		if (i - lastNonZero > gap && i > 0)
			on.push(i);
		lastNonZero = i;
	}
	return on;
}

// Beat 0 (first click onset) and a check that every later onset sits on
// the beat grid exactly; returns { beat0, onsets, bad: [..] }.  With
// xrunTolerant, an off-grid "onset" within 0.1 s after an on-grid one is
// taken as the rest of a burst cut by missed cycles (the recorder fills
// them with silence), not as a click of its own.
export function beatGrid(click, framesPerBeat, { xrunTolerant = false } = {}) {
	const onsets = clickOnsets(click);
	if (!onsets.length)
		throw new Error('no click onset in the capture (is click.set working?)');
	const beat0 = onsets[0];
	const bad = [];
	let lastOn = -Infinity;
	for (const f of onsets) {
		const k = Math.round((f - beat0) / framesPerBeat);
		const want = beat0 + Math.round(k * framesPerBeat);
		if (f === want)
			lastOn = f;
		else if (!(xrunTolerant && f - lastOn < 0.1 * RATE))
			bad.push({ k, at: f, want });
	}
	return { beat0, onsets, bad };
}

// First k in [0, n) where a[ao + k] !== b[bo + k]; -1 when all equal.
export function firstDiff(a, ao, b, bo, n) {
	for (let k = 0; k < n; k++)
		if (a[ao + k] !== b[bo + k])
			return k;
	return -1;
}

// Like firstDiff with a tolerance (for sums of several tracks, whose
// float rounding depends on the order of addition).
export function firstDiffTol(a, ao, b, bo, n, tol = 1e-6) {
	for (let k = 0; k < n; k++)
		if (!(Math.abs(a[ao + k] - b[bo + k]) <= tol))
			return k;
	return -1;
}

export function firstNonZero(x, from = 0, to = x.length) {
	for (let i = from; i < to; i++)
		if (x[i] !== 0)
			return i;
	return -1;
}

export function allZero(x, from, to) {
	return firstNonZero(x, from, to) < 0;
}

// Periodic expectation: out[t] vs loop[(t - anchor) mod len] over [from, to).
export function firstLoopDiff(out, loop, anchor, from, to, tol = 0) {
	const len = loop.length;
	for (let t = from; t < to; t++) {
		const p = ((t - anchor) % len + len) % len;
		const d = Math.abs(out[t] - loop[p]);
		if (tol === 0 ? out[t] !== loop[p] : !(d <= tol))
			return t;
	}
	return -1;
}

// The anchor (frame of loop position 0, on the beat grid) of `loop` in a
// capture: tries the first onsets, each as any beat of the loop, and takes
// the first from which out follows the loop for `span` frames (tolerance
// tol: sums of several tracks round by the order of addition).
export function loopAnchor(out, loop, onsets, framesPerBeat, span = 2000, tol = 1e-6) {
	const beats = Math.max(1, Math.round(loop.length / framesPerBeat));
	for (const o of onsets.slice(0, 6))
		for (let k = 0; k < beats; k++) {
			const anc = o - Math.round(k * framesPerBeat);
			if (firstLoopDiff(out, loop, anc, o, Math.min(o + span, out.length), tol) < 0)
				return anc;
		}
	return null;
}

// A linear fade measured as gain = out[t] / ref[t] over [from, from + n):
// returns the frame where the fitted ramp is 0 and the largest deviation
// from a straight line of slope `dir`/declick (dir +1 fade-in, -1 fade-out).
// Fade-in: the zero is the frame before the ramp's first step, i.e. the
// frame where the sound "starts"; it lies in [start - 1, start] for the
// usual conventions (i/n or (i+1)/n), so callers allow that one frame.
export function fadeZero(out, ref, refOff, from, n, dir, declick = DECLICK) {
	const zs = [];
	for (let t = from; t < from + n; t++) {
		const r = ref[t - refOff];
		if (Math.abs(r) < 0.02)
			continue;
		const g = out[t] / r;
		if (g <= 1e-6 || g >= 1 - 1e-6)
			continue;
		zs.push(t - dir * g * declick);
	}
	if (!zs.length)
		return { zero: NaN, spread: NaN, points: 0 };
	const mean = zs.reduce((a, b) => a + b, 0) / zs.length;
	const spread = Math.max(...zs.map((z) => Math.abs(z - mean)));
	return { zero: mean, spread, points: zs.length };
}

export { sleep, waitFor };
