// Looper timing, sample-exact: loop length, start on the beat frame,
// bit-exact repetition, click onsets, quantized mute/solo, last command
// wins, alignment kept across an engine xrun (SIGSTOP/SIGCONT).
//
// Frame coordinate: one sb-recorder captures out_L/out_R/click and the
// source's own ports (see tests/lib/looper.js); the first click onset is
// beat 0.  Monitor is off, so the outputs carry only the loops.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
	RATE, DECLICK, startLooper, noiseWav, startSource, capture, prepare, looper,
	trackOf, track, waitTrack, act, beatGrid, firstDiff, firstDiffTol, allZero, fadeZero,
	firstLoopDiff, loopAnchor, getWav, sleep, cleanStep, settled,
} from '../lib/looper.js';

let a;	// default declick (64 frames), 120 BPM
let b;	// declick 0 (every frame exact), 240 BPM

before(async () => {
	a = await startLooper();
	// An odd length: the source never repeats with the loop's period.
	const src = noiseWav(a, 'src.wav', 7 * RATE + 123, 7);
	await startSource(a, src.file);
	await prepare(a, { bpm: 120, monitor: false });
	await a.cmd('looper.set_column', { column: 0, beats: 4 });

	b = await startLooper({ looper: { declick_frames: 0 } });
	const srcB = noiseWav(b, 'src.wav', 5 * RATE + 77, 11);
	await startSource(b, srcB.file);
	await prepare(b, { bpm: 240, monitor: false });
	await b.cmd('looper.set_column', { column: 0, beats: 4 });
});

after(async () => {
	const errs = [];
	for (const s of [a, b])
		if (s)
			await s.stop().catch((e) => errs.push(e));
	if (errs.length)
		throw errs[0];
});

function gridOk(g, period, r) {
	assert.deepEqual(g.bad.slice(0, 5), [], 'click onsets off the beat grid ' +
		`(recorder: ${(r && r.skipped) || 'no xrun'})`);
	assert.equal(g.beat0 % period, 0,
		`beat 0 (first click onset, frame ${g.beat0} of the capture) is not the first ` +
		'frame of a cycle (the click must be non-zero on the beat frame itself)');
}

test('120 BPM, 4-beat column: 96000-frame loop on the bar, bit-exact repeats', async () => {
	const FPB = 24000, L = 96000;
	const r = await cleanStep(async () => {
		const cap = await capture(a, 10 * RATE);
		await a.cmd('transport.start');
		await act(a, 'record', 0, 0);	// quantize bar: starts on beat 4
		return cap.result();
	}, async () => {	// back to an empty track, transport stopped
		await a.cmd('transport.stop');
		await settled(a, 0, 0);
		await act(a, 'clear', 0, 0);
		await settled(a, 0, 0, (t) => t.state === 'empty');
	});
	const g = beatGrid(r.click, FPB);
	gridOk(g, a.period, r);
	assert.ok(g.onsets.length >= 16, `${g.onsets.length} click onsets`);
	const start = g.beat0 + 4 * FPB;	// recording: beats 4..8
	const play = start + L;			// first pass plays from beat 8
	for (const [out, inp, ch] of [[r.L, r.inL, 'L'], [r.R, r.inR, 'R']]) {
		assert.ok(allZero(out, 0, play), `out_${ch}: sound before the first pass at ${play}`);
		const k = firstDiff(out, play + DECLICK, inp, start + DECLICK, L - 2 * DECLICK);
		assert.equal(k, -1, `out_${ch}: first pass differs from the input at loop frame ` +
			`${DECLICK + k} (${out[play + DECLICK + k]} vs ${inp[start + DECLICK + k]})`);
		const fi = fadeZero(out, inp, L, play, DECLICK, +1);
		assert.ok(fi.spread < 0.05, `out_${ch}: fade-in is not a ${DECLICK}-frame linear ramp ` +
			JSON.stringify(fi));
		assert.ok(fi.zero >= play - 1 - 0.05 && fi.zero <= play + 0.05,
			`out_${ch}: recording starts at ${fi.zero.toFixed(2)}, beat frame ${play - L} ` +
			`(+L ${play}): ${(fi.zero - play).toFixed(2)} frames off`);
		const fo = fadeZero(out, inp, L, play + L - DECLICK, DECLICK, -1);
		assert.ok(fo.spread < 0.05, `out_${ch}: fade-out is not linear ${JSON.stringify(fo)}`);
		assert.ok(fo.zero >= play + L - 1 - 0.05 && fo.zero <= play + L + 0.05,
			`out_${ch}: recording ends at ${fo.zero.toFixed(2)}, want beat frame ${play + L}`);
		const rep = firstDiff(out, play, out, play + L, L);
		assert.equal(rep, -1, `out_${ch}: second pass differs from the first at loop frame ${rep}`);
	}
	const st = await looper(a);
	assert.equal(st.transport.running, true);
	assert.equal(st.columns[0].beats, 4);
	const tr = trackOf(st, 0, 0);
	assert.equal(tr.state, 'playing');
	assert.equal(tr.frames, L);
	assert.equal(tr.next_state, null);
	// What GET returns is what played.
	const w = await getWav(a, 0, 0);
	assert.equal(w.status, 200);
	assert.equal(w.wav.frames, L);
	assert.equal(firstDiff(r.L, play, w.wav.data[0], 0, L), -1, 'GET track WAV != played L');
	assert.equal(firstDiff(r.R, play, w.wav.data[1], 0, L), -1, 'GET track WAV != played R');
});

