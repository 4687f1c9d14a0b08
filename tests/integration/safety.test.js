// The output safety stage end to end (rt/core/safety.c): real jackd, the
// real binaries with the RT guard, patches loaded over REST and out_L/out_R
// captured by sb-recorder.  A patch 60 dB too hot and one that overflows
// into inf and NaN leave every sample finite and within the ceiling; the
// status says "over" and clears again once a quiet patch plays, and the
// peaks fall back; a NaN/inf input does not latch the input meter; the
// master volume scales a tone by its dB and glides there; mute; bad
// arguments answer 400 and change nothing; the config sets the ceiling
// and the start volume.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startStack, sleep } from '../lib/harness.js';
import { capture } from '../lib/looper.js';
import { peak, rms, sine, writeWav } from '../lib/wav.js';
import { maxStep } from '../lib/dsp.js';

const RATE = 48000;
// The ceiling as the engine computes it (a float), so equality is exact.
const ceilingOf = (db) => Math.fround(10 ** (db / 20));
const CEIL = ceilingOf(-0.3);
// Status numbers are JSON with ten significant digits.
const JSON_EPS = 1e-9;

const tone = (amp, hz = 440) =>
	`osc = sine(freq: ${hz})\nosc.out * ${amp} -> out.left, out.right\n`;
// 60 dB over full scale, with a connection scale well inside any range check.
const HOT = 'osc = sine(freq: 440)\nosc.out * 1000 -> out.left, out.right\n';

// Ten mixers, each x10 with a x1000 connection: a float overflows to inf
// long before the end.  The left side adds the last stage to its own
// negation (inf - inf = NaN), the right side gets +-inf itself.
function overflow() {
	const lines = ['osc = sine(freq: 440)', 'nan = mix()'];
	for (let k = 1; k <= 10; k++)
		lines.push(`m${k} = mix(gain1: 10)`);
	lines.push('osc.out * 1000 -> m1.in1');
	for (let k = 1; k < 10; k++)
		lines.push(`m${k}.out * 1000 -> m${k + 1}.in1`);
	lines.push('m10.out -> nan.in1', 'm10.out * -1 -> nan.in2',
		'nan.out -> out.left', 'm10.out -> out.right');
	return lines.join('\n') + '\n';
}

let s;

before(async () => {
	s = await startStack({ inputs: 2, realtime: true, rtguard: true });
});

after(async () => {
	if (s)
		await s.stop();
});

async function load(text) {
	const r = await s.api('PUT', '/api/v1/patch', text, { 'Content-Type': 'text/plain' });
	assert.equal(r.status, 200, JSON.stringify(r.body));
	return r.body.result;
}

// out_L and out_R for `frames` frames (no source ports).
async function record(frames) {
	const out = await (await capture(s, frames, { withSource: false })).result();
	return out;
}

// Every sample finite and at most `ceil` in magnitude; returns the peak.
function assertSafe(x, what, ceil = CEIL) {
	let p = 0;
	for (let i = 0; i < x.length; i++) {
		assert.ok(Number.isFinite(x[i]), `${what}: sample ${i} is ${x[i]}`);
		assert.ok(Math.abs(x[i]) <= ceil, `${what}: sample ${i} = ${x[i]} above ${ceil}`);
		p = Math.max(p, Math.abs(x[i]));
	}
	return p;
}

// A quiet patch plays: "over" clears, peaks fall back to its level, and
// the limiter lets it through untouched.
async function assertRecovers(what) {
	await load(tone(0.25));
	const st = await s.waitFor(async () => {
		const x = await s.status();
		return !x.output.over && x.out_peaks.every((p) => p < 0.3) ? x : null;
	}, 5000, `${what}: over to clear and the peaks to fall`);
	assert.ok(st.out_peaks.every((p) => p > 0.2), `out_peaks ${st.out_peaks}`);
	assert.deepEqual(st.out_peaks_over, [false, false]);
	// peaks, not rms: cycles an xrun filled with silence do not move them
	const cap = await record(9600);
	const level = peak(cap.L, 2400);
	assert.ok(Math.abs(level - 0.25) < 0.003, `${what}: quiet tone at ${level}, want 0.25`);
}

