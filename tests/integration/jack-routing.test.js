// Sound on the first try: the shipped JACK names let every other client
// in, and the engine wires its ports from connect.* at every start.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startStack, sleep, ROOT, BUILD } from '../lib/harness.js';

const stacks = [];
after(async () => {
	for (const s of stacks)
		await s.stop();
});

// "a\n   b\n" (jack_lsp -c) -> Map port -> [connected ports]
function graph(text) {
	const g = new Map();
	let cur = null;
	for (const line of text.split('\n')) {
		if (!line.trim())
			continue;
		if (/^\s/.test(line))
			g.get(cur).push(line.trim());
		else
			g.set(cur = line, []);
	}
	return g;
}

function connected(g, a, b) {
	return (g.get(a) || []).includes(b);
}

test('shipped JACK names: outside clients connect while the engine runs and after a restart', async () => {
	const shipped = JSON.parse(fs.readFileSync(path.join(ROOT, 'config/stagebox.json'), 'utf8'));
	assert.notEqual(shipped.jack.server, shipped.engine.client_name,
		'the shipped config gives the JACK server and the engine one name');
	// the shipped names: server "default", client "stagebox"
	const s = await startStack({ jackName: shipped.jack.server, server: false });
	stacks.push(s);
	assert.ok(await s.jackReachable(), 'jack_lsp cannot reach the server while the engine runs');
	const tone = await s.client('sb-player', ['--connect', 'stagebox:in_1', '--tone', '440']);
	assert.ok(tone.running);
	const g = graph(await s.jackConnections());
	assert.ok((g.get('stagebox:in_1') || []).some((p) => p.startsWith('player')),
		'the test client could not connect to the engine');

	await s.killEngine('SIGKILL');
	await sleep(200);
	assert.ok(await s.jackReachable(), 'jack_lsp cannot reach the server after the engine died');
	await s.startEngine();
	assert.ok(await s.jackReachable(), 'jack_lsp cannot reach the server after the restart');
	const again = await s.client('sb-player', ['--connect', 'stagebox:in_2', '--tone', '220']);
	assert.ok(again.running, 'a new client cannot join after the restart');
});

test('physical by default: capture 1..N -> in_1..N, out_L/R -> playback 1/2, click unconnected; again after a restart', async () => {
	const s = await startStack({ server: false });
	stacks.push(s);
	const check = async (when) => {
		const g = graph(await s.jackConnections());
		assert.ok(connected(g, 'stagebox:in_1', 'system:capture_1'), `${when}: in_1`);
		assert.ok(connected(g, 'stagebox:in_2', 'system:capture_2'), `${when}: in_2`);
		assert.ok(connected(g, 'stagebox:out_L', 'system:playback_1'), `${when}: out_L`);
		assert.ok(connected(g, 'stagebox:out_R', 'system:playback_2'), `${when}: out_R`);
		assert.deepEqual(g.get('stagebox:click'), [], `${when}: click is connected`);
	};
	await check('at start');
	// A connection made by hand is kept: the engine does not fight it.
	const env = s.env;
	let r = spawnSync('jack_disconnect', ['system:capture_2', 'stagebox:in_2'], { env });
	assert.equal(r.status, 0);
	r = spawnSync('jack_connect', ['stagebox:click', 'system:playback_1'], { env });
	assert.equal(r.status, 0);
	await sleep(500);
	const g = graph(await s.jackConnections());
	assert.ok(!connected(g, 'stagebox:in_2', 'system:capture_2'), 'a hand-made disconnect was undone');
	assert.ok(connected(g, 'stagebox:click', 'system:playback_1'), 'a hand-made connection was undone');
	await s.killEngine('SIGKILL');
	await s.startEngine();
	await check('after a restart');
});

