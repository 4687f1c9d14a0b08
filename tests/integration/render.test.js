// Offline renders (build/stagebox-render), checked by musical property
// with tolerances, never by hash: every module type (midi needs live
// input and is left to the live tests), swaps that keep state, the
// sequencer grid across a pattern swap, and patch errors.
// At 48 kHz and 120 BPM a beat is 24000 frames and a bar 96000.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUILD } from '../lib/harness.js';
import { readWav, rms, peak, zeroCrossFreq } from '../lib/wav.js';
import {
	peakFreq, toneAmp, bandPower, rmsEnvelope, risingEdges, maxStep,
	firstNonFinite, firstDiff, mean,
} from '../lib/dsp.js';

const RENDER = path.join(BUILD, 'stagebox-render');
const RATE = 48000;
const BEAT = 24000;
const C4 = 261.6255653;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-render-'));
let counter = 0;

process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

function writePatch(text) {
	const file = path.join(tmp, `p${counter++}.patch`);
	fs.writeFileSync(file, text);
	return file;
}

function runRender(text, seconds, opts = {}) {
	const out = path.join(tmp, `r${counter++}.wav`);
	const args = [writePatch(text), '--seconds', String(seconds), '--out', out];
	for (const [at, other] of opts.then || [])
		args.push('--then', `${at}:${writePatch(other)}`);
	if (opts.bpm)
		args.push('--bpm', String(opts.bpm));
	const r = spawnSync(RENDER, args, { encoding: 'utf8', timeout: 30000 });
	return { ...r, out };
}

// Render and decode; fails the test on a non-zero exit or a NaN/Inf.
function render(text, seconds, opts = {}) {
	const r = runRender(text, seconds, opts);
	assert.equal(r.status, 0, `stagebox-render failed: ${r.stderr}`);
	const w = readWav(r.out);
	fs.rmSync(r.out);
	assert.equal(w.sampleRate, RATE);
	assert.equal(w.frames, Math.round(seconds * RATE));
	for (const ch of w.data)
		assert.equal(firstNonFinite(ch), -1, 'NaN or Inf in the output');
	return { L: w.data[0], R: w.data[1] };
}

const near = (got, want, tol, what) =>
	assert.ok(Math.abs(got - want) <= tol,
		`${what}: got ${got}, want ${want} +- ${tol}`);
const rel = (got, want, tolRel, what) =>
	near(got, want, Math.abs(want) * tolRel, what);

// A constant 1: a unipolar square LFO that never moves.
const ONE = 'one = lfo(freq: 0, shape: square, polarity: unipolar)\n';

test('oscillators: pitch at C4 and an octave up with voct +1', () => {
	for (const type of ['sine', 'saw', 'square', 'tri']) {
		const { L, R } = render(`${ONE}
a = ${type}()
b = ${type}()
one.out -> b.voct
a.out * 0.5 -> out.left
b.out * 0.5 -> out.right
`, 0.5);
		rel(zeroCrossFreq(L, RATE, 4800), C4, 0.002, `${type} at C4`);
		rel(zeroCrossFreq(R, RATE, 4800), 2 * C4, 0.002, `${type} voct +1`);
		rel(peakFreq(L, RATE, 4096, 16384), C4, 0.005, `${type} spectral peak`);
		assert.ok(peak(L) <= 0.5 * 1.25 && peak(L) > 0.4, `${type} level ${peak(L)}`);
	}
});

test('oscillators: harmonic content matches the wave shape', () => {
	const f = 375;	// 128 frames per period: harmonics on exact bins
	const h = (x, k) => toneAmp(x, k * f, RATE, 4800, 4800 + 128 * 100);
	const shapes = {};
	for (const type of ['sine', 'saw', 'square', 'tri']) {
		const { L } = render(`o = ${type}(freq: ${f})\no.out -> out.left\n`, 0.5);
		shapes[type] = [1, 2, 3, 5].map((k) => h(L, k) / h(L, 1));
	}
	assert.ok(shapes.sine[1] < 0.01 && shapes.sine[2] < 0.01, `sine ${shapes.sine}`);
	rel(shapes.saw[1], 1 / 2, 0.1, 'saw 2nd harmonic');
	rel(shapes.saw[2], 1 / 3, 0.1, 'saw 3rd harmonic');
	assert.ok(shapes.square[1] < 0.02, `square has no 2nd harmonic: ${shapes.square}`);
	rel(shapes.square[2], 1 / 3, 0.1, 'square 3rd harmonic');
	rel(shapes.tri[2], 1 / 9, 0.15, 'tri 3rd harmonic');
	rel(shapes.tri[3], 1 / 25, 0.2, 'tri 5th harmonic');
});

