// make bench (patch engine part) - printed, never asserted:
//   1. DSP throughput: N voices of saw -> svf low-pass -> vca with its own
//      adsr, every envelope retriggered by one clock (a tick every 0.25 s,
//      gate half of it), rendered offline for 20 s at N = 100 and 1000:
//      wall time of the render process / (N * 20 * 48000) = ns per
//      voice-sample; side by side with SuperCollider (scsynth -N, NRT) and
//      Pure Data (pd -batch) running the same voices (tests/bench/
//      scsynth.js, tests/bench/puredata.js);
//   2. swap cost: parse + compile of a 200-module patch, offline (many
//      compiles in one stagebox-render process through --then, minus the
//      same process without them) and live (patch.load's compile_us and
//      the round trip until the engine swapped, over 200 loads);
//   3. engine callback cost with a 64-module patch running, at 64 and 256
//      frames (engine.timing), next to the same engine without a patch.
// Flags (for a quick look): --part dsp|swap|live (repeatable), --seconds S
// (throughput render length), --voices N[,N...], --runs N (compile runs).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { BUILD, startStack, sleep } from '../lib/harness.js';
import { readWav, rms } from '../lib/wav.js';
import { firstNonFinite } from '../lib/dsp.js';
import { voiceSynthDef, nrtScore } from './scsynth.js';
import { pdPatch } from './puredata.js';
import { table, summary, f1, f2 } from './stats.js';

const RENDER = path.join(BUILD, 'stagebox-render');
const RATE = 48000;
const argv = process.argv.slice(2);
const flag = (name) => argv.flatMap((a, i) => (a === name ? [argv[i + 1]] : []));
const PARTS = flag('--part').length ? flag('--part') : ['dsp', 'swap', 'live'];
const SECONDS = Number(flag('--seconds')[0]) || 20;
const VOICES = flag('--voices').length ? flag('--voices')[0].split(',').map(Number) : [100, 1000];
const ENV = { a: 0.01, d: 0.1, s: 0.6, r: 0.2 };
const TICK_S = 0.25;		// clock division 0.5 at 120 BPM
const Q = 2;
const REPEATS = 2;
const COMPILE_RUNS = Number(flag('--runs')[0]) || 200;	// processes (offline) and loads (live)
const THENS = 32;		// --then per process: 2 compiles each
const COST_SECONDS = 5;

let tmp;	// made by patchBench, removed when it ends

function voiceList(n) {
	return Array.from({ length: n }, (_, i) => ({
		freq: +(55 * 2 ** ((i % 36) / 12)).toFixed(3),
		cutoff: 600 + (i % 8) * 250,
		q: Q, rq: 1 / Q,
	}));
}

// The reference patch: one clock, n voices into sink.
export function stageboxVoices(n, sink = 'out.left') {
	const lines = ['clk = clock(division: 0.5)'];
	voiceList(n).forEach((v, i) => {
		const p = `v${i}_`;
		lines.push(`${p}osc = saw(freq: ${v.freq})`,
			`${p}flt = svf(cutoff: ${v.cutoff}, q: ${v.q})`,
			`${p}env = adsr(a: ${ENV.a}, d: ${ENV.d}, s: ${ENV.s}, r: ${ENV.r})`,
			`${p}amp = vca(gain: ${+(1 / n).toPrecision(6)})`,
			`${p}osc.out -> ${p}flt.in`, `${p}flt.lp -> ${p}amp.in`,
			`${p}env.out -> ${p}amp.cv`, `clk.gate -> ${p}env.gate`,
			`${p}amp.out -> ${sink}`);
	});
	return lines.join('\n') + '\n';
}

// A bigger, livelier patch of exactly `modules` modules (4 per voice
// plus clock, lfo, delay, reverb); lfoHz varies between versions so a
// swap changes one parameter and keeps every node.
export function richPatch(modules, lfoHz) {
	const voices = (modules - 4) / 4;
	let text = stageboxVoices(voices, 'dly.in');
	text += `lfo = lfo(freq: ${lfoHz})
dly = delay(time: 0.3, feedback: 0.4, mix: 0.3)
bus = reverb(size: 0.5, damp: 0.4, mix: 0.25)
dly.out -> bus.in
bus.left -> out.left
bus.right -> out.right
`;
	for (let i = 0; i < voices; i++)
		text += `lfo.out * 300 -> v${i}_flt.cutoff\n`;
	return text;
}

// Run a command; wall seconds and, from bash's `times`, its CPU seconds
// (user + system), which a busy machine disturbs less than wall time.
function timed(cmd, args) {
	const times = path.join(tmp, 'times');
	const t0 = performance.now();
	const r = spawnSync('bash', ['-c', '"$@"; rc=$?; times > "$SB_TIMES"; exit $rc', '_', cmd, ...args],
		{ encoding: 'utf8', timeout: 600000, env: { ...process.env, SB_TIMES: times } });
	const wall = (performance.now() - t0) / 1000;
	if (r.error)
		return { wall, reason: r.error.message };
	if (r.status === 127)
		return { wall, reason: `${cmd} not installed` };
	if (r.status !== 0)
		return { wall, reason: `exit ${r.status}: ${(r.stderr || '').trim().split('\n').pop()}` };
	// second line: children's user and system time, "0m1.234s 0m0.010s"
	const line = fs.readFileSync(times, 'utf8').trim().split('\n')[1] || '';
	const cpu = line.split(/\s+/).reduce((sum, f) => {
		const m = /^(\d+)m([\d.]+)s$/.exec(f);
		return sum + (m ? 60 * Number(m[1]) + Number(m[2]) : NaN);
	}, 0);
	return { wall, cpu, r };
}

