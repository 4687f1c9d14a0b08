// Either process may die and restart without stopping the other.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startStack, arenaPath, sleep } from '../lib/harness.js';

let s;

before(async () => {
	// Realtime where permitted: a non-realtime dummy jackd has a few xruns a
	// second under load, which would hide xruns caused by the server's death.
	s = await startStack({ inputs: 2, realtime: true });
});

after(async () => {
	if (s)
		await s.stop();
});

test('the engine survives a server SIGKILL and the new server reattaches', async () => {
	const a = await s.status();
	const enginePid = s.engine.pid;
	await s.killServer('SIGKILL');
	await sleep(500);
	assert.ok(s.engine.running, 'engine died with the server');
	assert.ok(fs.existsSync(arenaPath(s.instance)), 'arena vanished');
	await s.startServer();
	const b = await s.status();
	assert.equal(b.connected, true);
	assert.equal(b.engine_pid, enginePid);
	assert.equal(b.generation, a.generation);
	const elapsed = (b.t_us - a.t_us) / 1e6;
	assert.ok(b.frames - a.frames > 0.8 * 48000 * elapsed,
		`frames ${a.frames} -> ${b.frames} in ${elapsed.toFixed(2)} s`);
	if (s.realtime)
		assert.equal(b.xruns, a.xruns, 'xruns while the server was away');
	else
		assert.ok(b.xruns - a.xruns <= 2, `xruns ${a.xruns} -> ${b.xruns} (not realtime)`);
	const pong = await s.cmd('engine.ping');
	assert.ok(pong.rtt_us > 0);
	assert.ok(pong.engine_frame >= b.frames);
});

test('engine SIGKILL: WS clients see connected:false within 100 ms', async () => {
	const ws = await s.ws();
	const live = await ws.next((m) => m.type === 'status' && m.connected === true, 1000);
	const gen = live.generation;
	ws.clear();
	const { killedAt } = await s.killEngine('SIGKILL');
	const m = await ws.next((x) => x.type === 'status' && x.connected === false, 2000);
	const dt = m.rxTime - killedAt;
	assert.ok(dt < 100, `connected:false arrived ${dt.toFixed(1)} ms after the kill`);
	assert.equal(m.engine_pid, null);
	assert.equal(m.frames, null);
	await ws.next((x) => x.type === 'event' && x.event === 'engine.disconnected', 1000);
	const st = await s.status();
	assert.equal(st.connected, false);
	const r = await s.api('POST', '/api/v1/cmd/engine.ping', {});
	assert.equal(r.status, 503);
	assert.equal(r.body.error, 'engine not attached');

	ws.clear();
	await s.startEngine();
	const back = await ws.next((x) => x.type === 'status' && x.connected === true, 2000);
	assert.equal(back.engine_pid, s.engine.pid);
	assert.ok(back.generation > gen, `generation ${gen} -> ${back.generation}`);
	await ws.next((x) => x.type === 'event' && x.event === 'engine.connected', 1000);
	assert.ok((await s.cmd('engine.ping')).rtt_us > 0);
	await ws.close();
});

test('engine SIGTERM exits 0 and keeps the arena while a server is attached', async () => {
	const gen = (await s.status()).generation;
	const r = await s.killEngine('SIGTERM');
	assert.equal(r.code, 0, `engine exit ${JSON.stringify(r)}`);
	await s.waitFor(async () => (await s.status()).connected === false, 1000, 'disconnected');
	assert.ok(fs.existsSync(arenaPath(s.instance)), 'arena removed under a live server');
	await s.startEngine();
	const st = await s.status();
	assert.equal(st.connected, true);
	assert.ok(st.generation > gen);
});

test('a server started before the engine attaches when it comes', async () => {
	await s.killServer('SIGTERM');
	await s.killEngine('SIGTERM');
	await s.startServer();
	assert.equal((await s.status()).connected, false);
	const ws = await s.ws();
	await s.startEngine();
	const m = await ws.next((x) => x.type === 'status' && x.connected === true, 2000);
	assert.equal(m.engine_pid, s.engine.pid);
	assert.ok((await s.cmd('engine.ping')).rtt_us > 0);
	await ws.close();
});

test('server SIGTERM first, then engine SIGTERM: the arena is removed', async () => {
	await s.killServer('SIGTERM');
	await sleep(100);
	const r = await s.killEngine('SIGTERM');
	assert.equal(r.code, 0);
	assert.ok(!fs.existsSync(arenaPath(s.instance)), 'arena left behind');
});