test('square pw: 25% duty cycle', () => {
	const { L } = render('o = square(freq: 100, pw: 0.25)\no.out -> out.left\n', 0.5);
	let high = 0;
	for (let i = 4800; i < 24000; i++)
		high += L[i] > 0 ? 1 : 0;
	rel(high / 19200, 0.25, 0.02, 'fraction high');
});

test('fm: sidebands at carrier +- modulator with Bessel weights', () => {
	// beta = 200 Hz / 100 Hz = 2: J0(2) = 0.2239, J1(2) = 0.5767, J2(2) = 0.3528
	const { L } = render(`m = sine(freq: 100)
c = sine(freq: 1000)
m.out * 200 -> c.fm
c.out -> out.left
`, 1);
	const a = (hz) => toneAmp(L, hz, RATE, 4800, 48000);
	rel(a(1000), 0.2239, 0.08, 'carrier J0(2)');
	rel(a(1100), 0.5767, 0.05, 'first upper sideband J1(2)');
	rel(a(900), 0.5767, 0.05, 'first lower sideband J1(2)');
	rel(a(1200), 0.3528, 0.06, 'second sideband J2(2)');
});

test('noise: white level and flat spectrum, pink falling 3 dB per octave', () => {
	const { L, R } = render(`w = noise()
p = noise(color: pink)
w.out -> out.left
p.out -> out.right
`, 2);
	near(mean(L), 0, 0.01, 'white mean');
	assert.ok(peak(L) <= 1, `white peak ${peak(L)}`);
	const wr = rms(L);
	assert.ok(wr > 0.25 && wr < 0.7, `white rms ${wr}`);
	assert.ok(peak(R) <= 2 && rms(R) > 0.05, `pink level rms ${rms(R)} peak ${peak(R)}`);
	// Power per octave: white doubles with each octave up, pink stays.
	const oct = (x, lo) => bandPower(x, RATE, lo, 2 * lo);
	const white = oct(L, 4000) / oct(L, 250);
	const pink = oct(R, 4000) / oct(R, 250);
	assert.ok(white > 10 && white < 25, `white 4k/250 octave power ratio ${white}`);
	assert.ok(pink > 0.5 && pink < 2, `pink 4k/250 octave power ratio ${pink}`);
});

test('lfo: rate, shapes and polarity', () => {
	const { L, R } = render(`a = lfo(freq: 2)
b = lfo(freq: 4, shape: square, polarity: unipolar)
a.out -> out.left
b.out -> out.right
`, 2);
	rel(zeroCrossFreq(L, RATE), 2, 0.001, 'sine lfo rate');
	near(peak(L), 1, 0.001, 'bipolar peak');
	// unipolar square at 4 Hz: 0 or 1, rising every 12000 frames (give
	// or take a frame: the free-running phase is a float sum)
	for (let i = 0; i < R.length; i++)
		assert.ok(R[i] === 0 || R[i] === 1, `unipolar square ${R[i]} at ${i}`);
	const edges = risingEdges(R, 0.5);
	assert.equal(edges.length, 8, `edges ${edges}`);
	edges.forEach((f, k) => near(f, 12000 * k, 1, `rising edge ${k}`));

	const sh = render('s = lfo(freq: 10, shape: sh)\ns.out -> out.left\n', 1).L;
	let changes = 0;
	for (let i = 1; i < sh.length; i++)
		changes += sh[i] !== sh[i - 1] ? 1 : 0;
	near(changes, 10, 1, 'sample-and-hold steps per second');
	assert.ok(peak(sh) <= 1);
});

