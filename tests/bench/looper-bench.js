// make bench (looper part) - printed, never asserted:
//   1. engine callback cost with 16 tracks playing and 2 recording, at 64 and
//      256 frames (engine.timing {reset} then read after 5 s), next to the
//      same stack with the looper empty;
//   2. process CPU per second of audio, side by side under one jackd:
//      stagebox-rt (and stagebox-server) with 16 stereo loops playing, and
//      SooperLooper (Debian `sooperlooper`) with 16 stereo loops of the same
//      audio loaded over OSC and triggered; (utime + stime) from
//      /proc/PID/stat over 10 s, divided by 10.
// Grid 5 x 4: columns 0..3 hold the 16 playing loops (WAV uploads), column 4
// tracks 0 and 1 record.  The engine runs without the RT guard.
import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { startStack, sleep, freePort } from '../lib/harness.js';
import { encodeWav } from '../lib/wav.js';
import { table, f1, f2 } from './stats.js';

const RATE = 48000;
const LOOP_FRAMES = 96000;	// 4 beats at 120 BPM: 2 s
const COST_SECONDS = 5;
const CPU_SECONDS = 10;
// Loops are added with /loop_add after a 1-loop start: with `-l 16` SooperLooper
// 1.7.8 left loops 15 and up paused here, ignoring every command sent to them.
const SL_LOOPS = 16;
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

function loopAudio(seed) {
	const ch = [new Float32Array(LOOP_FRAMES), new Float32Array(LOOP_FRAMES)];
	let x = seed >>> 0 || 1;
	for (let i = 0; i < LOOP_FRAMES; i++) {
		x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
		const n = (x / 4294967296 - 0.5) * 0.1;
		ch[0][i] = 0.2 * Math.sin(2 * Math.PI * (220 + 20 * seed) * i / RATE) + n;
		ch[1][i] = 0.2 * Math.sin(2 * Math.PI * (330 + 20 * seed) * i / RATE) - n;
	}
	return encodeWav({ sampleRate: RATE, channels: ch });
}

async function must(s, name, args) {
	return s.cmd(name, args);
}

// 16 loops playing in columns 0..3 of a 5 x 4 grid.
async function fillSixteen(s, body) {
	for (let c = 0; c < 4; c++)
		await must(s, 'looper.set_column', { column: c, beats: 4 });
	for (let c = 0; c < 4; c++)
		for (let t = 0; t < 4; t++) {
			const r = await s.api('PUT', `/api/v1/looper/tracks/${c}/${t}.wav`, body,
				{ 'Content-Type': 'audio/wav' });
			if (r.status !== 200)
				throw new Error(`upload ${c}/${t}: ${r.status} ${r.text}`);
		}
	await must(s, 'transport.start', {});
}

async function startRecordingTwo(s) {
	await must(s, 'looper.set_quantize', { mode: 'off' });
	await must(s, 'looper.set_column', { column: 4, beats: 0 });
	await must(s, 'looper.record', { column: 4, track: 0 });
	await must(s, 'looper.record', { column: 4, track: 1 });
	await sleep(300);
	const st = (await s.api('GET', '/api/v1/looper')).body.result;
	const states = st.columns[4].tracks.slice(0, 2).map((t) => t.state);
	if (states.some((x) => x !== 'recording'))
		throw new Error(`column 4 not recording: ${states}`);
}

function stack(period) {
	return startStack({
		rtguard: false, realtime: true, period,
		config: { looper: { columns: 5, tracks: 4 } },
	});
}

async function timing(s) {
	await must(s, 'engine.timing', { reset: true });
	await sleep(COST_SECONDS * 1000);
	return must(s, 'engine.timing', {});
}

async function costAt(period, body) {
	const s = await stack(period);
	try {
		await s.client('sb-player', ['--tone', '440', '--amp', '0.3',
			'--connect', 'stagebox:in_1,stagebox:in_2']);
		await must(s, 'click.set', { enabled: true, volume: 0.5 });
		const idle = await timing(s);
		await fillSixteen(s, body);
		await startRecordingTwo(s);
		const busy = await timing(s);
		return { idle, busy };
	} finally {
		await s.stop();
	}
}

// --- CPU per second of audio ---------------------------------------------

function cpuTicks(pid) {
	const txt = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
	const f = txt.slice(txt.lastIndexOf(')') + 2).split(' ');
	return Number(f[11]) + Number(f[12]);	// utime, stime (fields 14, 15)
}

// OSC over UDP, just what is needed: string/int/float arguments.
function oscPad(b) {
	const n = Math.ceil((b.length + 1) / 4) * 4;
	const out = Buffer.alloc(n);
	b.copy(out);
	return out;
}