test('click: onsets on every beat frame, accent on the bar, silent between beats', async () => {
	const FPB = 24000;
	await a.cmd('looper.mute', { column: 0, track: 0 });
	const cap = await capture(a, 3 * RATE, { withSource: false });
	const r = await cap.result();
	const g = beatGrid(r.click, FPB, { xrunTolerant: !!r.skipped });
	assert.deepEqual(g.bad, [], `onsets off the grid (recorder: ${r.skipped || 'no xrun'})`);
	assert.ok(g.onsets.length >= 5);
	for (const o of g.onsets.filter((x) => (x - g.beat0) % FPB === 0)) {
		assert.equal(r.click[o - 1] ?? 0, 0, `click not silent before the onset at ${o}`);
		// ~20 ms burst, then nothing until the next beat
		assert.ok(allZero(r.click, o + Math.round(0.05 * RATE), Math.min(o + FPB, r.frames)),
			`click not silent between beats after ${o}`);
	}
	await a.cmd('click.set', { enabled: false, volume: 0.5 });
	const cap2 = await capture(a, RATE, { withSource: false });
	const r2 = await cap2.result();
	assert.ok(allZero(r2.click, 0, r2.frames), 'click sounds while disabled');
	await a.cmd('click.set', { enabled: true, volume: 0.5 });
});

test('record while stopped: the transport and the recording start on the same frame', async () => {
	const FPB = 12000, L = 48000;
	const cap = await capture(b, Math.round(4.5 * RATE));
	await act(b, 'record', 0, 0);
	const r = await cap.result();
	const g = beatGrid(r.click, FPB);
	gridOk(g, b.period, r);
	const start = g.beat0;
	for (const [out, inp, ch] of [[r.L, r.inL, 'L'], [r.R, r.inR, 'R']]) {
		assert.ok(allZero(out, 0, start + L), `out_${ch}: sound before the first pass`);
		assert.equal(out[start + L], inp[start], `out_${ch}: loop frame 0 is not input frame ${start}`);
		const k = firstDiff(out, start + L, inp, start, L);
		assert.equal(k, -1, `out_${ch}: loop differs from the input at loop frame ${k} (declick 0)`);
		assert.equal(firstDiff(out, start + L, out, start + 2 * L, L), -1, `out_${ch}: repeat differs`);
	}
	const st = await looper(b);
	assert.equal(st.transport.running, true);
	assert.equal(trackOf(st, 0, 0).frames, L);
	assert.equal(trackOf(st, 0, 0).state, 'playing');
});

// Anchor of a loop in a capture (see loopAnchor); null when it does not play.
function findAnchor(out, loop, onsets, span) {
	const a = loopAnchor(out, loop, onsets, 12000, Math.min(span, 2000));
	return a;
}