test('svf: low-, high- and band-pass responses around the cutoff', () => {
	const gain = (hz, out, q = 0.7071) => {
		const { L } = render(`s = sine(freq: ${hz})
f = svf(cutoff: 1000, q: ${q})
s.out -> f.in
f.${out} -> out.left
`, 0.5);
		return toneAmp(L, hz, RATE, 4800, 24000);
	};
	// 2nd order Butterworth: |H| at a fifth / five times the cutoff
	rel(gain(200, 'lp'), 1, 0.03, 'lp passband');
	rel(gain(1000, 'lp'), 0.7071, 0.05, 'lp at cutoff -3 dB');
	assert.ok(gain(5000, 'lp') < 0.05, 'lp stopband');
	rel(gain(5000, 'hp'), 1, 0.03, 'hp passband');
	rel(gain(1000, 'hp'), 0.7071, 0.05, 'hp at cutoff -3 dB');
	assert.ok(gain(200, 'hp') < 0.05, 'hp stopband');
	// bp peaks at the cutoff with gain q (as tests/unit/test_modules.c has it)
	rel(gain(1000, 'bp'), 0.7071, 0.05, 'bp at cutoff, q 0.7071');
	rel(gain(1000, 'bp', 4), 4, 0.05, 'bp at cutoff, q 4');
	assert.ok(gain(900, 'bp', 4) < 4 && gain(1100, 'bp', 4) < 4, 'bp peaks at the cutoff');
	assert.ok(gain(100, 'bp') < 0.2 && gain(10000, 'bp') < 0.2, 'bp skirts');
});

test('svf: cutoff modulation through a parameter connection', () => {
	// cutoff 300 + 1 * 2700 = 3000 Hz: a 2 kHz tone passes the lp
	const { L, R } = render(`${ONE}
s = sine(freq: 2000)
f = svf(cutoff: 300, q: 0.7071)
g = svf(cutoff: 300, q: 0.7071)
s.out -> f.in, g.in
one.out * 2700 -> f.cutoff
f.lp -> out.left
g.lp -> out.right
`, 0.5);
	assert.ok(toneAmp(L, 2000, RATE, 4800, 24000) > 0.6, 'modulated cutoff opens');
	assert.ok(toneAmp(R, 2000, RATE, 4800, 24000) < 0.05, 'plain cutoff closed');
});

test('vca and mix: gains, cv, sums', () => {
	const { L, R } = render(`${ONE}
s = sine(freq: 440)
t = sine(freq: 660)
v = vca(gain: 0.5)
w = vca(gain: 2)
m = mix(gain1: 0.3, gain2: -0.2)
s.out -> v.in, w.in, m.in1
one.out * 0.25 -> w.cv
t.out -> m.in2
v.out -> out.left
w.out -> out.right
m.out -> out.right
`, 0.5);
	rel(toneAmp(L, 440, RATE, 2400, 24000), 0.5, 0.01, 'vca gain 0.5');
	// right = 2 * 0.25 * s + 0.3 * s - 0.2 * t
	rel(toneAmp(R, 440, RATE, 2400, 24000), 0.8, 0.01, 'vca cv + mix in1');
	rel(toneAmp(R, 660, RATE, 2400, 24000), 0.2, 0.02, 'mix in2');
});

test('adsr: attack, decay, sustain and release times', () => {
	// clock division 2: gate high for frames [0, 24000), [48000, 72000) ...
	const { L } = render(`c = clock(division: 2)
e = adsr(a: 0.1, d: 0.2, s: 0.5, r: 0.3)
c.gate -> e.gate
e.out -> out.left
`, 1.5);
	let top = 0;
	for (let i = 1; i < 24000; i++)
		if (L[i] > L[top])
			top = i;
	near(top, 4800, 2, 'attack peak frame (a = 0.1 s)');
	near(L[top], 1, 0.002, 'attack reaches 1');
	near(L[2400], 0.5, 0.01, 'attack is linear');
	// decay: -60 dB of the way to s after 0.2 s, -20 dB after a third
	near((L[4800 + 3200] - 0.5) / 0.5, 0.1, 0.01, 'decay after d / 3');
	near(L[4800 + 9600 + 100], 0.5, 0.001, 'sustain level');
	near(L[23999], 0.5, 0.001, 'sustain held to the gate end');
	// release from 24000: s * 0.1 after r / 3, 0 after r
	near(L[24000 + 4800] / 0.5, 0.1, 0.01, 'release after r / 3');
	assert.ok(L[24000 + 14400 + 10] < 1e-3, `release done ${L[24000 + 14400 + 10]}`);
	assert.ok(L[47999] === 0, 'silent before the next gate');
	near(L[48000 + 2400], 0.5, 0.01, 'next note attacks again');
});

