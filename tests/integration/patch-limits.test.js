// The patch language's limits against the real stack: the seq repeat bomb
// and a connection scaled by 1e308 each answer 400 with line and column,
// the server stays up and the patch that was running keeps playing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startStack } from '../lib/harness.js';
import { readWav, zeroCrossFreq, rms } from '../lib/wav.js';

const RATE = 48000;
const tone = (hz) => `# a plain tone\nosc = sine(freq: ${hz})\nosc.out * 0.5 -> out.left, out.right\n`;

let s;
let recCount = 0;

before(async () => {
	s = await startStack({ inputs: 2, realtime: true, rtguard: true });
	const r = await putPatch(tone(440));
	assert.equal(r.status, 200, JSON.stringify(r.body));
});

after(async () => {
	if (s)
		await s.stop();
});

async function putPatch(text) {
	return s.api('PUT', '/api/v1/patch', text, { 'Content-Type': 'text/plain' });
}

// Record out_L for `frames` frames: the samples, and whether an xrun
// (under load on a VM) put silence into them.
async function record(frames = 24000) {
	const out = path.join(s.dir, `limits-rec-${++recCount}.wav`);
	const c = await s.client('sb-recorder', ['--name', `lrec${recCount}`,
		'--connect', 'stagebox:out_L', '--out', out, '--frames', String(frames)]);
	const t = setTimeout(() => c.stop('SIGTERM'), frames / RATE * 1000 + 10000);
	const ex = await c.exited;
	clearTimeout(t);
	assert.equal(ex.code, 0, `sb-recorder exit ${JSON.stringify(ex)}: ${c.err}`);
	return { x: readWav(out).data[0], xrun: /skipped/.test(c.err) };
}

// The pitch of out_L; a recording an xrun cut into is taken again.
async function assertPitch(hz, what) {
	let r;
	for (let i = 0; i < 3 && (!r || r.xrun); i++)
		r = await record();
	const level = rms(r.x, 2400);
	const f = zeroCrossFreq(r.x, RATE, 2400);
	const xr = r.xrun ? ' (every recording had an xrun)' : '';
	assert.ok(level > 0.3 && level < 0.4, `${what}: rms ${level} (a 0.5 sine is 0.354)${xr}`);
	assert.ok(Math.abs(f - hz) < hz * 0.005, `${what}: ${f} Hz, want ${hz}${xr}`);
}

// A rejected text: 400, the place, the message; the old patch untouched.
async function assertRejected(t, text, line, column, re) {
	const t0 = process.hrtime.bigint();
	const r = await putPatch(text);
	const ms = Number(process.hrtime.bigint() - t0) / 1e6;
	t.diagnostic(`${text.length} bytes rejected in ${ms.toFixed(1)} ms`);
	assert.equal(r.status, 400, JSON.stringify(r.body).slice(0, 400));
	assert.equal(r.body.ok, false);
	assert.equal(r.body.line, line, r.body.error);
	assert.equal(r.body.column, column, r.body.error);
	assert.match(r.body.error, re);
	const st = await s.status();
	assert.ok(st.connected, 'server still attached to the engine');
	const g = await s.api('GET', '/api/v1/patch');
	assert.equal(g.status, 200);
	assert.equal(g.body.result.text, tone(440), 'the running patch is unchanged');
	assert.equal(g.body.result.line, line);
}

const bomb = (n) => `s = seq(pattern: "c3${'*2'.repeat(n)}")\ns.pitch -> out.left\n`;

test('the seq bomb from the issue is a 400 at its string; the old patch plays on', async (t) => {
	await assertRejected(t, bomb(200000), 1, 18, /^line 1, column 18: string longer than 65536 bytes/);
	await assertPitch(440, 'old patch after the bomb');
});

test('a seq bomb inside the string limit stops at the 33rd level of nesting', async (t) => {
	// "c3" then the 33rd "*" at pattern offset 66; the pattern starts at column 19
	await assertRejected(t, bomb(30000), 1, 85, /^line 1, column 85: bad pattern: nesting too deep/);
	await assertPitch(440, 'old patch after the in-string bomb');
});

test('a connection scaled by 1e308 is a 400 at the number; the old patch plays on', async (t) => {
	const text = 'osc = sine(freq: 220)\nosc.out * 1e308 -> out.left\n';
	await assertRejected(t, text, 2, 11,
		/^line 2, column 11: scale out of range: -1e\+06 \.\. 1e\+06, got 1e\+308/);
	await assertRejected(t, 'osc = sine(freq: 1e999)\nosc.out -> out.left\n', 1, 18,
		/bad number '1e999'/);
	// the same limit through the command path and the WebSocket
	const c = await s.api('POST', '/api/v1/cmd/patch.load', { text });
	assert.equal(c.status, 400);
	assert.equal(c.body.line, 2);
	assert.equal(c.body.column, 11);
	const w = await s.ws();
	w.send({ id: 9, cmd: 'patch.load', args: { text: bomb(30000) } });
	const rep = await w.next((m) => m.type === 'reply' && m.id === 9, 5000);
	assert.equal(rep.ok, false);
	assert.equal(rep.status, 400);
	assert.equal(rep.line, 1);
	assert.equal(rep.column, 85);
	await w.close();
	await assertPitch(440, 'old patch after the scale errors');
	// and a good patch still loads after all of it
	const ok = await putPatch(tone(330));
	assert.equal(ok.status, 200, JSON.stringify(ok.body));
	await assertPitch(330, 'a new patch after the errors');
});
