// Takes survive either process: server SIGKILL during a recording (the
// engine records and plays on, the restarted server drains the filled chunks,
// the take file is complete with no gap); engine SIGKILL during a recording
// (the server reports it, the restarted engine gets the session back, the
// take is kept up to its last filled chunk); chunk memory exhaustion
// (looper.nomem, the recording stops on a boundary, nothing crashes).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
	RATE, DECLICK, startLooper, noiseWav, startSource, capture, prepare, looper,
	track, waitTrack, act, beatGrid, firstDiff, getWav, sleep, waitFor, cleanStep, settled,
} from '../lib/looper.js';
import { readWav } from '../lib/wav.js';

const FPB = 12000;		// 240 BPM
const CHUNK = 4096;
let s;
let tiny;

before(async () => {
	s = await startLooper();
	const src = noiseWav(s, 'src.wav', 6 * RATE + 5, 21);
	await startSource(s, src.file);
	await prepare(s, { bpm: 240, monitor: false });
});

after(async () => {
	const errs = [];
	for (const x of [s, tiny])
		if (x)
			await x.stop().catch((e) => errs.push(e));
	if (errs.length)
		throw errs[0];
});

function takes(st) {
	const dir = path.join(st.dataDir, 'takes');
	if (!fs.existsSync(dir))
		return [];
	return fs.readdirSync(dir).filter((f) => /^[0-9a-f]{16}\.wav$/.test(f))
		.map((f) => path.join(dir, f));
}

function takeFrames(file) {
	try {
		return readWav(file).frames;
	} catch {
		return -1;
	}
}

// Where in `inp` the sequence take[from..from+n) occurs.
function locate(inp, take, from = 2000, n = 16) {
	outer:
	for (let t = 0; t + n <= inp.length; t++) {
		for (let k = 0; k < n; k++)
			if (inp[t + k] !== take[from + k])
				continue outer;
		return t - from;
	}
	return -1;
}

let firstTake, W0;
const staleTakes = new Set();	// of server-kill tries an xrun hit

test('server SIGKILL while recording: engine records on, take file complete, no gap', async () => {
	const L = 16 * FPB;	// 4 s
	await s.cmd('looper.set_column', { column: 0, beats: 16 });
	const gen = (await s.status()).generation;
	const enginePid = s.engine.pid;
	// A jackd xrun in the capture (input, playback or the take lose a
	// cycle) runs the whole step again from an empty track.
	const { r, files } = await cleanStep(async () => {
		const old = new Set(takes(s));
		const cap = await capture(s, 7 * RATE);
		await act(s, 'record', 0, 0);	// transport stopped: starts here, now
		await waitTrack(s, 0, 0, (t) => t.state === 'recording', 2000);
		await sleep(800);
		await s.killServer('SIGKILL');
		await sleep(1500);
		assert.ok(s.engine.running, 'engine died with the server');
		await s.startServer();
		const st = await s.status();
		assert.equal(st.engine_pid, enginePid);
		assert.equal(st.generation, gen);
		const r = await cap.result();
		await waitTrack(s, 0, 0, (t) => t.state === 'playing' && t.frames === L, 5000,
			'recording ended by itself while the server was away');
		return { r, files: takes(s).filter((f) => !old.has(f)), xrun: r.xrun };
	}, async () => {	// empty track, transport stopped
		for (const f of takes(s))
			staleTakes.add(f);
		await s.cmd('transport.stop');
		await settled(s, 0, 0);
		await act(s, 'clear', 0, 0);
		await settled(s, 0, 0, (t) => t.state === 'empty');
	});
	const g = beatGrid(r.click, FPB);
	const start = g.beat0;
	// The first pass (beats 16..32) plays what was recorded, exactly.
	const k = firstDiff(r.L, start + L + DECLICK, r.inL, start + DECLICK, Math.min(L, r.frames - start - L) - 2 * DECLICK);
	assert.equal(k, -1, `playback differs from the input at loop frame ${DECLICK + k}`);
	// The take on disk: complete, equal to the input, no gap.
	assert.equal(files.length, 1, `takes: ${files}`);
	firstTake = files[0];
	await waitFor(() => takeFrames(firstTake) === L, 5000, `take ${firstTake} to hold ${L} frames`);
	const take = readWav(firstTake);
	assert.equal(take.sampleRate, RATE);
	assert.equal(take.channels, 2);
	assert.equal(take.format, 'float32');
	for (const [ch, inp] of [[0, r.inL], [1, r.inR]]) {
		const d = firstDiff(take.data[ch], DECLICK, inp, start + DECLICK, L - 2 * DECLICK);
		assert.equal(d, -1, `take ch ${ch} differs from the input at frame ${DECLICK + d}`);
	}
	const w = await getWav(s, 0, 0);
	W0 = w.wav;
	assert.equal(firstDiff(W0.data[0], 0, take.data[0], 0, L), -1, 'take != track');
});

