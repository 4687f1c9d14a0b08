// Nothing lost, nothing exhausted (issue 8, "Safe on a shared LAN"): WAV
// uploads judged by their header before anything is allocated (rates
// outside 8..384 kHz, zero frames after conversion, longer than the chunk
// pool or than what is free) with no file left behind; sessions answered
// while a slow import runs; a save over an existing name never leaves it
// half-written; an engine stall shorter than the disconnect threshold is
// no disconnect and every command in flight is answered once; a take the
// engine died in is restored into its track and plays; take files nothing
// needs are removed at start-up and after a save, referenced ones stay.
//
// Durations are printed for the report, never asserted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
	RATE, startLooper, noise, stereoWav, putWav, getWav, looper, track, waitTrack,
	act, prepare, capture, sleep, waitFor, settled,
} from '../lib/looper.js';
import { encodeWav, readWav, sine, rms } from '../lib/wav.js';
import { peakFreq, toneAmp } from '../lib/dsp.js';

const CHUNK = 4096;
const stacks = [];
let s;			// the main stack: default pool

before(async () => {
	s = await startLooper();
	stacks.push(s);
	await prepare(s, { bpm: 120, monitor: false });
});

after(async () => {
	const errs = [];
	for (const x of stacks)
		await x.stop().catch((e) => errs.push(e));
	if (errs.length)
		throw errs[0];
});

const takesDir = (st) => path.join(st.dataDir, 'takes');
const tmpDir = (st) => path.join(st.dataDir, 'tmp');
const sessDir = (st, name) => path.join(st.dataDir, 'sessions', name);

function ls(dir) {
	try {
		return fs.readdirSync(dir).sort();
	} catch {
		return [];
	}
}

function added(before, now) {
	const b = new Set(before);
	return now.filter((f) => !b.has(f));
}

// A WAV header whose data chunk claims `claimBytes` with `dataBytes` of data.
function lyingWav(rate, claimBytes, dataBytes) {
	const buf = Buffer.alloc(44 + dataBytes);
	buf.write('RIFF', 0, 'ascii');
	buf.writeUInt32LE(Math.min(36 + claimBytes, 0xffffffff), 4);
	buf.write('WAVEfmt ', 8, 'ascii');
	buf.writeUInt32LE(16, 16);
	buf.writeUInt16LE(1, 20);		// PCM
	buf.writeUInt16LE(2, 22);		// stereo
	buf.writeUInt32LE(rate, 24);
	buf.writeUInt32LE(rate * 4, 28);
	buf.writeUInt16LE(4, 32);
	buf.writeUInt16LE(16, 34);
	buf.write('data', 36, 'ascii');
	buf.writeUInt32LE(claimBytes, 40);
	return buf;
}

// PUT body on track c/t: the answer, how long it took, and the files it
// left in DATA/tmp and DATA/takes.
async function put(st, c, t, body) {
	const t0 = [ls(tmpDir(st)), ls(takesDir(st))];
	const start = performance.now();
	const r = await putWav(st, c, t, body);
	const ms = performance.now() - start;
	await sleep(50);	// a leftover would be there by now
	return { r, ms, tmpLeft: added(t0[0], ls(tmpDir(st))),
		 takesLeft: added(t0[1], ls(takesDir(st))) };
}

