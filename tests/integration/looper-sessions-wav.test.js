// Track WAVs and sessions: PUT of a 44.1 kHz file plays at the right pitch
// and length; a bad upload is refused and leaves the track untouched; GET
// returns exactly what plays; sessions save and load bit-exact (float WAV);
// the live state is autosaved to sessions/.last.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
	RATE, startLooper, noise, cleanCapture, prepare, looper, trackOf, track, waitTrack, act,
	beatGrid, firstDiff, firstLoopDiff, loopAnchor, getWav, putWav, stereoWav, sleep, waitFor,
} from '../lib/looper.js';
import { encodeWav, readWav, sine, rms, zeroCrossFreq } from '../lib/wav.js';

const FPB = 12000;	// 240 BPM
const L = 48000;	// 4 beats
let s;

before(async () => {
	s = await startLooper();
	await prepare(s, { bpm: 240, monitor: false });
	await s.cmd('looper.set_column', { column: 0, beats: 4 });
});

after(async () => {
	if (s)
		await s.stop();
});

test('PUT a 44.1 kHz mono 16-bit WAV: 48 kHz, both channels, right pitch and length', async () => {
	const body = encodeWav({ sampleRate: 44100, channels: [sine(1000, 0.5, 44100, 44100)], format: 'pcm16' });
	const r = await putWav(s, 0, 0, body);
	assert.equal(r.status, 200, `PUT: ${r.status} ${r.text}`);
	assert.equal(r.body.ok, true);
	const t = await waitTrack(s, 0, 0, (x) => x.frames > 0, 3000, 'upload installed');
	assert.equal(t.frames, L, `44100 frames at 44.1 kHz -> ${t.frames} frames at 48 kHz`);
	assert.equal(t.state, 'playing');
	const w = (await getWav(s, 0, 0)).wav;
	assert.equal(w.sampleRate, RATE);
	assert.equal(w.channels, 2);
	assert.equal(w.frames, L);
	assert.equal(firstDiff(w.data[0], 0, w.data[1], 0, L), -1, 'mono must go to both channels alike');
	const f = zeroCrossFreq(w.data[0], RATE, 2000, L - 2000);
	assert.ok(Math.abs(f - 1000) < 0.5, `pitch ${f.toFixed(3)} Hz, want 1000`);
	const a = rms(w.data[0], 2000, L - 2000) * Math.SQRT2;
	assert.ok(Math.abs(a - 0.5) < 0.005, `amplitude ${a.toFixed(4)}, want 0.5`);

	await s.cmd('transport.start');
	const out = await cleanCapture(s, Math.round(1.6 * RATE), { withSource: false });
	const g = beatGrid(out.click, FPB);
	const fo = zeroCrossFreq(out.L, RATE, g.beat0 + 2000, g.beat0 + L - 2000);
	assert.ok(Math.abs(fo - 1000) < 0.5, `played pitch ${fo.toFixed(3)} Hz`);
});

test('a bad upload -> 400 "not a readable audio file" and the track untouched', async () => {
	const before = await track(s, 0, 0);
	const w0 = (await getWav(s, 0, 0)).wav;
	const good = stereoWav(noise(1000, 4));
	for (const body of [Buffer.from('hello, not audio'), good.subarray(0, 30),
		Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(100, 0xff)])]) {
		const r = await putWav(s, 0, 0, body);
		assert.equal(r.status, 400, `bad upload: ${r.status} ${r.text}`);
		assert.equal(r.body.ok, false);
		assert.match(r.body.error, /^not a readable audio file: /);
	}
	const after = await track(s, 0, 0);
	assert.equal(after.layers, before.layers);
	assert.equal(after.layer, before.layer);
	assert.equal(after.state, before.state);
	const w1 = (await getWav(s, 0, 0)).wav;
	assert.equal(firstDiff(w0.data[0], 0, w1.data[0], 0, L), -1, 'audio changed by a bad upload');
});

let N1, N2;

test('GET track WAV equals the upload (same rate) and what plays, sample for sample', async () => {
	await act(s, 'mute', 0, 0);
	N1 = [noise(L, 31), noise(L, 32)];
	const r = await putWav(s, 0, 1, stereoWav(N1[0], N1[1]));
	assert.equal(r.status, 200, r.text);
	await waitTrack(s, 0, 1, (x) => x.state === 'playing', 3000);
	await waitTrack(s, 0, 0, (x) => x.state === 'muted', 3000);
	const w = (await getWav(s, 0, 1)).wav;
	assert.equal(w.frames, L);
	assert.equal(firstDiff(w.data[0], 0, N1[0], 0, L), -1, 'same-rate float upload changed (L)');
	assert.equal(firstDiff(w.data[1], 0, N1[1], 0, L), -1, 'same-rate float upload changed (R)');
	await sleep(200);
	// An xrun drops a cycle of what the capture hears (or shifts one
	// client's frames by a period): that is JACK's loss, not the looper's.
	const out = await cleanCapture(s, Math.round(2.2 * RATE), { withSource: false });
	const g = beatGrid(out.click, FPB);
	const anc = loopAnchor(out.L, w.data[0], g.onsets, FPB, 2000, 0);
	assert.ok(anc !== null, 'the loop does not start on a beat');
	assert.equal(firstLoopDiff(out.L, w.data[0], anc, 0, out.frames), -1, 'out_L != GET WAV');
	assert.equal(firstLoopDiff(out.R, w.data[1], anc, 0, out.frames), -1, 'out_R != GET WAV');
	// more than two channels: the first two are taken
	N2 = [noise(L, 41), noise(L, 42), noise(L, 43)];
	const r3 = await putWav(s, 1, 0, encodeWav({ sampleRate: RATE, channels: N2 }));
	assert.equal(r3.status, 200, r3.text);
	const w3 = (await getWav(s, 1, 0)).wav;
	assert.equal(firstDiff(w3.data[0], 0, N2[0], 0, w3.frames), -1);
	assert.equal(firstDiff(w3.data[1], 0, N2[1], 0, w3.frames), -1);
});