test('engine SIGKILL while recording: reported, session restored, take kept to its last chunk', async () => {
	await sleep(1000);	// let the autosave settle with track 0/0
	await s.cmd('looper.set_column', { column: 2, beats: 16 });
	const ws = await s.ws();
	const cap = await capture(s, 5 * RATE);
	await act(s, 'record', 2, 0);
	await waitTrack(s, 2, 0, (t) => t.state === 'recording', 3000);
	await sleep(1500);
	ws.clear();
	await s.killEngine('SIGKILL');
	await ws.next((m) => m.type === 'event' && m.event === 'engine.disconnected', 2000);
	assert.equal((await s.status()).connected, false);
	const r = await cap.result();
	const files = takes(s).filter((f) => f !== firstTake && !staleTakes.has(f));
	assert.equal(files.length, 1, `new takes: ${files}`);
	// The server drained what was filled; the last chunk may be lost.
	await sleep(300);
	const take = readWav(files[0]);
	assert.ok(take.frames > 0 && take.frames % CHUNK === 0,
		`take frames ${take.frames}: not whole chunks`);
	assert.ok(take.frames >= 1.2 * RATE - CHUNK, `take holds ${take.frames} frames after ~1.5 s`);
	const off = locate(r.inL, take.data[0]);
	assert.ok(off >= 0, 'the take is not the input');
	const n = Math.min(take.frames, r.frames - off) - DECLICK;
	assert.equal(firstDiff(take.data[0], DECLICK, r.inL, off + DECLICK, n - DECLICK), -1,
		'take L has a gap or differs from the input');
	assert.equal(firstDiff(take.data[1], DECLICK, r.inR, off + DECLICK, n - DECLICK), -1,
		'take R has a gap or differs from the input');

	await s.startEngine();
	await ws.next((m) => m.type === 'event' && m.event === 'engine.connected', 2000);
	const t0 = await waitTrack(s, 0, 0, (t) => t.state === 'playing' || t.state === 'muted', 5000,
		'session restore');
	assert.equal(t0.frames, W0.frames);
	const w = await getWav(s, 0, 0);
	assert.equal(w.status, 200);
	assert.equal(firstDiff(w.wav.data[0], 0, W0.data[0], 0, W0.frames), -1, 'restored L differs');
	assert.equal(firstDiff(w.wav.data[1], 0, W0.data[1], 0, W0.frames), -1, 'restored R differs');
	const st = await looper(s);
	assert.equal(st.columns[0].beats, 16, 'column length not restored');
	assert.equal(st.transport.bpm, 240, 'tempo not restored');
	assert.ok(fs.existsSync(files[0]), 'the partial take was deleted');
	await ws.close();
});

test('chunk memory exhaustion: looper.nomem, recording stops on a boundary, no crash', async () => {
	tiny = await startLooper({ pool: { chunks: 64 } });
	const src = noiseWav(tiny, 'src.wav', 3 * RATE + 1, 5);
	await startSource(tiny, src.file);
	await prepare(tiny, { bpm: 240, monitor: false, quantize: 'beat' });
	const ws = await tiny.ws();
	await act(tiny, 'record', 0, 0);	// free length: runs until memory ends it
	const ev = await ws.next((m) => m.type === 'event' && m.event === 'looper.nomem', 12000);
	assert.equal(ev.column, 0);
	assert.equal(ev.track, 0);
	const t = await waitTrack(tiny, 0, 0, (x) => x.state === 'playing', 3000, 'play after nomem');
	assert.ok(t.frames > 0 && t.frames <= 64 * CHUNK, `frames ${t.frames}`);
	assert.equal(t.frames % FPB, 0, `recording did not stop on a beat: ${t.frames} frames`);
	assert.equal((await looper(tiny)).columns[0].beats, t.frames / FPB);
	const w = await getWav(tiny, 0, 0);
	assert.equal(w.status, 200);
	assert.equal(w.wav.frames, t.frames);
	// nothing left: another recording is refused or ends at once, nothing crashes
	await tiny.cmd('looper.set_column', { column: 1, beats: 4 });
	await tiny.api('POST', '/api/v1/cmd/looper.record', { column: 1, track: 0 });
	await sleep(1500);
	assert.ok(tiny.engine.running && tiny.server.running, 'a process died');
	assert.ok((await tiny.cmd('engine.ping')).rtt_us > 0);
	// the take of the exhausted recording is complete on disk
	const files = takes(tiny);
	assert.ok(files.length >= 1);
	const lens = files.map(takeFrames);
	assert.ok(lens.includes(t.frames) || lens.some((x) => x >= t.frames),
		`take lengths ${lens} vs track ${t.frames}`);
	// clearing releases the chunks: a 4-beat recording fits again
	await act(tiny, 'clear', 0, 0);
	await waitTrack(tiny, 0, 0, (x) => x.state === 'empty', 3000);
	const t1 = await track(tiny, 1, 0);
	if (t1.state !== 'empty') {
		await act(tiny, 'clear', 1, 0);
		await waitTrack(tiny, 1, 0, (x) => x.state === 'empty', 3000);
	}
	await sleep(300);
	await act(tiny, 'record', 1, 0);
	const t2 = await waitTrack(tiny, 1, 0, (x) => x.state === 'playing', 5000, 'record after clear');
	assert.equal(t2.frames, 4 * FPB);
	await ws.close();
});