test('bad rates and zero-frame WAVs -> fast 400 naming the problem, no file left', async () => {
	const before = await track(s, 0, 0);
	const cases = [
		{ what: '3.6 KB WAV claiming 1 Hz',
		  body: encodeWav({ sampleRate: 1, format: 'pcm16',
				    channels: [noise(900, 1), noise(900, 2)] }),
		  re: /sample rate 1 Hz is outside 8000\.\.384000 Hz/ },
		{ what: '1-frame 192 kHz WAV',
		  body: encodeWav({ sampleRate: 192000, channels: [[0.5], [0.5]] }),
		  re: /shorter than one frame at 48000 Hz/ },
		{ what: '0-frame 192 kHz WAV',
		  body: encodeWav({ sampleRate: 192000, channels: [[], []] }),
		  re: /no frames|not a readable audio file/ },
		{ what: '500 kHz WAV',
		  body: encodeWav({ sampleRate: 500000, channels: [noise(5000, 3)] }),
		  re: /sample rate 500000 Hz is outside/ },
	];
	for (const k of cases) {
		const { r, ms, tmpLeft, takesLeft } = await put(s, 0, 0, k.body);
		console.log(`[durable] ${k.what} (${k.body.length} bytes): ${r.status} in ` +
			`${ms.toFixed(1)} ms: ${r.text}`);
		assert.equal(r.status, 400, `${k.what}: ${r.status} ${r.text}`);
		assert.equal(r.body.ok, false);
		assert.match(r.body.error, k.re, k.what);
		assert.deepEqual(tmpLeft, [], `${k.what}: left in data/tmp`);
		assert.deepEqual(takesLeft, [], `${k.what}: left in data/takes`);
	}
	const afterT = await track(s, 0, 0);
	assert.equal(afterT.state, before.state);
	assert.equal(afterT.layers, before.layers);
	assert.ok((await s.cmd('engine.ping')).rtt_us > 0, 'the stack still answers');
});

test('a WAV header claiming more than the file holds: only what is there counts', async () => {
	// 400 MB of 16-bit stereo claimed, 64 KB sent: libsndfile measures the
	// file, so nothing is allocated for the claim.
	const body = lyingWav(48000, 400 << 20, 64 << 10);
	const { r, ms, tmpLeft } = await put(s, 2, 0, body);
	console.log(`[durable] header claiming 100 M frames, 64 KB sent: ${r.status} in ` +
		`${ms.toFixed(1)} ms: ${r.text}`);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.body.result.frames, (64 << 10) / 4);
	assert.deepEqual(tmpLeft, []);
});

test('small pool: longer than the pool -> 413, longer than what is free -> 507, fitting -> 200', async () => {
	const tiny = await startLooper({ pool: { chunks: 64 } });	// 262144 frames
	stacks.push(tiny);
	const pcm = (frames, seed) => encodeWav({ sampleRate: RATE, format: 'pcm16',
		channels: [noise(frames, seed), noise(frames, seed + 1)] });
	let x = await put(tiny, 0, 0, pcm(10 * RATE, 1));
	console.log(`[durable] 10 s into a 5.5 s pool: ${x.r.status} in ${x.ms.toFixed(1)} ms: ${x.r.text}`);
	assert.equal(x.r.status, 413, x.r.text);
	assert.match(x.r.body.error, /audio too long/);
	assert.deepEqual(x.tmpLeft, []);
	assert.deepEqual(x.takesLeft, []);
	// half the pool stocks the engine's free ring: 4 s fits the pool, not
	// the chunks a load may take
	x = await put(tiny, 0, 0, pcm(4 * RATE, 3));
	console.log(`[durable] 4 s with ~2.7 s takeable: ${x.r.status} in ${x.ms.toFixed(1)} ms: ${x.r.text}`);
	assert.equal(x.r.status, 507, x.r.text);
	assert.match(x.r.body.error, /not enough free chunk memory/);
	assert.deepEqual(x.tmpLeft, []);
	assert.deepEqual(x.takesLeft, []);
	x = await put(tiny, 0, 0, pcm(RATE, 5));
	assert.equal(x.r.status, 200, x.r.text);
	assert.equal(x.r.body.result.frames, RATE);
	assert.deepEqual(x.tmpLeft, []);
	assert.equal(x.takesLeft.length, 1, 'the loaded layer has its take');
	assert.equal((await track(tiny, 0, 0)).state, 'playing');
});

