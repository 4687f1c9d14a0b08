// Looper layers: overdub sums layers sample by sample, undo/redo restore the
// exact audio (at least 8 levels), a new overdub after undo drops the redo
// layers, clear empties the track, volume applies smoothed, free-length
// recording sets the column length in whole beats.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
	RATE, DECLICK, startLooper, noiseWav, startSource, capture, prepare, looper,
	trackOf, track, waitTrack, act, beatGrid, firstDiff, firstLoopDiff, loopAnchor, getWav, allZero,
	sleep,
} from '../lib/looper.js';

const FPB = 12000;	// 240 BPM
const L = 48000;	// 4-beat column
let s;

before(async () => {
	s = await startLooper();
	const src = noiseWav(s, 'src.wav', 5 * RATE + 311, 3);
	await startSource(s, src.file);
	await prepare(s, { bpm: 240, monitor: false });
	await s.cmd('looper.set_column', { column: 0, beats: 4 });
	await act(s, 'record', 0, 0);
	await waitTrack(s, 0, 0, (t) => t.state === 'playing', 6000, 'first recording');
});

after(async () => {
	if (s)
		await s.stop();
});

// A layer just made is on disk about one chunk (85 ms) later: allow that.
const wavOf = async (c, t) => {
	let w = await getWav(s, c, t);
	for (let i = 0; i < 25 && w.status === 404; i++) {
		await sleep(20);
		w = await getWav(s, c, t);
	}
	assert.equal(w.status, 200, `GET track ${c}/${t}: ${w.status} ${JSON.stringify(w.body)}`);
	return w.wav;
};

// The frame (in the capture) of a loop start, or null.
function anchorOf(out, loop, onsets) {
	const a = loopAnchor(out, loop, onsets, FPB);
	return a;
}

let A, W;

test('overdub: the new layer is the old one plus the input, sample by sample', async () => {
	A = await wavOf(0, 0);
	assert.equal(A.frames, L);
	const before = await track(s, 0, 0);
	const cap = await capture(s, 5 * RATE);
	await sleep(200);
	await act(s, 'overdub', 0, 0);
	await waitTrack(s, 0, 0, (t) => t.state === 'overdubbing', 3000);
	await act(s, 'play', 0, 0);	// ends the overdub at the next bar: one pass
	await waitTrack(s, 0, 0, (t) => t.state === 'playing', 3000);
	const r = await cap.result();
	W = await wavOf(0, 0);
	assert.equal(W.frames, L);
	const after = await track(s, 0, 0);
	assert.equal(after.layers, before.layers + 1, 'layers count');
	assert.equal(after.layer, before.layer + 1, 'current layer index');
	const g = beatGrid(r.click, FPB);
	const anc = anchorOf(r.L, A.data[0], g.onsets);
	assert.ok(anc !== null, 'the old layer is not playing on the beat grid before the overdub');
	// Which pass was overdubbed: the one where W = A + input.
	let B = -1;
	for (let n = 0; anc + (n + 1) * L <= r.frames && B < 0; n++) {
		const at = anc + n * L;
		let ok = true;
		for (let p = 1000; p < 1200 && ok; p++)
			ok = W.data[0][p] === Math.fround(A.data[0][p] + r.inL[at + p]);
		if (ok)
			B = at;
	}
	assert.ok(B >= 0, 'the new layer is not old + input at any bar of the capture');
	for (const ch of [0, 1]) {
		const inp = ch ? r.inR : r.inL;
		for (let p = DECLICK; p < L - DECLICK; p++) {
			const want = Math.fround(A.data[ch][p] + inp[B + p]);
			if (W.data[ch][p] !== want)
				assert.fail(`ch ${ch}: layer frame ${p}: ${W.data[ch][p]} != ${A.data[ch][p]} + ${inp[B + p]}`);
		}
	}
	// From the end of the overdub pass on, the new layer plays, exactly.
	const out = r.L;
	const dd = firstLoopDiff(out, W.data[0], anc, B + L, r.frames);
	assert.equal(dd, -1, `after the overdub the output is not the new layer: from frame ${dd}, ` +
		`${dd - B - L} frames after the overdub ended`);
	assert.equal(firstLoopDiff(out, A.data[0], anc, Math.max(0, anc), B), -1,
		'before the overdub the output is not the old layer');
});