test('glide: a pitch step becomes a line of `time` seconds', () => {
	// seq "c4 c5": 0 V until frame 48000, then 1 V
	const { L } = render(`s = seq(pattern: "c4 c5")
g = glide(time: 0.1)
s.pitch -> g.in
g.out -> out.left
s.pitch -> out.right
`, 1.5);
	near(L[47990], 0, 1e-6, 'before the step');
	near(L[48000 + 2400], 0.5, 0.01, 'halfway after time / 2');
	near(L[48000 + 4800 + 2], 1, 1e-4, 'arrived after time');
	assert.ok(maxStep(L, 1, L.length) <= 1 / 4800 * 1.05, `steepest step ${maxStep(L)}`);
});

test('clock: ticks on exact frames at 120 BPM', () => {
	const { L, R } = render(`a = clock(division: 1)
b = clock(division: 0.25)
a.trig -> out.left
b.gate -> out.right
`, 2);
	const ticks = [];
	for (let i = 0; i < L.length; i++)
		if (L[i] !== 0)
			ticks.push([i, L[i]]);
	assert.deepEqual(ticks, [[0, 1], [24000, 1], [48000, 1], [72000, 1]]);
	const edges = risingEdges(R, 0.5);
	assert.deepEqual(edges, Array.from({ length: 16 }, (_, k) => k * 6000));
	assert.equal(R[2999], 1);
	assert.equal(R[3000], 0, 'gate is half-duty');
});

test('clock at 90 BPM: beats every 32000 frames', () => {
	const { L } = render('a = clock()\na.trig -> out.left\n', 1.5, { bpm: 90 });
	assert.deepEqual(risingEdges(L, 0.5), [0, 32000, 64000]);
});

const trigFrames = (x) => risingEdges(x, 0.5);

test('seq: steps on the exact step frames, pitch per step, rests', () => {
	const { L, R } = render(`s = seq(pattern: "c3 e3 g3 ~")
s.trig -> out.left
s.pitch -> out.right
`, 4);
	assert.deepEqual(trigFrames(L), [0, 24000, 48000, 96000, 120000, 144000]);
	near(R[100], -1, 1e-6, 'c3 = -1 V');
	near(R[24100], -8 / 12, 1e-6, 'e3');
	near(R[48100], -5 / 12, 1e-6, 'g3');
	near(R[72100], -5 / 12, 1e-6, 'a rest holds the pitch');

	const sub = render(`s = seq(pattern: "c3 [e3 g3] ~ c4*2")
s.trig -> out.left
s.gate -> out.right
`, 2);
	assert.deepEqual(trigFrames(sub.L), [0, 24000, 36000, 72000, 84000]);
	assert.equal(sub.R[80000], 1, 'gate high in a note');
	assert.equal(sub.R[83999], 0, 'gate low just before a repeated note');
	assert.equal(sub.R[60000], 0, 'gate low in a rest');
});

test('seq: <a b> alternates per bar and drives an oscillator', () => {
	const { L, R } = render(`s = seq(pattern: "<a3 b3> c4")
o = sine(freq: c4)
s.pitch -> o.voct
o.out -> out.left
s.trig -> out.right
`, 4);
	assert.deepEqual(trigFrames(R), [0, 48000, 96000, 144000]);
	const a3 = 220, b3 = 246.9417;
	rel(zeroCrossFreq(L, RATE, 2400, 45000), a3, 0.002, 'bar 0: a3');
	rel(zeroCrossFreq(L, RATE, 50400, 93000), C4, 0.002, 'c4');
	rel(zeroCrossFreq(L, RATE, 98400, 141000), b3, 0.002, 'bar 1: b3');
});

test('delay: echoes at the delay time, scaled by feedback', () => {
	// one impulse at frame 0 (a clock that ticks every 64 beats)
	const { L, R } = render(`c = clock(division: 64)
d = delay(time: 0.1, feedback: 0.5, mix: 1)
e = delay(time: 0.05, feedback: 0, mix: 0.5)
c.trig -> d.in, e.in
d.out -> out.left
e.out -> out.right
`, 0.6);
	const hits = [];
	for (let i = 0; i < L.length; i++)
		if (Math.abs(L[i]) > 1e-3)
			hits.push(i);
	assert.deepEqual(hits, [4800, 9600, 14400, 19200, 24000]);
	near(L[24000], 1 / 16, 1e-5, 'fifth echo');
	near(L[4800], 1, 1e-5, 'first echo');
	near(L[9600], 0.5, 1e-5, 'second echo');
	near(L[14400], 0.25, 1e-5, 'third echo');
	near(R[0], 0.5, 1e-5, 'dry half');
	near(R[2400], 0.5, 1e-5, 'wet half');
	near(peak(R, 2401, R.length), 0, 1e-6, 'no feedback');
});