function oscMessage(addr, args) {
	let tags = ',';
	const parts = [];
	for (const a of args) {
		if (typeof a === 'string') {
			tags += 's';
			parts.push(oscPad(Buffer.from(a)));
		} else if (Number.isInteger(a)) {
			tags += 'i';
			const b = Buffer.alloc(4);
			b.writeInt32BE(a);
			parts.push(b);
		} else {
			tags += 'f';
			const b = Buffer.alloc(4);
			b.writeFloatBE(a);
			parts.push(b);
		}
	}
	return Buffer.concat([oscPad(Buffer.from(addr)), oscPad(Buffer.from(tags)), ...parts]);
}

function oscParse(buf) {
	const str = (o) => {
		const e = buf.indexOf(0, o);
		return [buf.toString('utf8', o, e), Math.ceil((e + 1) / 4) * 4];
	};
	let [addr, o] = str(0);
	let tags;
	[tags, o] = str(o);
	const args = [];
	for (const t of tags.slice(1)) {
		if (t === 's') {
			let v;
			[v, o] = str(o);
			args.push(v);
		} else if (t === 'i') {
			args.push(buf.readInt32BE(o));
			o += 4;
		} else if (t === 'f') {
			args.push(buf.readFloatBE(o));
			o += 4;
		}
	}
	return { addr, args };
}

class Osc {
	constructor(port) {
		this.port = port;
		this.sock = dgram.createSocket('udp4');
		this.inbox = [];
		this.sock.on('message', (m) => {
			try { this.inbox.push(oscParse(m)); } catch { /* ignore */ }
		});
	}

	async open() {
		await new Promise((r) => this.sock.bind(0, '127.0.0.1', r));
		this.url = `osc.udp://127.0.0.1:${this.sock.address().port}/`;
	}

	send(addr, ...args) {
		this.sock.send(oscMessage(addr, args), this.port, '127.0.0.1');
	}

	async wait(pred, ms) {
		const end = Date.now() + ms;
		while (Date.now() < end) {
			const i = this.inbox.findIndex(pred);
			if (i >= 0)
				return this.inbox.splice(i, 1)[0];
			await sleep(20);
		}
		return null;
	}

	close() {
		this.sock.close();
	}
}

// SooperLooper state of loops 0..15 (4 = playing).
async function slStates(osc) {
	const states = [];
	for (let i = 0; i < SL_LOOPS; i++) {
		osc.send(`/sl/${i}/get`, 'state', osc.url, '/state');
		const m = await osc.wait((x) => x.addr === '/state' && x.args[0] === i, 1000);
		states.push(m ? m.args[2] : null);
	}
	return states;
}

// Build tests/bench/alsa-seq-stub.c into build/ (once).
function alsaSeqStub() {
	const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
	const src = path.join(root, 'tests/bench/alsa-seq-stub.c');
	const out = path.join(root, 'build/bench-alsa-seq-stub.so');
	if (fs.existsSync(out) && fs.statSync(out).mtimeMs >= fs.statSync(src).mtimeMs)
		return { path: out };
	const r = spawnSync('cc', ['-O2', '-Wall', '-Wextra', '-Werror', '-fPIC', '-shared', '-o', out, src],
		{ encoding: 'utf8' });
	return r.status === 0 ? { path: out } : { error: (r.stderr || r.error || '').toString().trim() };
}

// Start SooperLooper on the stack's jackd with 16 stereo loops of `file`,
// triggered.  Returns { proc, pid, playing, note } or { proc?, reason }.
export async function startSooper(s, file) {
	const bin = spawnSync('sh', ['-c', 'command -v sooperlooper'], { encoding: 'utf8' }).stdout.trim();
	if (!bin)
		return { reason: 'sooperlooper not installed (deploy/install.sh --test installs it)' };
	const port = await freePort();
	const env = { ...s.env, JACK_DEFAULT_SERVER: s.jack };
	let note = '';
	if (!fs.existsSync('/dev/snd/seq')) {
		// SooperLooper asserts without an ALSA sequencer: give it a stub.
		const stub = alsaSeqStub();
		if (stub.error)
			return { reason: `no /dev/snd/seq and the ALSA sequencer stub did not build: ${stub.error}` };
		env.LD_PRELOAD = stub.path;
		note = 'ALSA sequencer stubbed (no /dev/snd/seq)';
	}
	const proc = spawn(bin, ['-q', '-l', '1', '-c', '2', '-t', '4', '-p', String(port),
		'-j', 'slbench', '-S', s.jack], { env, stdio: ['ignore', 'ignore', 'pipe'] });
	let err = '';
	proc.stderr.on('data', (d) => { err += d; });
	const osc = new Osc(port);
	await osc.open();
	try {
		let pong = null;
		for (let i = 0; i < 50 && !pong && proc.exitCode === null; i++) {
			osc.send('/ping', osc.url, '/pong');
			pong = await osc.wait((m) => m.addr === '/pong', 200);
		}
		if (!pong)
			return { proc, reason: `sooperlooper did not answer /ping (${err.trim().slice(-200) || 'no output'})` };
		for (let i = 1; i < SL_LOOPS; i++) {
			osc.send('/loop_add', 2, 4.0);
			await sleep(50);
		}
		await sleep(500);
		for (let i = 0; i < SL_LOOPS; i++) {
			osc.send(`/sl/${i}/load_loop`, file, osc.url, '/error');
			await sleep(50);
		}
		await sleep(1500);
		const e = osc.inbox.find((m) => m.addr === '/error');
		if (e)
			return { proc, reason: `load_loop failed: ${JSON.stringify(e.args)}` };
		for (let i = 0; i < SL_LOOPS; i++)
			osc.send(`/sl/${i}/hit`, 'trigger');
		await sleep(500);
		let states = await slStates(osc);
		for (let round = 0; round < 3 && states.some((x) => x !== 4); round++) {
			states.forEach((x, i) => { if (x !== 4) osc.send(`/sl/${i}/hit`, 'trigger'); });
			await sleep(300);
			states = await slStates(osc);
		}
		const playing = states.filter((x) => x === 4).length;
		if (playing !== 16)
			return { proc, reason: `${playing} of 16 loops playing (states ${states})` };
		return { proc, pid: proc.pid, playing, note };
	} catch (e) {
		proc.kill('SIGKILL');
		throw e;
	} finally {
		osc.close();
	}
}