test('session list and save answer while a slow import runs', async () => {
	// 10 s at 384 kHz: seconds of conversion on the slow lane.
	const frames = 10 * 384000;
	const body = encodeWav({ sampleRate: 384000, format: 'pcm16',
				 channels: [sine(440, 0.5, frames, 384000)] });
	const t0 = performance.now();
	let putDone = null;
	const putP = putWav(s, 1, 0, body).then((r) => {
		putDone = performance.now();
		return r;
	});
	// the body is in DATA/tmp in full: the worker converts it now
	await waitFor(() => ls(tmpDir(s)).some((f) => f.startsWith('upload-') &&
		fs.statSync(path.join(tmpDir(s), f)).size === body.length) || putDone,
	10000, 'the upload to arrive');
	const answered = [];
	for (const [name, args] of [['looper.list_sessions', {}],
		['looper.save_session', { name: 'during-import' }],
		['looper.list_sessions', {}]]) {
		const r = await s.api('POST', `/api/v1/cmd/${name}`, args);
		assert.equal(r.status, 200, `${name}: ${r.text}`);
		answered.push({ name, at: performance.now(), importRunning: putDone === null });
	}
	const r = await putP;
	assert.equal(r.status, 200, r.text);
	assert.equal(r.body.result.frames, 10 * RATE);
	for (const a of answered)
		console.log(`[durable] ${a.name} answered ${(a.at - t0).toFixed(0)} ms after the import ` +
			`began; import ended at ${(putDone - t0).toFixed(0)} ms`);
	assert.ok(answered.every((a) => a.importRunning),
		`a session command waited for the import: ${JSON.stringify(answered)}`);
	const list = await s.cmd('looper.list_sessions');
	assert.ok(list.sessions.some((x) => x.name === 'during-import'));
});

// A session directory is whole: session.json parses, names one of the
// expected tempos, and every track file it lists is there with its frames.
function sessionWhole(st, name, bpms) {
	const dir = sessDir(st, name);
	const j = JSON.parse(fs.readFileSync(path.join(dir, 'session.json'), 'utf8'));
	assert.ok(bpms.includes(j.bpm), `bpm ${j.bpm} not one of ${bpms}`);
	let n = 0;
	for (const c of j.columns)
		for (const t of c.tracks) {
			const w = readWav(path.join(dir, t.file));
			assert.equal(w.frames, t.frames, `${t.file}: ${w.frames} frames, listed ${t.frames}`);
			n++;
		}
	return { bpm: j.bpm, tracks: n };
}

test('saving over an existing name: the old session stays whole until the new one is', async () => {
	await s.cmd('transport.set_tempo', { bpm: 100 });
	await s.cmd('looper.save_session', { name: 'song' });
	assert.equal(sessionWhole(s, 'song', [100]).bpm, 100);
	const seen = new Set();
	// Freeze the server at many points of a save and look at the disk:
	// what a crash there would leave.
	for (let i = 0; i < 30; i++) {
		const bpm = i % 2 ? 100 : 140;
		await s.cmd('transport.set_tempo', { bpm });
		const p = s.api('POST', '/api/v1/cmd/looper.save_session', { name: 'song' });
		await sleep(i % 7);
		process.kill(s.server.pid, 'SIGSTOP');
		try {
			seen.add(sessionWhole(s, 'song', [100, 140]).bpm);
		} finally {
			process.kill(s.server.pid, 'SIGCONT');
		}
		const r = await p;
		assert.equal(r.status, 200, r.text);
		assert.equal(sessionWhole(s, 'song', [bpm]).bpm, bpm, 'the save did not land');
	}
	console.log(`[durable] tempos seen mid-save: ${[...seen]}`);
	// A real crash in the middle of a save, then a restart.
	await s.cmd('transport.set_tempo', { bpm: 140 });
	const p = s.api('POST', '/api/v1/cmd/looper.save_session', { name: 'song' }).catch(() => null);
	await sleep(2);
	await s.killServer('SIGKILL');
	await p;
	sessionWhole(s, 'song', [100, 140]);
	await s.startServer();
	assert.ok(!fs.existsSync(sessDir(s, '.tmp-song')), 'start-up left a half-written save');
	const list = await s.cmd('looper.list_sessions');
	assert.ok(list.sessions.some((x) => x.name === 'song'));
	sessionWhole(s, 'song', [100, 140]);
});