test('reverb: a finite tail that decays', () => {
	const { L, R } = render(`c = clock(division: 64)
v = reverb(size: 0.3, damp: 0.3, mix: 1)
c.trig -> v.in
v.left -> out.left
v.right -> out.right
`, 4);
	const env = rmsEnvelope(L, 4800);	// 0.1 s windows
	assert.ok(env[1] > 1e-4, `a tail at all: ${env[1]}`);
	assert.ok(env[5] < env[1] && env[10] < env[5] && env[20] < env[10],
		`decaying: ${env.slice(0, 25).map((x) => x.toExponential(1))}`);
	assert.ok(env[39] < env[1] / 100, `gone after 4 s: ${env[39]} vs ${env[1]}`);
	assert.ok(peak(L) < 2 && peak(R) < 2, 'bounded');
	assert.ok(firstDiff(L, R, 0) >= 0, 'stereo: left and right differ');
});

test('in is silence offline', () => {
	const { L, R } = render('in.1 -> out.left\nin.2 * 3 -> out.right\n', 0.2);
	assert.equal(peak(L), 0);
	assert.equal(peak(R), 0);
});

test('midi: rendered offline it has no input', { skip: 'needs live MIDI input: the live patch tests cover it' }, () => {});

test('extremes stay finite and bounded', () => {
	const { L, R } = render(`${ONE}
n = noise()
s = saw(freq: 20000)
m = sine(freq: 5)
f = svf(cutoff: 20000, q: 50)
g = svf(cutoff: 1, q: 50)
d = delay(time: 0.001, feedback: 0.99, mix: 1, max: 0.01)
v = reverb(size: 1, damp: 0, mix: 1)
m.out * 100000 -> s.fm
one.out * 100000 -> f.cutoff
n.out -> f.in, g.in
s.out -> d.in
f.bp -> v.in
d.out * 0.1 -> out.left
g.lp -> out.left
v.left * 0.1 -> out.right
`, 2);
	assert.ok(peak(L) < 100 && peak(R) < 100, `bounded: ${peak(L)} ${peak(R)}`);
});

// Left: an oscillator chain the swap leaves alone.  Right: lead -> amp,
// whose gain A' changes; A' also removes `one` (the constant into amp.cv,
// which unconnected is 1 too) and adds `trim` (a unity mix) between lead
// and amp - so right(A') / right(A) is exactly amp's gain ratio.
const SWAP_A = `drone = saw(freq: 110)
wob = lfo(freq: 3)
dflt = svf(cutoff: 900, q: 2)
drone.out -> dflt.in
wob.out * 500 -> dflt.cutoff
dflt.lp * 0.4 -> out.left
${ONE}lead = sine(freq: 440)
amp = vca(gain: 0.25)
lead.out -> amp.in
one.out -> amp.cv
amp.out -> out.right
`;
const SWAP_B = `drone = saw(freq: 110)
wob = lfo(freq: 3)
dflt = svf(cutoff: 900, q: 2)
drone.out -> dflt.in
wob.out * 500 -> dflt.cutoff
dflt.lp * 0.4 -> out.left
lead = sine(freq: 440)
trim = mix(gain1: 1)
amp = vca(gain: 0.5)
lead.out -> trim.in1
trim.out -> amp.in
amp.out -> out.right
`;

