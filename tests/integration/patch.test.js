// The patch engine wired end to end: REST load -> compile on the server ->
// swap in the engine -> sound on out_L; errors keep the old patch; many
// swaps without xruns; quantized swaps on the bar; module docs; survival
// of an engine restart and of a server restart.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startStack } from '../lib/harness.js';
import { readWav, zeroCrossFreq, rms } from '../lib/wav.js';

const RATE = 48000;
const tone = (hz) => `# a plain tone\nosc = sine(freq: ${hz})\nosc.out * 0.5 -> out.left, out.right\n`;

let s;
let recCount = 0;

before(async () => {
	// Realtime where permitted: then no xrun at all is allowed.
	s = await startStack({ inputs: 2, realtime: true, rtguard: true });
});

after(async () => {
	if (s)
		await s.stop();
});

async function putPatch(text) {
	return s.api('PUT', '/api/v1/patch', text, { 'Content-Type': 'text/plain' });
}

// Record out_L for `frames` frames; the samples as a Float32Array.
async function record(frames = 24000) {
	const out = path.join(s.dir, `patch-rec-${++recCount}.wav`);
	const c = await s.client('sb-recorder', ['--name', `prec${recCount}`,
		'--connect', 'stagebox:out_L', '--out', out, '--frames', String(frames)]);
	const t = setTimeout(() => c.stop('SIGTERM'), frames / RATE * 1000 + 10000);
	const ex = await c.exited;
	clearTimeout(t);
	assert.equal(ex.code, 0, `sb-recorder exit ${JSON.stringify(ex)}: ${c.err}`);
	return readWav(out).data[0];
}

async function assertPitch(hz, what) {
	const x = await record();
	const level = rms(x, 2400);
	assert.ok(level > 0.3 && level < 0.4, `${what}: rms ${level} (a 0.5 sine is 0.354)`);
	const f = zeroCrossFreq(x, RATE, 2400);
	assert.ok(Math.abs(f - hz) < hz * 0.005, `${what}: ${f} Hz, want ${hz}`);
}

test('a patch loaded over REST plays at its pitch', async () => {
	const r = await putPatch(tone(440));
	assert.equal(r.status, 200, JSON.stringify(r.body));
	const res = r.body.result;
	for (const k of ['serial', 'nodes', 'kept', 'added', 'removed', 'compile_us', 'swap_frame'])
		assert.ok(k in res, `reply has ${k}: ${JSON.stringify(res)}`);
	assert.ok(res.added.includes('osc'), JSON.stringify(res));
	await assertPitch(440, 'sine 440');
	const g = await s.api('GET', '/api/v1/patch');
	assert.equal(g.status, 200);
	assert.equal(g.body.result.status, 'running');
	assert.equal(g.body.result.text, tone(440));
	assert.equal(g.body.result.serial, res.serial);
	assert.ok(g.body.result.graph.nodes.some((n) => n.id === 'osc' && n.type === 'sine'),
		JSON.stringify(g.body.result.graph));
	const st = await s.status();
	assert.ok(st.connected);
	// the output meters (status out_peaks) see the 0.5 sine on both sides
	assert.equal(st.out_peaks.length, 2);
	for (const p of st.out_peaks)
		assert.ok(p > 0.45 && p < 0.55, `out_peaks ${JSON.stringify(st.out_peaks)}`);
});