test('status reports the output stage with its defaults', async () => {
	const st = await s.status();
	const o = st.output;
	assert.equal(o.volume_db, 0);
	assert.ok(Math.abs(o.ceiling_db + 0.3) < 1e-6, JSON.stringify(o));
	for (const k of ['muted', 'limiting', 'over'])
		assert.equal(o[k], false, `${k}: ${JSON.stringify(o)}`);
	for (const k of ['gain_reduction_db', 'nonfinite', 'limited_blocks'])
		assert.equal(o[k], 0, `${k}: ${JSON.stringify(o)}`);
	assert.deepEqual(st.peaks_over, [false, false]);
	assert.deepEqual(st.out_peaks_over, [false, false]);
	const cmds = await s.cmd('engine.status', {});
	assert.deepEqual(cmds.output, o);
});

test('a patch 60 dB too hot: every sample finite and under the ceiling; over, then recovery', async () => {
	const before = (await s.status()).output;
	await load(HOT);
	const cap = await record(24000);
	const pl = assertSafe(cap.L, 'out_L');
	const pr = assertSafe(cap.R, 'out_R');
	// a brick wall, not a mute: the output sits right at the ceiling
	assert.ok(pl > 0.97 * CEIL && pr > 0.97 * CEIL, `peaks ${pl} ${pr}`);
	const st = await s.status();
	assert.equal(st.output.over, true, JSON.stringify(st.output));
	assert.equal(st.output.limiting, true);
	assert.ok(st.output.gain_reduction_db > 40, JSON.stringify(st.output));
	assert.ok(st.output.limited_blocks > before.limited_blocks);
	for (const p of st.out_peaks)
		assert.ok(p <= CEIL + JSON_EPS && p > 0.9, `out_peaks ${st.out_peaks}`);
	await assertRecovers('after the hot patch');
});

test('a patch that overflows into inf and NaN: silence instead, meters do not latch', async () => {
	const before = (await s.status()).output;
	await load(overflow());
	const cap = await record(24000);
	assertSafe(cap.L, 'out_L (NaN)');
	assertSafe(cap.R, 'out_R (inf)');
	// the NaN side is silence: x - x where finite, 0 where it was NaN
	assert.ok(rms(cap.L, 2400) < 1e-6, `out_L rms ${rms(cap.L, 2400)}`);
	const st = await s.status();
	assert.ok(st.output.nonfinite > before.nonfinite + 10000, JSON.stringify(st.output));
	assert.equal(st.output.over, true);
	for (const p of st.out_peaks)
		assert.ok(Number.isFinite(p) && p <= CEIL + JSON_EPS, `out_peaks ${st.out_peaks}`);
	await assertRecovers('after the overflowing patch');
});

test('NaN and inf on an input read as over on its meter, which falls again', async () => {
	await s.cmd('patch.stop', {});
	const frames = RATE / 2;
	const L = sine(440, 0.5, frames);
	for (let i = 0; i < frames; i += 100) {
		L[i] = NaN;
		L[i + 50] = Infinity;
	}
	const file = path.join(s.dir, 'nonfinite.wav');
	writeWav(file, { sampleRate: RATE, channels: [L, new Float32Array(frames)] });
	const p = await s.client('sb-player', ['--file', file, '--loop',
		'--connect', 'stagebox:in_1,stagebox:in_2']);
	try {
		const st = await s.waitFor(async () => {
			const x = await s.status();
			return x.peaks_over[0] ? x : null;
		}, 5000, 'the input meter to show over');
		// a finite full-scale reading, not inf and not silence
		assert.ok(st.peaks[0] > 0.9 && st.peaks[0] <= 1, `peaks ${st.peaks}`);
		assert.equal(st.peaks_over[1], false);
	} finally {
		await p.stop('SIGTERM');
	}
	const st = await s.waitFor(async () => {
		const x = await s.status();
		return !x.peaks_over[0] && x.peaks[0] < 0.01 ? x : null;
	}, 5000, 'the input meter to fall back');
	assert.ok(st.peaks[0] >= 0, `peaks ${st.peaks}`);
});

// Capture while the volume changes from 0 to -6 dB part way through; a
// capture an xrun touched is taken again (its silence-filled cycles are
// steps no volume made).
async function captureVolumeChange(frames) {
	const why = [];
	for (let i = 0; i < 6; i++) {
		await s.cmd('output.set_volume', { db: 0 });
		await sleep(200);
		const cap = await capture(s, frames, { withSource: false });
		await sleep(300);
		const r = await s.cmd('output.set_volume', { db: -6 });
		assert.equal(r.volume_db, -6);
		const out = await cap.result();
		if (!out.xrun)
			return out;
		why.push(out.xrun);
		console.log(`[safety] capture ${i + 1} hit by an xrun, taken again: ${out.xrun}`);
	}
	throw new Error(`every capture was hit by an xrun: ${why.join(' | ')}`);
}