test('an engine stall under the disconnect threshold: no disconnect, every command answered once', async () => {
	const ws = await s.ws();
	await waitFor(async () => (await s.status()).connected, 3000, 'engine connected');
	ws.clear();
	const pid = s.engine.pid;
	process.kill(pid, 'SIGSTOP');
	let stopped = true;
	try {
		const http = [
			s.api('POST', '/api/v1/cmd/engine.ping', {}),
			s.api('POST', '/api/v1/cmd/transport.set_tempo', { bpm: 111 }),
			s.api('POST', '/api/v1/cmd/looper.set_column', { column: 3, beats: 6 }),
			s.api('POST', '/api/v1/cmd/engine.ping', {}),
		];
		for (let id = 1; id <= 5; id++)
			ws.send({ id, cmd: 'engine.ping', args: {} });
		await sleep(150);
		process.kill(pid, 'SIGCONT');
		stopped = false;
		const rs = await Promise.all(http);
		for (const r of rs)
			assert.equal(r.status, 200, `answered ${r.status}: ${r.text}`);
		for (let id = 1; id <= 5; id++) {
			const m = await ws.next((x) => x.type === 'reply' && x.id === id, 3000);
			assert.equal(m.ok, true, JSON.stringify(m));
		}
	} finally {
		if (stopped)
			process.kill(pid, 'SIGCONT');
	}
	await sleep(500);	// a second answer would be here by now
	for (let id = 1; id <= 5; id++)
		assert.equal(ws.messages.filter((x) => x.type === 'reply' && x.id === id).length, 1,
			`ws request ${id} answered more than once`);
	const ev = ws.messages.filter((x) => x.type === 'event' && /^engine\./.test(x.event));
	assert.deepEqual(ev.map((x) => x.event), [], 'a 150 ms stall was taken for a disconnect');
	const lp = await looper(s);
	assert.equal(lp.transport.bpm, 111);
	assert.equal(lp.columns[3].beats, 6);
	assert.equal(s.engine.pid, pid);
	await ws.close();
});

test('a longer stall is a disconnect: its command is answered exactly once, the engine comes back', async () => {
	const ws = await s.ws();
	ws.clear();
	const pid = s.engine.pid;
	process.kill(pid, 'SIGSTOP');
	let r;
	try {
		ws.send({ id: 100, cmd: 'engine.ping', args: {} });
		const p = s.api('POST', '/api/v1/cmd/engine.ping', {});
		await ws.next((m) => m.type === 'event' && m.event === 'engine.disconnected', 3000);
		r = await p;
	} finally {
		process.kill(pid, 'SIGCONT');
	}
	assert.ok(r.status === 503 || r.status === 504, `${r.status} ${r.text}`);
	await ws.next((m) => m.type === 'event' && m.event === 'engine.connected', 5000);
	await sleep(500);
	assert.equal(ws.messages.filter((m) => m.type === 'reply' && m.id === 100).length, 1,
		'the ws request was answered more or less than once');
	assert.ok((await s.cmd('engine.ping')).rtt_us > 0);
	await ws.close();
});