test('an invalid patch answers 400 with line and column; the old one keeps playing', async () => {
	const ws = await s.ws();
	const bad = 'osc = sine(freq: 440)\n\nosc.out -> out.left\nflt = sawx(freq: 1)\n';
	const r = await putPatch(bad);
	assert.equal(r.status, 400, JSON.stringify(r.body));
	assert.equal(r.body.ok, false);
	assert.equal(r.body.line, 4);
	assert.equal(typeof r.body.column, 'number');
	assert.match(r.body.error, /^line 4, column \d+: .*sawx/);
	const ev = await ws.next((m) => m.type === 'event' && m.event === 'patch.error', 2000);
	assert.equal(ev.line, 4);
	await ws.close();
	await assertPitch(440, 'old patch after an error');
	const g = await s.api('GET', '/api/v1/patch');
	assert.equal(g.body.result.status, 'error');
	assert.equal(g.body.result.line, 4);
	assert.equal(g.body.result.text, tone(440));
	// the same error through the command and WS paths
	const c = await s.api('POST', '/api/v1/cmd/patch.load', { text: bad });
	assert.equal(c.status, 400);
	assert.equal(c.body.line, 4);
	const w = await s.ws();
	w.send({ id: 7, cmd: 'patch.load', args: { text: bad } });
	const rep = await w.next((m) => m.type === 'reply' && m.id === 7, 3000);
	assert.equal(rep.ok, false);
	assert.equal(rep.status, 400);
	assert.equal(rep.line, 4);
	await w.close();
});

test('a new patch swaps in and WS hears patch.swapped', async () => {
	const ws = await s.ws();
	const r = await putPatch(tone(660));
	assert.equal(r.status, 200, JSON.stringify(r.body));
	assert.ok(r.body.result.kept.includes('osc'), JSON.stringify(r.body.result));
	const ev = await ws.next((m) => m.type === 'event' && m.event === 'patch.swapped' &&
		m.serial === r.body.result.serial, 2000);
	assert.equal(ev.frame, r.body.result.swap_frame);
	await ws.close();
	await assertPitch(660, 'sine 660');
});

test('1000 swaps in a row on the running engine: no xrun, no leak', async () => {
	const a = await s.status();
	const texts = [tone(440), `osc = sine(freq: 550)\nlfo = sine(freq: 3)\n` +
		`lfo.out * 5 -> osc.freq\nosc.out * 0.5 -> out.left, out.right\n`];
	let last;
	for (let i = 0; i < 1000; i++) {
		last = await s.cmd('patch.load', { text: texts[i % 2] });
		assert.ok(last.serial > 0);
	}
	const b = await s.status();
	if (s.realtime)
		assert.equal(b.xruns - a.xruns, 0, `xruns ${a.xruns} -> ${b.xruns} (realtime)`);
	else
		assert.ok(b.xruns - a.xruns <= 2, `xruns ${a.xruns} -> ${b.xruns} (not realtime)`);
	// the heap did not fill up: one more load of each still works
	await s.cmd('patch.load', { text: texts[0] });
	await assertPitch(440, 'after 1000 swaps');
});

test('a bar-quantized swap lands on a bar frame', async () => {
	await s.cmd('transport.set_tempo', { bpm: 120 });
	await s.cmd('transport.start', {});
	const bar = 4 * 60 * RATE / 120;
	const r = await s.cmd('patch.load', { text: tone(330), quantize: 'bar' });
	assert.equal(r.transport_frame % bar, 0, JSON.stringify(r));
	assert.ok(r.transport_frame > 0);
	const q = await s.cmd('patch.load', { text: tone(440), quantize: 'beat' });
	assert.equal(q.transport_frame % (bar / 4), 0, JSON.stringify(q));
	await s.cmd('transport.stop', {});
	// with the transport stopped there is no grid: the swap is at once
	const n = await s.cmd('patch.load', { text: tone(440), quantize: 'bar' });
	assert.equal(n.transport_frame, null);
});