test('master volume: -6 dB halves a tone and glides there without a step', async () => {
	await load(tone(0.5));
	const frames = 2 * RATE;
	const { L, R } = await captureVolumeChange(frames);
	const head = rms(L, 0, 4800) * Math.SQRT2;
	const tail = rms(L, frames - 4800) * Math.SQRT2;
	const want = 0.5 * 10 ** (-6 / 20);
	assert.ok(Math.abs(head - 0.5) < 0.01, `before: ${head}`);
	assert.ok(Math.abs(tail - want) < 0.01 * want + 0.002, `after: ${tail}, want ${want}`);
	assert.ok(Math.abs(rms(R, frames - 4800) * Math.SQRT2 - want) < 0.01, 'out_R follows');
	// no zipper: never steeper than the 0.5 tone itself (2 pi f A / rate)
	const natural = 0.5 * 2 * Math.PI * 440 / RATE;
	const step = maxStep(L);
	assert.ok(step < natural * 1.05, `largest step ${step}, the tone's own ${natural}`);
	const st = await s.status();
	assert.equal(st.output.volume_db, -6);
	assert.equal(st.output.over, false);
	await s.cmd('output.set_volume', { db: 0 });
});

test('mute silences the main outputs and unmute brings them back', async () => {
	await load(tone(0.5));
	assert.deepEqual(await s.cmd('output.mute', { on: true }), { muted: true });
	await s.waitFor(async () => (await s.status()).output.muted, 2000, 'muted in status');
	const m = await record(9600);
	assert.ok(rms(m.L, 4800) === 0 && rms(m.R, 4800) === 0, `muted rms ${rms(m.L, 4800)}`);
	await s.cmd('output.mute', { on: false });
	await s.waitFor(async () => !(await s.status()).output.muted, 2000, 'unmuted in status');
	const u = await record(9600);
	assert.ok(Math.abs(peak(u.L, 4800) - 0.5) < 0.003, `unmuted ${peak(u.L, 4800)}`);
});

test('bad volume arguments answer 400 naming the argument; nothing changes', async () => {
	await s.cmd('output.set_volume', { db: -3 });
	for (const args of [{ db: 7 }, { db: -61 }, { db: 'loud' }, {}, { db: -3, gain: 1 }]) {
		const r = await s.api('POST', '/api/v1/cmd/output.set_volume', args);
		assert.equal(r.status, 400, `${JSON.stringify(args)}: ${r.text}`);
		assert.equal(r.body.ok, false);
		assert.match(r.body.error, /'(db|gain)'/, r.body.error);
	}
	const m = await s.api('POST', '/api/v1/cmd/output.mute', { on: 'yes' });
	assert.equal(m.status, 400, m.text);
	assert.match(m.body.error, /'on'/);
	const ws = await s.ws();
	ws.send({ id: 5, cmd: 'output.set_volume', args: { db: 100 } });
	const rep = await ws.next((x) => x.type === 'reply' && x.id === 5, 3000);
	assert.equal(rep.ok, false);
	assert.equal(rep.status, 400);
	await ws.close();
	const st = await s.status();
	assert.equal(st.output.volume_db, -3);
	assert.equal(st.output.muted, false);
	const cmds = (await s.api('GET', '/api/v1/commands')).body.result.map((c) => c.name);
	for (const c of ['output.set_volume', 'output.mute'])
		assert.ok(cmds.includes(c), `${c} in the command table`);
	await s.cmd('output.set_volume', { db: 0 });
});

test('config output.ceiling_db and output.volume_db take effect at start', async () => {
	const w = await startStack({ inputs: 2, config: { output: { ceiling_db: -6, volume_db: -12 } } });
	try {
		const st = await w.status();
		assert.equal(st.output.volume_db, -12);
		assert.equal(st.output.ceiling_db, -6);
		const r = await w.api('PUT', '/api/v1/patch', HOT, { 'Content-Type': 'text/plain' });
		assert.equal(r.status, 200, r.text);
		const out = await (await capture(w, 9600, { withSource: false })).result();
		const p = assertSafe(out.L, 'out_L at -6 dBFS', ceilingOf(-6));
		assert.ok(p > 0.97 * ceilingOf(-6), `peak ${p}`);
	} finally {
		await w.stop();
	}
});