test('undo restores the exact old audio at the boundary; redo the new', async () => {
	const cap = await capture(s, 3 * RATE, { withSource: false });
	await sleep(200);
	await act(s, 'undo', 0, 0);
	await waitTrack(s, 0, 0, (t) => t.layer === 0, 3000, 'undo');
	const r = await cap.result();
	const U = await wavOf(0, 0);
	assert.equal(firstDiff(U.data[0], 0, A.data[0], 0, L), -1, 'undo: L differs from the old layer');
	assert.equal(firstDiff(U.data[1], 0, A.data[1], 0, L), -1, 'undo: R differs from the old layer');
	const g = beatGrid(r.click, FPB);
	const anc = anchorOf(r.L, W.data[0], g.onsets);
	assert.ok(anc !== null, 'new layer not playing before the undo');
	const d = firstLoopDiff(r.L, W.data[0], anc, Math.max(0, anc), r.frames);
	assert.ok(d > 0, 'undo never took effect in the output');
	// The layers may agree on their first frames (both fade in from 0), so
	// the switch is the bar boundary at or before the first difference.
	const sw = anc + Math.floor((d - anc) / L) * L;
	assert.ok(d - sw < DECLICK, `undo took effect ${d - sw} frames into the bar`);
	assert.equal(firstLoopDiff(r.L, A.data[0], anc, sw, r.frames), -1,
		`after undo (bar frame ${sw}): not exactly the old layer`);
	const t = await track(s, 0, 0);
	assert.equal(t.layers, 2);

	await act(s, 'redo', 0, 0);
	await waitTrack(s, 0, 0, (x) => x.layer === 1, 3000, 'redo');
	const R2 = await wavOf(0, 0);
	assert.equal(firstDiff(R2.data[0], 0, W.data[0], 0, L), -1, 'redo: not the overdubbed layer');
});

test('at least 8 undo levels; a new overdub after undo drops the redo layers', async () => {
	await s.cmd('looper.set_quantize', { mode: 'off' });
	const base = (await track(s, 0, 0)).layer;
	const first = await wavOf(0, 0);
	for (let i = 0; i < 8; i++) {
		const before = await track(s, 0, 0);
		await act(s, 'overdub', 0, 0);
		await waitTrack(s, 0, 0, (t) => t.state === 'overdubbing', 2000);
		await sleep(30);
		await act(s, 'play', 0, 0);
		await waitTrack(s, 0, 0, (t) => t.state === 'playing' && t.layer === before.layer + 1, 2000);
	}
	let t = await track(s, 0, 0);
	assert.equal(t.layer, base + 8);
	assert.ok(t.layers >= base + 9, `layers ${t.layers}`);
	// A layer ended early is saved as the loop plays through it: one pass.
	await sleep(L / RATE * 1000 + 300);
	const down = [];
	down[base + 8] = await wavOf(0, 0);
	for (let i = base + 8; i > base; i--) {
		await act(s, 'undo', 0, 0);
		await waitTrack(s, 0, 0, (x) => x.layer === i - 1, 2000, `undo to layer ${i - 1}`);
		down[i - 1] = await wavOf(0, 0);
		assert.notEqual(firstDiff(down[i - 1].data[0], 0, down[i].data[0], 0, L), -1,
			`layers ${i - 1} and ${i} are the same audio`);
	}
	assert.equal(firstDiff(down[base].data[0], 0, first.data[0], 0, L), -1,
		`8 undos: not the audio of layer ${base}`);
	for (let i = base; i < base + 8; i++) {
		await act(s, 'redo', 0, 0);
		await waitTrack(s, 0, 0, (x) => x.layer === i + 1, 2000, `redo to layer ${i + 1}`);
		const w = await wavOf(0, 0);
		for (const ch of [0, 1])
			assert.equal(firstDiff(w.data[ch], 0, down[i + 1].data[ch], 0, L), -1,
				`redo to layer ${i + 1}: ch ${ch} differs from before the undo`);
	}
	while ((await track(s, 0, 0)).layer > 0) {
		const at = (await track(s, 0, 0)).layer;
		await act(s, 'undo', 0, 0);
		await waitTrack(s, 0, 0, (x) => x.layer === at - 1, 2000, 'undo');
	}
	const r = await s.api('POST', '/api/v1/cmd/looper.undo', { column: 0, track: 0 });
	// nothing to undo: refused (400) or a no-op, never a change
	assert.ok(r.status === 400 || r.status === 200, `undo below the first layer: ${r.status} ${r.text}`);
	await sleep(100);
	assert.equal((await track(s, 0, 0)).layer, 0, 'undo below the first layer changed the layer');
	await act(s, 'redo', 0, 0);
	await waitTrack(s, 0, 0, (x) => x.layer === 1, 2000, 'redo');
	// overdub now: layers above 1 are dropped
	await act(s, 'overdub', 0, 0);
	await waitTrack(s, 0, 0, (x) => x.state === 'overdubbing', 2000);
	await act(s, 'play', 0, 0);
	t = await waitTrack(s, 0, 0, (x) => x.state === 'playing' && x.layer === 2, 2000);
	assert.equal(t.layers, 3, 'redo layers were not dropped');
	const r2 = await s.api('POST', '/api/v1/cmd/looper.redo', { column: 0, track: 0 });
	assert.ok(r2.status === 400 || r2.status === 200, `redo with nothing above: ${r2.status} ${r2.text}`);
	await sleep(100);
	assert.equal((await track(s, 0, 0)).layer, 2, 'redo with nothing above changed the layer');
	await s.cmd('looper.set_quantize', { mode: 'bar' });
});

