// Every error case of the looper commands: bad column/track, ranges, enums,
// session names, track WAV routes.  400 answers name the argument.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startLooper, looper, stereoWav, putWav } from '../lib/looper.js';

let s;

before(async () => {
	s = await startLooper();	// 4 columns x 4 tracks
});

after(async () => {
	if (s)
		await s.stop();
});

async function bad(name, args, arg, status = 400) {
	const r = await s.api('POST', `/api/v1/cmd/${name}`, args);
	assert.equal(r.status, status, `${name} ${JSON.stringify(args)}: HTTP ${r.status} ${r.text}`);
	assert.equal(r.body.ok, false);
	assert.equal(typeof r.body.error, 'string');
	if (arg)
		assert.match(r.body.error, new RegExp(`'${arg}'|\\b${arg}\\b`),
			`${name} ${JSON.stringify(args)}: error does not name '${arg}': ${r.body.error}`);
	return r.body.error;
}

const TRACK_CMDS = ['record', 'overdub', 'play', 'mute', 'solo', 'clear', 'undo', 'redo'];

test('the looper commands are in GET /api/v1/commands with their schemas', async () => {
	const r = await s.api('GET', '/api/v1/commands');
	assert.equal(r.status, 200);
	const byName = Object.fromEntries(r.body.result.map((c) => [c.name, c]));
	const want = ['transport.set_tempo', 'transport.set_meter', 'transport.start', 'transport.stop',
		'click.set', 'looper.set_column', 'looper.set_quantize', 'looper.set_monitor',
		'looper.set_volume', 'looper.select', 'looper.save_session', 'looper.load_session',
		'looper.list_sessions', ...TRACK_CMDS.map((x) => `looper.${x}`)];
	for (const n of want)
		assert.ok(byName[n], `command ${n} missing`);
	const q = byName['looper.set_quantize'].args.properties.mode;
	assert.deepEqual([...q.enum].sort(), ['bar', 'beat', 'off']);
	const rec = byName['looper.record'].args;
	assert.equal(rec.properties.column.maximum, 3);
	assert.equal(rec.properties.track.maximum, 3);
	assert.ok(!(rec.required || []).includes('column'), 'column must be optional (selected track)');
	assert.equal(byName['transport.set_tempo'].args.properties.bpm.minimum, 20);
	assert.equal(byName['transport.set_tempo'].args.properties.bpm.maximum, 300);
	assert.equal(byName['looper.set_volume'].args.properties.volume.maximum, 4);
});

test('bad column or track -> 400 naming the argument, for every track command', async () => {
	for (const c of TRACK_CMDS) {
		await bad(`looper.${c}`, { column: 4, track: 0 }, 'column');
		await bad(`looper.${c}`, { column: 0, track: 4 }, 'track');
		await bad(`looper.${c}`, { column: -1, track: 0 }, 'column');
		await bad(`looper.${c}`, { column: 'a', track: 0 }, 'column');
		await bad(`looper.${c}`, { column: 0, track: 1.5 }, 'track');
		await bad(`looper.${c}`, { column: 0, track: 0, x: 1 }, 'x');
	}
	// one of the pair alone is ambiguous
	await bad('looper.record', { column: 1 }, 'track');
	await bad('looper.record', { track: 1 }, 'column');
	await bad('looper.set_volume', { column: 4, track: 0, volume: 1 }, 'column');
	await bad('looper.set_volume', { column: 0, track: 9, volume: 1 }, 'track');
	await bad('looper.select', { column: 5, track: 0 }, 'column');
	await bad('looper.select', { column: 0, track: -2 }, 'track');
	await bad('looper.set_column', { column: 4, beats: 4 }, 'column');
});