test('engine SIGKILL mid-take: the restarted stack plays the recorded tone from its track', async () => {
	const st = await startLooper();
	stacks.push(st);
	await prepare(st, { bpm: 120, monitor: false });	// a bar is 2 s
	const tone = sine(440, 0.5, 4 * RATE);
	const file = path.join(st.dir, 'tone.wav');
	fs.writeFileSync(file, encodeWav({ sampleRate: RATE, channels: [tone, tone] }));
	const src = await st.client('sb-player', ['--name', 'tone', '--file', file, '--loop',
		'--connect', 'stagebox:in_1,stagebox:in_2']);
	await act(st, 'record', 0, 0);	// transport stopped: starts now, new column
	await waitTrack(st, 0, 0, (t) => t.state === 'recording', 3000);
	await sleep(2800);		// more than one bar, less than two
	const stream = (await st.cmd('looper.track_info', { column: 0, track: 0 }).catch(() => null));
	await st.killEngine('SIGKILL');
	await src.stop('SIGTERM');
	await waitFor(async () => !(await st.status()).connected, 3000, 'disconnect');
	console.log(`[durable] killed while recording ${stream ? stream.stream : '(no take on disk yet)'}`);
	await st.startEngine();
	const t = await waitTrack(st, 0, 0, (x) => x.state === 'playing', 10000, 'the take restored');
	const lp = await looper(st);
	const beats = lp.columns[0].beats;
	console.log(`[durable] restored: ${t.frames} frames, column ${beats} beats, unsaved ${t.unsaved}`);
	assert.ok(beats >= 4 && beats % 4 === 0, `column length ${beats} beats: not whole bars`);
	assert.equal(t.frames, beats * 24000, 'the loop is not the column length');
	assert.equal(t.unsaved, true, 'a recovered take is unsaved work');
	// Listen: only the looper sounds now (the source is gone, monitor off).
	await st.cmd('transport.start');
	const cap = await capture(st, 2 * RATE, { withSource: false });
	const out = await cap.result();
	const n = 32768;
	const f = peakFreq(out.L, RATE, 4096, n);
	const a = toneAmp(out.L, 440, RATE, 4096, 4096 + n);
	const ar = toneAmp(out.R, 440, RATE, 4096, 4096 + n);
	console.log(`[durable] restored track plays ${f.toFixed(2)} Hz, amplitude L ${a.toFixed(3)} ` +
		`R ${ar.toFixed(3)}, rms ${rms(out.L, 4096, 4096 + n).toFixed(3)}${out.xrun ? ` (xrun: ${out.xrun})` : ''}`);
	// a 0.5 sine: rms 0.354; the loop's seam (a phase jump every 2 s,
	// declicked) takes a little off the tone's own amplitude
	const level = rms(out.L, 4096, 4096 + n);
	assert.ok(Math.abs(f - 440) < 2, `pitch ${f} Hz`);
	assert.ok(level > 0.3 && level < 0.4, `level ${level}`);
	assert.ok(a > 0.3 && ar > 0.3, `440 Hz at ${a} / ${ar}`);
	// the download is the recovered take
	const w = await getWav(st, 0, 0);
	assert.equal(w.status, 200);
	assert.equal(w.wav.frames, t.frames);
});