test('mute and solo take effect on the bar frame; last command wins', async () => {
	const FPB = 12000, BAR = 48000;
	await act(b, 'record', 0, 1);
	await waitTrack(b, 0, 1, (t) => t.state === 'playing', 5000);
	const w0 = (await getWav(b, 0, 0)).wav;
	const w1 = (await getWav(b, 0, 1)).wav;
	assert.equal(w0.frames, BAR);
	assert.equal(w1.frames, BAR);
	const mix = w0.data[0].map((x, i) => Math.fround(x + w1.data[0][i]));

	// solo track 1 at the next bar: from that frame only track 1 sounds
	const r = await cleanStep(async () => {
		const cap = await capture(b, 3 * RATE, { withSource: false });
		await sleep(300);
		await act(b, 'solo', 0, 1);
		return cap.result();
	}, async () => {	// unsolo again
		if ((await settled(b, 0, 1)).solo)
			await act(b, 'solo', 0, 1);
		await settled(b, 0, 1, (t) => t.solo === false);
	});
	const g = beatGrid(r.click, FPB);
	const anchor = findAnchor(r.L, mix, g.onsets, FPB);
	assert.ok(anchor !== null, 'both tracks together do not line up on a beat');
	const d = firstLoopDiff(r.L, mix, anchor, Math.max(0, anchor), r.frames, 1e-6);
	assert.ok(d > 0, 'solo never took effect');
	assert.equal((d - anchor) % BAR, 0, `solo took effect at ${d}, not on a bar frame ` +
		`(anchor ${anchor}, ${(d - anchor) % BAR} frames into the bar)`);
	assert.equal(firstLoopDiff(r.L, w1.data[0], anchor, d, r.frames), -1,
		'after the solo boundary out_L is not exactly track 1');
	assert.equal((await track(b, 0, 1)).solo, true);

	// last command wins: mute then play before the boundary = no change
	const r2 = await cleanStep(async () => {
		const cap2 = await capture(b, 2 * RATE, { withSource: false });
		await act(b, 'mute', 0, 1);
		await act(b, 'play', 0, 1);
		return cap2.result();
	}, async () => {
		if ((await settled(b, 0, 1)).state !== 'playing')
			await act(b, 'play', 0, 1);
		await settled(b, 0, 1, (t) => t.state === 'playing');
	});
	const g2 = beatGrid(r2.click, FPB);
	const a2 = findAnchor(r2.L, w1.data[0], g2.onsets, FPB);
	assert.ok(a2 !== null, 'track 1 not playing');
	assert.equal(firstLoopDiff(r2.L, w1.data[0], a2, Math.max(0, a2), r2.frames), -1,
		'mute followed by play within one bar changed the output');
	assert.equal((await track(b, 0, 1)).state, 'playing');

	// mute: silent from the bar frame on (declick 0: exactly zero)
	await act(b, 'solo', 0, 1);	// unsolo
	await waitTrack(b, 0, 1, (t) => t.solo === false, 3000);
	const r3 = await cleanStep(async () => {
		const cap3 = await capture(b, 3 * RATE, { withSource: false });
		await sleep(300);
		await act(b, 'mute', 0, 0);
		return cap3.result();
	}, async () => {	// track 0 playing again
		if ((await settled(b, 0, 0)).state !== 'playing')
			await act(b, 'play', 0, 0);
		await settled(b, 0, 0, (t) => t.state === 'playing');
	});
	const g3 = beatGrid(r3.click, FPB);
	const a3 = findAnchor(r3.L, mix, g3.onsets, FPB);
	assert.ok(a3 !== null, 'unsolo: the two tracks are not both sounding');
	const d3 = firstLoopDiff(r3.L, mix, a3, Math.max(0, a3), r3.frames, 1e-6);
	assert.ok(d3 > 0, 'mute never took effect');
	assert.equal((d3 - a3) % BAR, 0, `mute took effect ${(d3 - a3) % BAR} frames into a bar`);
	assert.equal(firstLoopDiff(r3.L, w1.data[0], a3, d3, r3.frames), -1,
		'after the mute only track 1 should sound, exactly');
	const t0 = await track(b, 0, 0);
	assert.equal(t0.state, 'muted');
	await act(b, 'play', 0, 0);
	await waitTrack(b, 0, 0, (t) => t.state === 'playing', 3000);
});