// The best (least disturbed) of `times` runs of fn.
function best(fn, times) {
	let b = null;
	for (let i = 0; i < times; i++) {
		const t = fn();
		if (t.reason)
			return t;
		if (!b || t.wall < b.wall)
			b = t;
	}
	return b;
}

// A rendered file is only a result if it is complete and audible.
function checkOutput(file, what) {
	try {
		const w = readWav(file);
		fs.rmSync(file);
		if (w.frames < SECONDS * RATE * 0.99)
			return `${what}: ${w.frames} frames, not ${SECONDS * RATE}`;
		if (firstNonFinite(w.data[0]) >= 0 || !(rms(w.data[0]) > 1e-5))
			return `${what}: silent or not finite`;
		return null;
	} catch (e) {
		return `${what}: ${e.message}`;
	}
}

function runStagebox(n) {
	const patch = path.join(tmp, `voices${n}.patch`);
	const out = path.join(tmp, `sb${n}.wav`);
	fs.writeFileSync(patch, stageboxVoices(n));
	const t = timed(RENDER, [patch, '--seconds', String(SECONDS), '--out', out]);
	return t.reason ? t : { ...t, reason: checkOutput(out, 'stagebox-render') };
}

function runScsynth(n) {
	const score = path.join(tmp, `sc${n}.osc`);
	const out = path.join(tmp, `sc${n}.wav`);
	const def = voiceSynthDef('sbvoice', { ...ENV, level: 1 / n }, 1 / TICK_S);
	fs.writeFileSync(score, nrtScore(def, 'sbvoice', voiceList(n), SECONDS));
	const t = timed('scsynth', ['-N', score, '_', out, String(RATE), 'WAV', 'float',
		'-o', '2', '-i', '0', '-D', '0']);
	return t.reason ? t : { ...t, reason: checkOutput(out, 'scsynth') };
}

function runPd(n) {
	const file = path.join(tmp, `pd${n}.pd`);
	const out = path.join(tmp, `pd${n}.wav`);
	fs.writeFileSync(file, pdPatch(voiceList(n), { ...ENV, level: 1 / n },
		TICK_S, SECONDS, out));
	const t = timed('pd', ['-noprefs', '-nosound', '-nomidi', '-batch', '-open', file]);
	return t.reason ? t : { ...t, reason: checkOutput(out, 'pd') };
}

function throughput() {
	const engines = [
		['stagebox-render (PolyBLEP saw, svf, adsr per sample)', runStagebox],
		['scsynth -N 3.13 (Saw, RLPF, EnvGen.kr + LFPulse.kr)', runScsynth],
		['pd -batch 0.53 (naive phasor~ saw, vcf~, vline~)', runPd],
	];
	const rows = [];
	for (const n of VOICES) {
		const res = engines.map(([name, fn]) => [name, best(() => fn(n), REPEATS)]);
		const base = res[0][1].reason ? NaN : res[0][1].wall;
		for (const [name, t] of res) {
			const ns = (sec) => f2(sec * 1e9 / (n * SECONDS * RATE));
			rows.push(t.reason ?
				[name, String(n), '-', '-', '-', '-', `not measured: ${t.reason}`] :
				[name, String(n), f2(t.wall), f2(t.cpu), ns(t.wall), ns(t.cpu),
				 f2(t.wall / base)]);
		}
	}
	table(`patch: DSP throughput, ${SECONDS} s at ${RATE} Hz offline, N voices of ` +
		'saw -> low-pass -> vca with its own adsr, clock-retriggered; wall time of the ' +
		`whole process (start-up and compile included), best of ${REPEATS}`,
		['engine', 'N', 'wall s', 'cpu s', 'ns / voice-sample', 'cpu ns / voice-sample',
		 'wall / stagebox'], rows);
}

// --- swap cost ------------------------------------------------------------

function compileOffline() {
	const a = path.join(tmp, 'rich-a.patch');
	const b = path.join(tmp, 'rich-b.patch');
	fs.writeFileSync(a, richPatch(200, 0.5));
	fs.writeFileSync(b, richPatch(200, 0.7));
	const base = [a, '--seconds', String(1 / RATE), '--out', path.join(tmp, 'c.wav')];
	const thens = [];
	for (let k = 0; k < THENS; k++)
		thens.push('--then', `0:${k % 2 ? a : b}`);
	const plain = [], per = [];
	for (let i = 0; i < COMPILE_RUNS; i++) {
		const p = timed(RENDER, base);
		const t = timed(RENDER, [...base, ...thens]);
		if (p.reason || t.reason)
			return { reason: p.reason || t.reason };
		plain.push(p.cpu);
		per.push(t.cpu);
	}
	// Each --then patch is compiled twice: checked up front, then swapped.
	// CPU time, not wall: on a shared machine a process's wall time is
	// mostly the wait for a core.
	const p0 = summary(plain).p50;
	return { ...summary(per.map((c) => (c - p0) * 1e6 / (2 * THENS))), start: p0 };
}

