// MIDI: footswitch bindings (a note on midi_in triggers looper.record of the
// selected track; note-off / velocity 0 do not; a CC triggers once when it
// crosses its minimum), and MIDI clock/start/stop on midi_out at exact frames.
// build/sb-midisend sends from a --commands file the test appends to and
// logs what it receives on its "in" port.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
	RATE, startLooper, noiseWav, startSource, prepare, looper, track, waitTrack, act, sleep, waitFor,
} from '../lib/looper.js';

let s, send, cmdFile, bindDir;

before(async () => {
	bindDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sbt-midi-'));
	const bindings = path.join(bindDir, 'midi-bindings.json');
	fs.writeFileSync(bindings, JSON.stringify({
		bindings: [
			{ note: 60, channel: null, cmd: 'looper.record', args: {} },
			{ note: 62, cmd: 'looper.play', args: {} },
			{ cc: 64, min: 64, cmd: 'looper.undo', args: {} },
			{ note: 67, cmd: 'looper.select', args: { column: 0, track: 3 } },
		],
	}));
	s = await startLooper({ looper: { bindings } });
	const src = noiseWav(s, 'src.wav', 3 * RATE + 9, 17);
	await startSource(s, src.file);
	await prepare(s, { bpm: 240, monitor: false, quantize: 'beat' });
	cmdFile = path.join(s.dir, 'midi-commands.txt');
	fs.writeFileSync(cmdFile, '');
	send = await s.client('sb-midisend', ['--name', 'foot', '--connect', 'stagebox:midi_in',
		'--commands', cmdFile]);
});

after(async () => {
	fs.rmSync(bindDir, { recursive: true, force: true });
	if (s)
		await s.stop();
});

const midi = (line) => fs.appendFileSync(cmdFile, line + '\n');

test('a note on midi_in records the selected track; note-off and velocity 0 do not', async () => {
	await s.cmd('looper.select', { column: 1, track: 2 });
	assert.deepEqual((await looper(s)).selected, { column: 1, track: 2 });
	midi('note 60 100');
	await waitTrack(s, 1, 2, (t) => t.state === 'recording' || t.next_state === 'recording', 2000,
		'note 60 -> looper.record of the selected track');
	await sleep(800);
	midi('off 60');
	midi('note 62 90');	// play: ends the recording at the next beat
	const t = await waitTrack(s, 1, 2, (x) => x.state === 'playing', 3000, 'note 62 -> looper.play');
	assert.equal((await track(s, 0, 0)).state, 'empty', 'another track was touched');
	// note-off and note-on with velocity 0 are not presses
	midi('off 60');
	midi('note 60 0');
	await sleep(700);
	const t2 = await track(s, 1, 2);
	assert.equal(t2.state, 'playing');
	assert.equal(t2.layers, t.layers, 'a note-off re-recorded the track');
	// a binding with arguments
	midi('note 67 100');
	await waitFor(async () => {
		const sel = (await looper(s)).selected;
		return sel.column === 0 && sel.track === 3;
	}, 2000, 'note 67 -> looper.select 0/3');
	await s.cmd('looper.select', { column: 1, track: 2 });
});

test('a CC triggers once when it rises to its minimum, not again while held', async () => {
	await s.cmd('looper.set_quantize', { mode: 'off' });
	for (let i = 0; i < 2; i++) {
		const before = await track(s, 1, 2);
		await act(s, 'overdub', 1, 2);
		await waitTrack(s, 1, 2, (x) => x.state === 'overdubbing', 2000);
		await act(s, 'play', 1, 2);
		await waitTrack(s, 1, 2, (x) => x.state === 'playing' && x.layer === before.layer + 1, 2000);
	}
	const top = (await track(s, 1, 2)).layer;
	midi('cc 64 127');
	await waitTrack(s, 1, 2, (x) => x.layer === top - 1, 2000, 'cc 64 -> undo');
	midi('cc 64 100');
	midi('cc 64 120');
	await sleep(500);
	assert.equal((await track(s, 1, 2)).layer, top - 1, 'the held CC triggered again');
	midi('cc 64 63');	// below min: not a trigger
	await sleep(300);
	assert.equal((await track(s, 1, 2)).layer, top - 1, 'a CC below min triggered');
	midi('cc 64 64');	// back to min: triggers
	await waitTrack(s, 1, 2, (x) => x.layer === top - 2, 2000, 'cc 64 again -> undo');
	await s.cmd('looper.set_quantize', { mode: 'beat' });
});

test('midi_out: song position 0, start, clocks at round(k*60*rate/(bpm*24)), stop', async () => {
	await s.cmd('transport.stop');
	const bpm = 93;
	await s.cmd('transport.set_tempo', { bpm });
	const mon = await s.client('sb-midisend', ['--name', 'mon', '--listen', 'stagebox:midi_out']);
	await sleep(200);
	await s.cmd('transport.start');
	await sleep(700);
	await s.cmd('transport.stop');
	await sleep(200);
	await mon.stop('SIGTERM');
	const ev = mon.out.split('\n').filter((l) => l.startsWith('recv ')).map((l) => {
		const [, f, ...b] = l.split(' ');
		return { frame: Number(f), bytes: b.join(' ') };
	});
	const start = ev.find((e) => e.bytes === 'fa');
	assert.ok(start, `no MIDI start (0xFA): ${mon.out.slice(0, 500)}`);
	const S = start.frame;
	const spp = ev.filter((e) => e.bytes.startsWith('f2'));
	assert.ok(spp.length >= 1, 'no song position pointer');
	const lastSpp = spp.filter((e) => e.frame <= S).pop();
	assert.ok(lastSpp, 'song position pointer must come before the start');
	assert.equal(lastSpp.bytes, 'f2 00 00');
	assert.ok(ev.indexOf(lastSpp) < ev.indexOf(start), 'SPP after start');
	const stop = ev.find((e) => e.bytes === 'fc' && e.frame > S);
	assert.ok(stop, 'no MIDI stop (0xFC)');
	const clocks = ev.filter((e) => e.bytes === 'f8' && e.frame >= S && e.frame < stop.frame);
	const per = 60 * RATE / (bpm * 24);
	assert.ok(clocks.length >= Math.floor(0.5 * RATE / per), `${clocks.length} clocks`);
	clocks.forEach((c, k) => {
		assert.equal(c.frame - S, Math.round(k * per), `clock ${k} at +${c.frame - S}`);
	});
	assert.ok(!ev.some((e) => e.bytes === 'f8' && e.frame > stop.frame), 'clock after stop');
});