test('sessions save and load bit-exact; unsaved flags; list', async () => {
	await s.cmd('looper.set_volume', { column: 0, track: 1, volume: 0.7 });
	await s.cmd('looper.set_quantize', { mode: 'beat' });
	const snap = await looper(s);
	const wavs = {};
	for (const [c, t] of [[0, 0], [0, 1], [1, 0]])
		wavs[`${c}-${t}`] = (await getWav(s, c, t)).wav;
	assert.equal(trackOf(snap, 0, 1).unsaved, true, 'an uploaded track is unsaved');
	await s.cmd('looper.save_session', { name: 'gig 1' });
	const dir = path.join(s.dataDir, 'sessions', 'gig 1');
	assert.ok(fs.existsSync(path.join(dir, 'session.json')), 'session.json');
	const f01 = path.join(dir, 'track-0-1.wav');
	assert.ok(fs.existsSync(f01), 'track-0-1.wav');
	const fw = readWav(f01);
	assert.equal(fw.format, 'float32');
	assert.equal(firstDiff(fw.data[0], 0, N1[0], 0, L), -1, 'saved WAV differs from the track');
	// checked at the end, so that the load is tested either way
	const unsavedAfterSave = await waitTrack(s, 0, 1, (x) => x.unsaved === false, 1000)
		.then(() => false, () => true);
	const list = await s.cmd('looper.list_sessions', {});
	const names = (list.sessions || list).map((x) => (typeof x === 'string' ? x : x.name));
	assert.ok(names.includes('gig 1'), JSON.stringify(list));

	// change everything, then load
	await s.cmd('looper.set_quantize', { mode: 'off' });
	for (const [c, t] of [[0, 0], [0, 1], [1, 0]])
		await act(s, 'clear', c, t);
	await s.cmd('transport.set_tempo', { bpm: 100 });
	await s.cmd('transport.set_meter', { beats_per_bar: 3 });
	await s.cmd('looper.set_column', { column: 0, beats: 7 });
	await waitTrack(s, 0, 1, (x) => x.state === 'empty', 2000);
	await s.cmd('looper.load_session', { name: 'gig 1' });
	const unsavedAfterLoad = [];
	// tempo and meter each apply at the beat after the engine handles
	// them, and the load sends them one after the other: a beat may fall
	// in between, so the meter can follow the tempo by one beat
	const st = await waitFor(async () => {
		const x = await looper(s);
		return x.transport.bpm === 240 && x.transport.beats_per_bar === 4 ? x : null;
	}, 1500, 'tempo 240 and meter 4 after load').catch(async () => looper(s));
	assert.equal(st.transport.bpm, 240);
	assert.equal(st.transport.beats_per_bar, 4);
	assert.equal(st.quantize, 'beat');
	assert.equal(st.columns[0].beats, 4);
	for (const [c, t] of [[0, 0], [0, 1], [1, 0]]) {
		const a = trackOf(snap, c, t);
		const b = await waitTrack(s, c, t, (x) => x.state === a.state, 3000, `state ${a.state} after load`);
		assert.equal(b.volume, a.volume, `volume of ${c}/${t}`);
		assert.equal(b.frames, a.frames);
		if (b.unsaved !== false)
			unsavedAfterLoad.push(`${c}/${t}`);
		const w = (await getWav(s, c, t)).wav;
		const ref = wavs[`${c}-${t}`];
		assert.equal(firstDiff(w.data[0], 0, ref.data[0], 0, ref.frames), -1, `track ${c}/${t} L differs`);
		assert.equal(firstDiff(w.data[1], 0, ref.data[1], 0, ref.frames), -1, `track ${c}/${t} R differs`);
	}
	// a change marks the track unsaved again
	await act(s, 'clear', 1, 0);
	await waitTrack(s, 1, 0, (x) => x.unsaved === true, 3000, 'unsaved after clear');
	assert.equal(unsavedAfterSave, false, 'track 0/1 still "unsaved" 1 s after save_session answered');
	assert.deepEqual(unsavedAfterLoad, [], 'tracks "unsaved" right after load_session');
});

test('the live state is autosaved to sessions/.last', async () => {
	const f = path.join(s.dataDir, 'sessions', '.last', 'session.json');
	await waitFor(() => fs.existsSync(f), 3000, 'sessions/.last/session.json');
	await waitFor(() => fs.existsSync(path.join(s.dataDir, 'sessions', '.last', 'track-0-1.wav')), 3000,
		'sessions/.last/track-0-1.wav');
	const j = JSON.parse(fs.readFileSync(f, 'utf8'));
	assert.equal(typeof j, 'object');
});