test('quantize beat and off: changes on the beat frame / at once', async () => {
	const FPB = 12000;
	await b.cmd('looper.set_quantize', { mode: 'beat' });
	assert.equal((await looper(b)).quantize, 'beat');
	const w1 = (await getWav(b, 0, 1)).wav;
	const w0 = (await getWav(b, 0, 0)).wav;
	const mix = w0.data[0].map((x, i) => Math.fround(x + w1.data[0][i]));
	const r = await cleanStep(async () => {
		const cap = await capture(b, 2 * RATE, { withSource: false });
		await sleep(300);
		await act(b, 'mute', 0, 0);
		return cap.result();
	}, async () => {	// track 0 playing again
		if ((await settled(b, 0, 0)).state !== 'playing')
			await act(b, 'play', 0, 0);
		await settled(b, 0, 0, (t) => t.state === 'playing');
	});
	const g = beatGrid(r.click, FPB);
	const anc = findAnchor(r.L, mix, g.onsets, 2000);
	assert.ok(anc !== null);
	const d = firstLoopDiff(r.L, mix, anc, Math.max(0, anc), r.frames, 1e-6);
	assert.ok(d > 0, 'mute never took effect');
	assert.equal((d - g.beat0) % FPB, 0, `quantize beat: mute ${(d - g.beat0) % FPB} frames after a beat ` +
		`(anchor ${anc}, d ${d}, recorder: ${r.skipped || 'no xrun'})`);
	await b.cmd('looper.set_quantize', { mode: 'off' });
	const t0 = await waitTrack(b, 0, 0, (t) => t.state === 'muted', 2000);
	assert.equal(t0.next_state, null);
	await act(b, 'mute', 0, 1);
	await waitTrack(b, 0, 1, (t) => t.state === 'muted', 1000, 'mute with quantize off');
	// off: the first frame of the cycle that handles the command
	const r2 = await cleanStep(async () => {
		const cap2 = await capture(b, RATE, { withSource: false });
		await sleep(300);
		await act(b, 'play', 0, 0);
		await waitTrack(b, 0, 0, (t) => t.state === 'playing', 1000, 'unmute with quantize off');
		return cap2.result();
	}, async () => {	// track 0 muted again (quantize off: at once)
		await act(b, 'mute', 0, 0);
		await settled(b, 0, 0, (t) => t.state === 'muted', 1000);
	});
	const on = r2.L.findIndex((x) => x !== 0);
	assert.ok(on > 0, 'unmute never sounded');
	assert.equal(on % b.period, 0, `quantize off: sound resumed ${on % b.period} frames into a cycle`);
	await act(b, 'play', 0, 1);
	await waitTrack(b, 0, 1, (t) => t.state === 'playing', 1000);
	await b.cmd('looper.set_quantize', { mode: 'bar' });
});

test('an engine xrun (SIGSTOP/SIGCONT) keeps the loops and the click on the grid', async () => {
	const FPB = 12000, L = 48000;
	if ((await track(b, 0, 0)).state === 'empty') {	// run alone
		await act(b, 'record', 0, 0);
		await waitTrack(b, 0, 0, (t) => t.state === 'playing', 5000);
	}
	const before = await b.status();
	const cap = await capture(b, 4 * RATE, { withSource: false });
	await sleep(1500);
	process.kill(b.engine.pid, 'SIGSTOP');
	await sleep(120);
	process.kill(b.engine.pid, 'SIGCONT');
	const r = await cap.result();
	assert.ok(b.engine.running, 'engine died');
	const st = await b.status();
	assert.ok(st.missed_frames > before.missed_frames || st.xruns > before.xruns,
		`no xrun seen (xruns ${before.xruns} -> ${st.xruns})`);
	const g = beatGrid(r.click, FPB);
	// The output is L-periodic before the stop; after the gap it must be the
	// same periodic signal with the same phase.
	const ref = g.onsets[0];
	assert.equal(firstDiff(r.L, ref, r.L, ref + L, 10000), -1, 'not periodic before the stop');
	let gapStart = -1;
	for (let t = ref + L; t < r.frames; t++)
		if (r.L[t] !== r.L[ref + ((t - ref) % L)]) { gapStart = t; break; }
	assert.ok(gapStart > 0, 'the stop left no trace in the output');
	let lastBad = -1;
	for (let t = gapStart; t < r.frames; t++)
		if (r.L[t] !== r.L[ref + ((t - ref) % L)])
			lastBad = t;
	assert.ok(lastBad - gapStart < 0.5 * RATE, `output disturbed for ${lastBad - gapStart} frames`);
	assert.ok(r.frames - lastBad > RATE, 'no clean output after the xrun to compare');
	// Clicks: on the grid, except a burst cut by the gap resuming inside it.
	const off = g.onsets.filter((o) => (o - g.beat0) % FPB !== 0 &&
		!(o >= gapStart - 2000 && o <= lastBad + 0.05 * RATE));
	assert.deepEqual(off, [], `click onsets off the grid (gap ${gapStart}..${lastBad})`);
	assert.ok(g.onsets.filter((o) => o > lastBad).length >= 3, 'no clicks after the xrun');
	assert.ok(st.connected, 'server lost the engine');
});