test('take files nothing refers to go at start-up and after a save; referenced ones stay', async () => {
	const st = await startLooper();
	stacks.push(st);
	await prepare(st, { bpm: 240, monitor: false });	// a beat is 12000 frames
	const src = noise(RATE, 9);
	const srcFile = path.join(st.dir, 'src.wav');
	fs.writeFileSync(srcFile, stereoWav(src));
	await st.client('sb-player', ['--name', 'src', '--file', srcFile, '--loop',
		'--connect', 'stagebox:in_1,stagebox:in_2']);
	// uploads: the first one becomes an undo layer of the second
	const A1 = noise(RATE, 11), A2 = noise(RATE, 12);
	assert.equal((await putWav(st, 0, 0, stereoWav(A1))).status, 200);
	assert.equal((await putWav(st, 0, 0, stereoWav(A2))).status, 200);
	// a recording, an overdub on it, and an undo: the overdub is redo history
	await st.cmd('looper.set_column', { column: 1, beats: 4 });
	await act(st, 'record', 1, 0);
	await settled(st, 1, 0, (x) => x.state === 'playing');
	await act(st, 'overdub', 1, 0);
	await waitTrack(st, 1, 0, (x) => x.state === 'overdubbing', 3000);
	await act(st, 'overdub', 1, 0);
	await settled(st, 1, 0, (x) => x.state === 'playing' && x.layers === 2);
	await act(st, 'undo', 1, 0);
	await settled(st, 1, 0, (x) => x.layer === 0);
	await sleep(300);	// the take writer closes the last files
	const live = ls(takesDir(st)).filter((f) => /^[0-9a-f]{16}\.wav$/.test(f));
	assert.equal(live.length, 4, `takes: ${live}`);
	const gen = (await st.status()).generation;
	const plant = () => {
		const some = path.join(takesDir(st), live[0]);
		const other = (gen + 7).toString(16).padStart(8, '0');
		const names = {
			oldEngine: `${other}00000001.wav`,	// another engine generation
			server: '8000123456789abc.wav',		// server-made, never handed out
			tmp: `${live[0]}.tmp-999999-0`,		// another server's temp file
		};
		for (const n of Object.values(names))
			fs.copyFileSync(some, path.join(takesDir(st), n));
		fs.writeFileSync(path.join(takesDir(st), 'NOTES.txt'), 'not a take\n');
		return names;
	};
	const has = (n) => fs.existsSync(path.join(takesDir(st), n));
	const liveStay = () => {
		for (const f of live)
			assert.ok(has(f), `referenced take ${f} was removed`);
		assert.ok(has('NOTES.txt'), 'a file that is no take was removed');
	};

	// 1. after a save
	let o = plant();
	await st.cmd('looper.save_session', { name: 'gc1' });
	await waitFor(() => !has(o.oldEngine) && !has(o.server) && !has(o.tmp), 5000,
		'the orphans to go after the save');
	liveStay();

	// 2. at start-up, next to an engine that holds layers: engine-made
	// takes of other generations go; server-made ones cannot be judged
	o = plant();
	await st.killServer('SIGTERM');
	await st.startServer();
	await waitFor(() => !has(o.oldEngine) && !has(o.tmp), 5000, 'start-up collection');
	await sleep(300);
	assert.ok(has(o.server), 'a server-made take went though the engine may hold it');
	liveStay();

	// 3. the whole stack again: the new engine starts empty and gets .last
	// back, so the old engine's takes are nobody's any more; the sessions
	// keep their audio (hard links).  Its arena is new and counts from
	// generation 1 again: the old engine-made takes of that number go
	// only once they are older than the arena by the margin.
	o = plant();
	await st.killServer('SIGTERM');
	await st.killEngine('SIGTERM');
	await st.startEngine();
	await st.startServer();
	assert.equal((await st.status()).generation, gen, 'expected a new arena');
	await waitTrack(st, 0, 0, (x) => x.state === 'playing', 10000, 'restore');
	const engineMade = live.filter((f) => f[0] !== '8');
	const serverMade = live.filter((f) => f[0] === '8');
	assert.equal(serverMade.length, 2);
	await waitFor(() => !has(o.oldEngine) && !has(o.server) && !has(o.tmp) &&
		serverMade.every((f) => !has(f)), 5000, 'the old server-made takes to go');
	for (const f of engineMade)
		assert.ok(has(f), `${f}: same generation number, younger than the margin: kept`);
	assert.ok(has('NOTES.txt'));
	const old = new Date(Date.now() - 2 * 3600 * 1000);
	for (const f of engineMade)
		fs.utimesSync(path.join(takesDir(st), f), old, old);
	await st.cmd('looper.save_session', { name: 'gc2' });
	await waitFor(() => engineMade.every((f) => !has(f)), 5000,
		'the previous arena\'s takes to go');
	const w = await getWav(st, 0, 0);
	assert.equal(w.status, 200);
	assert.equal(w.wav.frames, RATE);
	assert.ok(w.wav.data[0].every((v, i) => v === A2[i]), 'restored 0/0 is not A2');
	await st.cmd('looper.load_session', { name: 'gc1' });
	const t1 = await waitTrack(st, 1, 0, (x) => x.state === 'playing', 5000, 'gc1 loaded');
	assert.equal(t1.frames, 4 * 12000);
	const w2 = await getWav(st, 0, 0);
	assert.ok(w2.wav.data[0].every((v, i) => v === A2[i]), 'session gc1 lost its audio');
});