async function compileLive(s) {
	const texts = [richPatch(200, 0.5), richPatch(200, 0.7)];
	const rtt = [], cus = [];
	let last;
	for (let i = 0; i < COMPILE_RUNS; i++) {
		const t0 = performance.now();
		last = await s.cmd('patch.load', { text: texts[i % 2], quantize: 'now' });
		rtt.push((performance.now() - t0) * 1000);
		if (Number.isFinite(last.compile_us))
			cus.push(last.compile_us);
	}
	return { rtt: summary(rtt), compile: summary(cus), last };
}

// --- engine callback cost -----------------------------------------------

async function timing(s) {
	await s.cmd('engine.timing', { reset: true });
	await sleep(COST_SECONDS * 1000);
	return s.cmd('engine.timing', {});
}

async function liveAt(period, measureLoads) {
	const s = await startStack({ rtguard: false, realtime: true, period });
	try {
		await s.cmd('transport.start', {});
		const idle = await timing(s);
		const loads = measureLoads ? await compileLive(s) : null;
		await s.cmd('patch.load', { text: richPatch(64, 0.5), quantize: 'now' });
		const busy = await timing(s);
		return { idle, busy, loads, realtime: s.realtime };
	} finally {
		await s.stop();
	}
}

async function live() {
	try {
		const c256 = await liveAt(256, true);
		const c64 = await liveAt(64, false);
		return { c256, c64 };
	} catch (e) {
		return { reason: e.message.split('\n')[0] };
	}
}

// patch.load answers with counts or with lists of ids
const count = (x) => (Array.isArray(x) ? x.length : x);

function printSwap(off, lv) {
	const us = (x) => f1(x);
	const rows = [];
	rows.push(off.reason ?
		['offline: stagebox-render --then, per compile', '-', '-', '-', `not measured: ${off.reason}`] :
		['offline: stagebox-render --then, per compile', us(off.p50), us(off.p99), us(off.max),
		 `CPU time: mean of ${2 * THENS} compiles per process, minus ${f1(off.start * 1000)} ms ` +
		 `of a run without them; ${off.n} processes`]);
	if (lv.reason) {
		rows.push(['live: patch.load compile_us', '-', '-', '-', `not measured: ${lv.reason}`]);
	} else {
		const l = lv.c256.loads;
		rows.push(['live: patch.load compile_us', us(l.compile.p50), us(l.compile.p99),
			us(l.compile.max), `${l.compile.n} loads; last: ${count(l.last.nodes)} nodes, ` +
			`${count(l.last.kept)} kept`]);
		rows.push(['live: patch.load request -> reply after the swap', us(l.rtt.p50),
			us(l.rtt.p99), us(l.rtt.max), `${l.rtt.n} loads, REST, 256-frame periods ` +
			`(${f1(256e6 / RATE)} us)`]);
	}
	table('patch: swap cost of a 200-module patch (49 voices + clock, lfo, delay, reverb), ' +
		'every node kept, one parameter changed', ['what', 'p50 us', 'p99 us', 'max us', 'notes'], rows);
}

function printCallback(lv) {
	if (lv.reason) {
		table('patch: engine callback cost with a 64-module patch',
			['period / load', 'note'], [['-', `not measured: ${lv.reason}`]]);
		return;
	}
	const row = (label, c) => [label, String(c.count), f2(c.p50_us), f2(c.p99_us),
		f2(c.max_us), f2((100 * c.p50_us) / c.period_us), f2((100 * c.p99_us) / c.period_us)];
	table(`patch: engine callback cost per cycle (${COST_SECONDS} s each, 48 kHz, ` +
		`${lv.c256.realtime ? 'realtime' : 'NOT realtime'} jackd)`,
		['period / load', 'cycles', 'p50 us', 'p99 us', 'max us', 'p50 %', 'p99 %'],
		[row('256, no patch', lv.c256.idle),
		 row('256, 64 modules (15 voices, lfo, delay, reverb)', lv.c256.busy),
		 row('64, no patch', lv.c64.idle),
		 row('64, 64 modules', lv.c64.busy)]);
}

export async function patchBench() {
	tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-patch-bench-'));
	try {
		if (PARTS.includes('dsp'))
			throughput();
		const off = PARTS.includes('swap') ? compileOffline() : { reason: 'skipped' };
		const lv = PARTS.includes('live') ? await live() : { reason: 'skipped' };
		if (PARTS.includes('swap') || PARTS.includes('live'))
			printSwap(off, lv);
		if (PARTS.includes('live'))
			printCallback(lv);
	} finally {
		fs.rmSync(tmp, { recursive: true, force: true });
	}
}

if (import.meta.url === `file://${process.argv[1]}`)
	patchBench().catch((e) => { console.error(e); process.exit(1); });