test('set_volume applies at once, smoothed, to exactly volume x audio', async () => {
	const cur = await wavOf(0, 0);
	await s.cmd('looper.set_volume', { column: 0, track: 0, volume: 0.5 });
	assert.equal((await track(s, 0, 0)).volume, 0.5);
	const cap = await capture(s, RATE, { withSource: false });
	const r = await cap.result();
	const half = cur.data[0].map((x) => Math.fround(0.5 * x));
	const g = beatGrid(r.click, FPB);
	const anc = loopAnchor(r.L, half, g.onsets, FPB);
	assert.ok(anc !== null, 'output is not half the loop');
	assert.equal(firstLoopDiff(r.L, half, anc, 0, r.frames, 1e-6), -1, 'volume 0.5 output');
	await s.cmd('looper.set_volume', { column: 0, track: 0, volume: 1 });
});

test('clear empties the track at the boundary and releases its layers', async () => {
	await act(s, 'clear', 0, 0);
	const t = await waitTrack(s, 0, 0, (x) => x.state === 'empty', 3000, 'clear');
	assert.equal(t.frames, 0);
	assert.equal(t.layers, 0);
	const w = await getWav(s, 0, 0);
	assert.equal(w.status, 404);
	assert.equal(w.body && w.body.ok, false);
	const cap = await capture(s, RATE / 2, { withSource: false });
	const r = await cap.result();
	assert.ok(allZero(r.L, 0, r.frames) && allZero(r.R, 0, r.frames), 'cleared track still sounds');
});

test('free length (column beats 0): the recording ends on a boundary and sets whole beats', async () => {
	const ws = await s.ws();
	await s.cmd('looper.set_column', { column: 1, beats: 0 });
	await s.cmd('looper.set_quantize', { mode: 'beat' });
	await act(s, 'record', 1, 0);
	await waitTrack(s, 1, 0, (t) => t.state === 'recording', 3000);
	await sleep(1100);
	await act(s, 'play', 1, 0);
	const t = await waitTrack(s, 1, 0, (x) => x.state === 'playing', 3000);
	const st = await looper(s);
	const beats = st.columns[1].beats;
	assert.ok(Number.isInteger(beats) && beats >= 4 && beats <= 7, `column beats ${beats}`);
	assert.equal(t.frames, beats * FPB, `frames ${t.frames} for ${beats} beats`);
	assert.equal(trackOf(st, 1, 0).state, 'playing');
	const w = await wavOf(1, 0);
	assert.equal(w.frames, beats * FPB);
	await ws.close();
	await s.cmd('looper.set_quantize', { mode: 'bar' });
});