test('GET /api/v1/modules lists every module with its params', async () => {
	const r = await s.api('GET', '/api/v1/modules');
	assert.equal(r.status, 200);
	const types = r.body.result.map((m) => m.type);
	for (const t of ['sine', 'saw', 'square', 'tri', 'noise', 'lfo', 'svf', 'vca', 'mix',
		'adsr', 'glide', 'clock', 'seq', 'delay', 'reverb', 'midi', 'in', 'out'])
		assert.ok(types.includes(t), `module ${t} in ${types}`);
	const saw = r.body.result.find((m) => m.type === 'saw');
	assert.ok(saw.doc.length > 0);
	assert.ok(saw.inputs.some((p) => p.name === 'voct'));
	const freq = saw.params.find((p) => p.name === 'freq');
	assert.equal(freq.kind, 'number');
	for (const k of ['min', 'max', 'default', 'unit', 'shape'])
		assert.ok(k in freq, `param field ${k}`);
	const lfo = r.body.result.find((m) => m.type === 'lfo');
	const shape = lfo.params.find((p) => p.name === 'shape');
	assert.equal(shape.kind, 'enum');
	assert.ok(shape.choices.includes('square'));
	const c = await s.cmd('modules.list', {});
	assert.equal(c.length, r.body.result.length);
});

test('an engine restart brings the patch back', async () => {
	await putPatch(tone(440));
	await s.killEngine('SIGKILL');
	await s.startEngine();
	await s.waitFor(async () => {
		const g = await s.api('GET', '/api/v1/patch');
		return g.body.result.status === 'running';
	}, 5000, 'patch running again');
	await assertPitch(440, 'after engine restart');
});

test('a server restart adopts the running plan and its text', async () => {
	const before = (await s.api('GET', '/api/v1/patch')).body.result;
	await s.killServer('SIGKILL');
	await s.startServer();
	const g = await s.waitFor(async () => {
		const x = await s.api('GET', '/api/v1/patch');
		return x.body.result.status === 'running' ? x.body.result : null;
	}, 5000, 'patch adopted');
	assert.equal(g.serial, before.serial);
	assert.equal(g.text, before.text);
	// allocations after adoption do not clobber the running plan's state
	const r = await putPatch(tone(660));
	assert.equal(r.status, 200, JSON.stringify(r.body));
	assert.ok(r.body.result.serial > before.serial);
	assert.ok(r.body.result.kept.includes('osc'), JSON.stringify(r.body.result));
	await assertPitch(660, 'after server restart');
});

test('patch.stop silences the output and stays stopped', async () => {
	const r = await s.cmd('patch.stop', {});
	assert.equal(typeof r.retired, 'number');
	const x = await record(4800);
	assert.ok(rms(x, 512) < 1e-4, `rms ${rms(x, 512)}`);
	const g = await s.api('GET', '/api/v1/patch');
	assert.equal(g.body.result.status, 'stopped');
	assert.ok(!fs.existsSync(path.join(s.dataDir, 'patch', 'current.txt')));
});

test('config patch.file: every save of the watched file is loaded', async () => {
	const dir = fs.mkdtempSync(path.join(s.dir, 'watch-'));
	const file = path.join(dir, 'live.patch');
	fs.writeFileSync(file, tone(220));
	const w = await startStack({ inputs: 2, config: { patch: { file } } });
	try {
		const running = async (serialAbove = 0) => w.waitFor(async () => {
			const g = (await w.api('GET', '/api/v1/patch')).body.result;
			return g.status === 'running' && g.serial > serialAbove ? g : null;
		}, 5000, 'the watched patch running');
		const first = await running();
		assert.equal(first.text, tone(220));
		// an editor's save: write a new file, rename it over the old one
		fs.writeFileSync(file + '.tmp', tone(880));
		fs.renameSync(file + '.tmp', file);
		const second = await running(first.serial);
		assert.equal(second.text, tone(880));
		// an in-place save with an error: reported, the old one stays
		const ws = await w.ws();
		fs.writeFileSync(file, 'osc = sine(freq: 440\n');
		const ev = await ws.next((m) => m.type === 'event' && m.event === 'patch.error', 3000);
		assert.ok(ev.line >= 1, JSON.stringify(ev));
		await ws.close();
		const g = (await w.api('GET', '/api/v1/patch')).body.result;
		assert.equal(g.status, 'error');
		assert.equal(g.serial, second.serial);
		assert.equal(g.text, tone(880));
	} finally {
		await w.stop();
	}
});