async function cpuSideBySide(body) {
	const s = await stack(256);
	let sl = null;
	try {
		await fillSixteen(s, body);
		const file = path.join(s.dir, 'loop.wav');
		fs.writeFileSync(file, body);
		sl = await startSooper(s, file).catch((e) => ({ reason: e.message }));
		await sleep(1000);
		const pids = { rt: s.engine.pid, server: s.server.pid, sl: sl && sl.pid };
		const t0 = {};
		for (const [k, pid] of Object.entries(pids))
			if (pid)
				t0[k] = cpuTicks(pid);
		const w0 = Date.now();
		await sleep(CPU_SECONDS * 1000);
		const wall = (Date.now() - w0) / 1000;
		const per = {};
		for (const [k, pid] of Object.entries(pids))
			if (pid)
				per[k] = (cpuTicks(pid) - t0[k]) / CLK_TCK / wall;
		const st = (await s.api('GET', '/api/v1/looper')).body.result;
		const playing = st.columns.slice(0, 4).flatMap((c) => c.tracks).filter((t) => t.state === 'playing').length;
		return { per, sl, playing, wall };
	} finally {
		if (sl && sl.proc && sl.proc.exitCode === null) {
			sl.proc.kill('SIGTERM');
			await sleep(500);
			if (sl.proc.exitCode === null)
				sl.proc.kill('SIGKILL');
		}
		await s.stop();
	}
}

export async function looperBench() {
	const body = loopAudio(1);
	const c256 = await costAt(256, body);
	const c64 = await costAt(64, body);
	const row = (label, c) => [label, String(c.count), f2(c.p50_us), f2(c.p99_us), f2(c.max_us),
		f2((100 * c.p50_us) / c.period_us), f2((100 * c.p99_us) / c.period_us),
		f2((100 * c.max_us) / c.period_us)];
	table(`looper: engine callback cost per cycle (${COST_SECONDS} s each; 5x4 grid, ` +
		'click on, monitor on, 48 kHz, realtime jackd)',
		['period / load', 'cycles', 'p50 us', 'p99 us', 'max us', 'p50 %', 'p99 %', 'max %'],
		[row('256 (5333 us), looper empty', c256.idle),
		 row('256, 16 playing + 2 recording', c256.busy),
		 row('64 (1333 us), looper empty', c64.idle),
		 row('64, 16 playing + 2 recording', c64.busy)]);

	const cpu = await cpuSideBySide(body);
	const pct = (x) => (Number.isFinite(x) ? `${f2(100 * x)} %` : '-');
	const slCell = cpu.sl && cpu.sl.reason ? `not measured: ${cpu.sl.reason}` : pct(cpu.per.sl);
	table(`looper: process CPU per second of audio, 16 stereo loops playing, same jackd ` +
		`(256 frames, 48 kHz), (utime+stime)/${f1(cpu.wall)} s`,
		['process', 'loops playing', 'CPU s per audio s (% of one core)'],
		[['stagebox-rt', String(cpu.playing), pct(cpu.per.rt)],
		 ['stagebox-server (control, for reference)', '-', pct(cpu.per.server)],
		 [`sooperlooper 1.7.x${cpu.sl && cpu.sl.note ? ` (${cpu.sl.note})` : ''}`,
		  cpu.sl && cpu.sl.playing ? String(cpu.sl.playing) : '-', slCell]]);
}

if (import.meta.url === `file://${process.argv[1]}`)
	looperBench().catch((e) => { console.error(e); process.exit(1); });
