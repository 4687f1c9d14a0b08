// WebSocket: status pushes (rate-limited), command replies, error replies
// that leave the connection open.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, sleep } from '../lib/harness.js';

let s;

before(async () => {
	s = await startStack({ inputs: 2 });
});

after(async () => {
	if (s)
		await s.stop();
});

const isStatus = (m) => m.type === 'status';
const replyTo = (id) => (m) => m.type === 'reply' && m.id === id;

test('status pushes arrive, at most ~30 per second', async () => {
	const ws = await s.ws();
	const first = await ws.next(isStatus, 1000);
	assert.equal(first.connected, true);
	assert.equal(first.engine_pid, s.engine.pid);
	assert.equal(first.version, '0.1.0');
	assert.equal(first.peaks.length, 2);
	ws.clear();
	const t0 = performance.now();
	await sleep(2000);
	const pushes = ws.buffer.filter(isStatus);
	const secs = (performance.now() - t0) / 1000;
	assert.ok(pushes.length >= 10, `only ${pushes.length} pushes in ${secs.toFixed(2)} s`);
	assert.ok(pushes.length <= 31 * secs + 2, `${pushes.length} pushes in ${secs.toFixed(2)} s`);
	for (let i = 1; i < pushes.length; i++)
		assert.ok(pushes[i].frames >= pushes[i - 1].frames, 'frames went backwards');
	assert.ok(pushes.at(-1).frames > pushes[0].frames, 'frames did not advance');
	// Pushes leave the server promptly: t_us is when the object was built.
	const delays = pushes.map((m) => (performance.timeOrigin + m.rxTime) * 1000 - m.t_us).sort((a, b) => a - b);
	const med = delays[delays.length >> 1];
	assert.ok(med < 50000, `median push delay ${med} us`);
	await ws.close();
});

test('status counts WebSocket clients', async () => {
	const a = await s.ws();
	const b = await s.ws();
	await s.waitFor(async () => (await s.status()).ws_clients === 2, 2000, 'ws_clients == 2');
	const m = await b.next((x) => isStatus(x) && x.ws_clients === 2, 2000);
	assert.equal(m.connected, true);
	await a.close();
	await s.waitFor(async () => (await s.status()).ws_clients === 1, 2000, 'ws_clients == 1');
	await b.close();
});

test('a command gets a reply with its id', async () => {
	const ws = await s.ws();
	ws.send({ id: 7, cmd: 'engine.ping', args: {} });
	const r = await ws.next(replyTo(7));
	assert.equal(r.ok, true, JSON.stringify(r));
	assert.ok(r.result.rtt_us > 0 && r.result.rtt_us < 1e6);
	ws.send({ id: 'abc', cmd: 'engine.status' });
	const r2 = await ws.next(replyTo('abc'));
	assert.equal(r2.ok, true, JSON.stringify(r2));
	assert.equal(r2.result.connected, true);
	await ws.close();
});

test('errors come back as replies with REST texts and status', async () => {
	const ws = await s.ws();
	ws.send({ id: 1, cmd: 'no.such', args: {} });
	let r = await ws.next(replyTo(1));
	assert.equal(r.ok, false);
	assert.equal(r.status, 404);
	assert.equal(r.error, "unknown command 'no.such'");
	ws.send({ id: 2, cmd: 'engine.timing', args: { reset: 'yes' } });
	r = await ws.next(replyTo(2));
	assert.equal(r.ok, false);
	assert.equal(r.status, 400);
	assert.equal(r.error, "argument 'reset': expected boolean, got string");
	ws.send({ id: 3, cmd: 'engine.ping', args: { x: 1 } });
	r = await ws.next(replyTo(3));
	assert.equal(r.status, 400);
	assert.equal(r.error, "unknown argument 'x'");
	ws.send({ id: 4, cmd: 'engine.ping', args: [1] });
	r = await ws.next(replyTo(4));
	assert.equal(r.status, 400);
	assert.equal(r.error, 'arguments must be a JSON object');
	await ws.close();
});

test('malformed messages get an error reply and the connection stays open', async () => {
	const ws = await s.ws();
	ws.sendRaw('{"id": 5, "cmd": ');
	let r = await ws.next((m) => m.type === 'reply' && m.ok === false);
	assert.equal(r.id, null);
	assert.match(r.error, /^malformed JSON at line 1, column \d+: /);
	for (const bad of ['[1,2]', '42', '{"id": 6}', '{"id": 8, "cmd": 12}']) {
		ws.sendRaw(bad);
		r = await ws.next((m) => m.type === 'reply' && m.ok === false);
		const id = /"id": (\d+)/.exec(bad);
		assert.ok(r.id === null || (id && r.id === Number(id[1])), `${bad}: id ${r.id}`);
		assert.equal(typeof r.error, 'string');
	}
	assert.ok(ws.isOpen);
	ws.send({ id: 9, cmd: 'engine.ping', args: {} });
	r = await ws.next(replyTo(9));
	assert.equal(r.ok, true, JSON.stringify(r));
	await ws.close();
});

test('a message over 1 MiB gets an error reply', async () => {
	const ws = await s.ws();
	ws.send({ id: 10, cmd: 'engine.ping', args: { pad: 'x'.repeat(1.5 * 1048576) } });
	const r = await ws.next((m) => m.type === 'reply' && m.ok === false, 3000);
	assert.ok(r.id === null || r.id === 10);
	assert.equal(typeof r.error, 'string');
	if (ws.isOpen) {
		ws.send({ id: 11, cmd: 'engine.ping', args: {} });
		assert.equal((await ws.next(replyTo(11))).ok, true);
	}
	await ws.close();
	assert.equal((await s.status()).connected, true);
});