test('swap: unchanged modules are sample-identical, the change glides', () => {
	const swapAt = 48000;	// 1 s: inside a 256-frame block
	const a = render(SWAP_A, 2);
	const b = render(SWAP_A, 2, { then: [[1, SWAP_B]] });
	assert.equal(firstDiff(a.L, b.L), -1, 'left (unchanged chain) identical');
	assert.equal(firstDiff(a.R, b.R, 0, swapAt), -1, 'right identical before the swap');
	assert.ok(firstDiff(a.R, b.R, swapAt) >= swapAt, 'right changes after the swap');

	// amp's gain, frame by frame: 0.25 * right(A') / right(A)
	const glide = Math.round(0.02 * RATE);
	const slope = 0.25 / glide;
	let last = 0.25, lastAt = swapAt - 1;
	for (let i = swapAt; i < swapAt + glide + 2000; i++) {
		if (Math.abs(a.R[i]) < 0.02)
			continue;
		const g = 0.25 * b.R[i] / a.R[i];
		const dt = i - lastAt;
		assert.ok(g >= last - 1e-4, `gain falls at ${i}: ${g} after ${last}`);
		assert.ok(g - last <= slope * dt * 1.02 + 1e-4,
			`gain step at ${i}: ${g - last} over ${dt} frames, slope ${slope}`);
		if (i >= swapAt + glide)
			near(g, 0.5, 1e-4, `gain at ${i} after the glide`);
		last = g;
		lastAt = i;
	}
	near(last, 0.5, 1e-4, 'gain arrived');
	// after the glide: lead kept its phase, so right is exactly doubled
	const doubled = a.R.map((x) => 2 * x);
	assert.equal(firstDiff(b.R, doubled, swapAt + glide), -1, 'lead\'s state kept');
	// no click: the largest sample step near the swap is no larger than
	// the largest one of the new signal elsewhere
	const around = maxStep(b.R, swapAt - 256, swapAt + 256);
	const settled = maxStep(b.R, swapAt + 4800, b.R.length);
	assert.ok(around <= settled * 1.01, `step at swap ${around} vs ${settled}`);
});

test('swap: a new module starts fresh, a removed one stops at the frame', () => {
	const A = 'a = sine(freq: 300)\na.out -> out.left\n';
	const B = 'a = sine(freq: 300)\nb = clock(division: 0.25)\n' +
		'a.out -> out.left\nb.trig -> out.right\n';
	const { L, R } = render(A, 1, { then: [[0.3, B], [0.7, A]] });
	rel(zeroCrossFreq(L, RATE), 300, 0.001, 'a runs through both swaps');
	// b lives over [14400, 33600) and ticks on the sixteenth grid
	assert.deepEqual(trigFrames(R), [18000, 24000, 30000]);
	assert.ok(maxStep(L, 14000, 34000) <= maxStep(L, 1, 14000) * 1.001,
		'no click on a');
});

test('seq swap mid-bar keeps the step grid', () => {
	const A = 's = seq(pattern: "c3 e3 g3 ~")\ns.trig -> out.left\ns.pitch -> out.right\n';
	const B = 's = seq(pattern: "c4 ~ [g4 a4] b4")\ns.trig -> out.left\ns.pitch -> out.right\n';
	const swapAt = Math.round(1.3 * RATE);	// 62400: inside step 2 (48000..72000)
	const a = render(A, 4);
	const b = render(B, 4);
	const ab = render(A, 4, { then: [[1.3, B]] });
	const before = (x) => trigFrames(x).filter((f) => f < swapAt);
	const after = (x) => trigFrames(x).filter((f) => f >= swapAt);
	assert.deepEqual(before(ab.L), before(a.L));
	assert.deepEqual(after(ab.L), after(b.L), 'onsets after the swap on B\'s own grid');
	assert.deepEqual(after(ab.L), [72000, 96000, 144000, 156000, 168000]);
	// the step under way takes B's note at once, without a new onset
	near(ab.R[swapAt], 9 / 12, 1e-6, 'pitch of B\'s a4 (from 60000) at the swap frame');
	assert.equal(firstDiff(ab.R, b.R, swapAt), -1, 'B from the swap on');
});

test('a patch with an error exits 2 with line and column', () => {
	const r = runRender('a = saw()\nb = sawx(freq: 1)\nb.out -> out.left\n', 1);
	assert.equal(r.status, 2);
	assert.match(r.stderr, /line 2, column 5: unknown module type 'sawx'/);
	assert.ok(!fs.existsSync(r.out), 'no output written');

	const bad = runRender('s = seq(pattern: "c3 [e3")\ns.gate -> out.left\n', 1);
	assert.equal(bad.status, 2);
	assert.match(bad.stderr, /line 1, column \d+: .*pattern/);

	const later = runRender('a = saw()\na.out -> out.left\n', 1,
		{ then: [[0.5, 'a = saw()\na.out -> b.in\n']] });
	assert.equal(later.status, 2, 'an error in a --then patch fails up front');
	assert.match(later.stderr, /line 2, column \d+/);
	assert.ok(!fs.existsSync(later.out), 'no output written');
});