test('out-of-range values and bad enums -> 400 naming the argument', async () => {
	await bad('transport.set_tempo', { bpm: 19.9 }, 'bpm');
	await bad('transport.set_tempo', { bpm: 300.5 }, 'bpm');
	await bad('transport.set_tempo', {}, 'bpm');
	await bad('transport.set_tempo', { bpm: '120' }, 'bpm');
	await bad('transport.set_meter', { beats_per_bar: 0 }, 'beats_per_bar');
	await bad('transport.set_meter', { beats_per_bar: 33 }, 'beats_per_bar');
	await bad('click.set', { enabled: true, volume: 1.5 }, 'volume');
	await bad('click.set', { enabled: 'yes', volume: 0.5 }, 'enabled');
	await bad('looper.set_quantize', { mode: 'sometimes' }, 'mode');
	await bad('looper.set_quantize', { mode: 2 }, 'mode');
	await bad('looper.set_quantize', {}, 'mode');
	await bad('looper.set_monitor', { enabled: 1 }, 'enabled');
	await bad('looper.set_volume', { column: 0, track: 0, volume: 4.01 }, 'volume');
	await bad('looper.set_volume', { column: 0, track: 0, volume: -0.1 }, 'volume');
	await bad('looper.set_column', { column: 0, beats: -1 }, 'beats');
	// good values still work
	await s.cmd('transport.set_tempo', { bpm: 97.5 });
	await s.cmd('looper.set_quantize', { mode: 'beat' });
	const st = await looper(s);
	assert.equal(st.transport.bpm, 97.5);
	assert.equal(st.quantize, 'beat');
});

test('bad session names -> 400 naming the argument; unknown session -> 404', async () => {
	const names = ['', '.hidden', '..', '../x', 'a/b', 'a\\b', 'x'.repeat(65), 'semi;colon', 'star*',
		'new\nline', 'ümlaut'];
	for (const name of names) {
		await bad('looper.save_session', { name }, 'name');
		await bad('looper.load_session', { name }, 'name');
	}
	await bad('looper.save_session', {}, 'name');
	const r = await s.api('POST', '/api/v1/cmd/looper.load_session', { name: 'no such session' });
	assert.equal(r.status, 404, `load of a missing session: ${r.status} ${r.text}`);
	assert.equal(r.body.ok, false);
	// the longest good name is fine
	await s.cmd('looper.save_session', { name: 'A'.repeat(64) });
	const list = await s.cmd('looper.list_sessions', {});
	const names2 = (list.sessions || list).map((x) => (typeof x === 'string' ? x : x.name));
	assert.ok(names2.includes('A'.repeat(64)), `list_sessions: ${JSON.stringify(list)}`);
	assert.ok(!names2.includes('.last'), 'the autosave must not be listed');
});

test('track WAV routes: bad indexes, methods, empty track', async () => {
	for (const p of ['/api/v1/looper/tracks/4/0.wav', '/api/v1/looper/tracks/0/4.wav',
		'/api/v1/looper/tracks/-1/0.wav', '/api/v1/looper/tracks/x/0.wav']) {
		const r = await s.api('GET', p);
		assert.ok(r.status === 400 || r.status === 404, `GET ${p}: ${r.status}`);
		assert.equal(r.body && r.body.ok, false, `GET ${p}: ${r.text}`);
	}
	const body = stereoWav(new Float32Array(1000));
	const r = await s.api('PUT', '/api/v1/looper/tracks/4/0.wav', body, { 'Content-Type': 'audio/wav' });
	assert.ok(r.status === 400 || r.status === 404, `PUT bad column: ${r.status}`);
	const e = await s.api('GET', '/api/v1/looper/tracks/0/0.wav');
	assert.equal(e.status, 404, 'empty track');
	assert.equal(e.body.ok, false);
	const d = await s.api('DELETE', '/api/v1/looper/tracks/0/0.wav');
	assert.equal(d.status, 405);
	const empty = await putWav(s, 0, 1, Buffer.alloc(0));
	assert.equal(empty.status, 400, `empty body: ${empty.status} ${empty.text}`);
	assert.match(empty.body.error, /^not a readable audio file/);
});

test('WS: the same errors with the request id', async () => {
	const ws = await s.ws();
	const m = await ws.request('looper.record', { column: 9, track: 0 });
	assert.equal(m.ok, false);
	assert.equal(m.status, 400);
	assert.match(m.error, /'column'/);
	const q = await ws.request('looper.set_quantize', { mode: 'half' });
	assert.equal(q.ok, false);
	assert.match(q.error, /'mode'/);
	await ws.close();
});