test('connect lists from the config: named ports, in order; a missing port is reported, not fatal', async () => {
	const s = await startStack({
		server: false,
		config: {
			connect: {
				inputs: ['system:capture_2', 'system:capture_1'],
				outputs: ['system:playback_2'],
				click: ['system:playback_1', 'nosuch:port'],
				midi_in: [],
			},
		},
	});
	stacks.push(s);
	const g = graph(await s.jackConnections());
	assert.ok(connected(g, 'stagebox:in_1', 'system:capture_2'));
	assert.ok(connected(g, 'stagebox:in_2', 'system:capture_1'));
	assert.ok(connected(g, 'stagebox:out_L', 'system:playback_2'));
	assert.deepEqual(g.get('stagebox:out_R'), []);
	assert.ok(connected(g, 'stagebox:click', 'system:playback_1'));
	assert.match(s.engine.err, /cannot connect stagebox:click -> nosuch:port/);
	assert.ok(s.engine.running);
});

test('a client name equal to the JACK server name is refused with a clear message', () => {
	const r = spawnSync(path.join(BUILD, 'stagebox-rt'), ['--config', path.join(ROOT, 'config/stagebox.json'),
		'--client-name', 'default', '--instance', `sbt_same_${process.pid}`],
	{ env: { ...process.env, JACK_NO_START_SERVER: '1' }, encoding: 'utf8' });
	assert.notEqual(r.status, 0);
	assert.match(r.stderr, /JACK client name 'default' is the JACK server's name too/);
});

test('GET /api/v1/jack/ports lists ports and connections; jack.connect / jack.disconnect change them', async () => {
	const s = await startStack({});
	stacks.push(s);
	let r = await s.api('GET', '/api/v1/jack/ports');
	assert.equal(r.status, 200, JSON.stringify(r.body));
	const ports = r.body.result.ports;
	const byName = new Map(ports.map((p) => [p.name, p]));
	const outL = byName.get('stagebox:out_L');
	assert.ok(outL, 'no stagebox:out_L');
	assert.deepEqual({ type: outL.type, direction: outL.direction, engine: outL.engine },
		{ type: 'audio', direction: 'out', engine: true });
	assert.deepEqual(outL.connections, ['system:playback_1']);
	assert.equal(byName.get('stagebox:midi_in').type, 'midi');
	assert.equal(byName.get('system:capture_1').physical, true);

	await s.cmd('jack.connect', { source: 'stagebox:click', destination: 'system:playback_2' });
	let g = graph(await s.jackConnections());
	assert.ok(connected(g, 'stagebox:click', 'system:playback_2'), 'jack.connect did not connect');
	r = await s.api('POST', '/api/v1/cmd/jack.connect',
		{ source: 'stagebox:click', destination: 'system:playback_2' });
	assert.equal(r.status, 409);
	await s.cmd('jack.disconnect', { source: 'stagebox:click', destination: 'system:playback_2' });
	g = graph(await s.jackConnections());
	assert.ok(!connected(g, 'stagebox:click', 'system:playback_2'), 'jack.disconnect did not disconnect');

	// errors name the problem and change nothing
	r = await s.api('POST', '/api/v1/cmd/jack.connect', { source: 'nosuch:out', destination: 'system:playback_1' });
	assert.equal(r.status, 404);
	assert.match(r.body.error, /no JACK port 'nosuch:out'/);
	r = await s.api('POST', '/api/v1/cmd/jack.connect', { source: 'system:playback_1', destination: 'stagebox:in_1' });
	assert.equal(r.status, 400);
	assert.match(r.body.error, /must be an output/);
	r = await s.api('POST', '/api/v1/cmd/jack.connect', { source: 'stagebox:midi_out', destination: 'stagebox:in_1' });
	assert.equal(r.status, 400);
	assert.match(r.body.error, /different types/);
	r = await s.api('POST', '/api/v1/cmd/jack.connect', { source: 'stagebox:out_L' });
	assert.equal(r.status, 400);
	assert.match(r.body.error, /destination/);
	// a hand-made connection shows up
	spawnSync('jack_connect', ['system:capture_2', 'stagebox:in_1'], { env: s.env });
	r = await s.api('GET', '/api/v1/jack/ports');
	const in1 = r.body.result.ports.find((p) => p.name === 'stagebox:in_1');
	assert.deepEqual(in1.connections.sort(), ['system:capture_1', 'system:capture_2']);
});
