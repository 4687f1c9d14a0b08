// harness.js - start a private Stagebox stack (jackd + engine + server) for
// one test file, talk to it, break it, and tear it down again.
//
// Every stack gets its own jackd server name, arena instance, TCP ports,
// temp directory and config file, so stacks never meet each other or a
// developer's running appliance.  The server makes its access token in the
// stack's data directory; s.fetch(), s.api(), s.cmd() and s.ws() read it
// from there on every call (so a rotation or a restart is followed) and
// send it as "Authorization: Bearer".  Every child's stdout/stderr goes into
// the temp directory; when the test process ends with a failure the logs
// are printed (and the directory kept), otherwise the directory is removed.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BUILD = process.env.SB_BUILD_DIR || path.join(ROOT, 'build');

const SHM = '/dev/shm';
let stackCounter = 0;
const allStacks = [];
const tempDirs = [];

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A free TCP port on the loopback: bind port 0 and ask what we got.
export function freePort() {
	return new Promise((resolve, reject) => {
		const srv = net.createServer();
		srv.unref();
		srv.on('error', reject);
		srv.listen(0, '127.0.0.1', () => {
			const { port } = srv.address();
			srv.close(() => resolve(port));
		});
	});
}

// Poll fn until it returns something truthy; returns that value.
export async function waitFor(fn, ms = 2000, what = 'condition', interval = 10) {
	const end = performance.now() + ms;
	let last;
	for (;;) {
		try {
			const v = await fn();
			if (v)
				return v;
		} catch (e) {
			last = e;
		}
		if (performance.now() > end)
			throw new Error(`timed out after ${ms} ms waiting for ${what}` +
				(last ? ` (last error: ${last.message})` : ''));
		await sleep(interval);
	}
}

function deepMerge(a, b) {
	const out = { ...a };
	for (const [k, v] of Object.entries(b || {})) {
		if (v && typeof v === 'object' && !Array.isArray(v) &&
		    out[k] && typeof out[k] === 'object')
			out[k] = deepMerge(out[k], v);
		else
			out[k] = v;
	}
	return out;
}

// Remove the files a (possibly killed) jackd of this name leaves in /dev/shm.
export function cleanJackShm(name) {
	let entries = [];
	try {
		entries = fs.readdirSync(SHM);
	} catch {
		return;
	}
	for (const f of entries) {
		if (f.startsWith(`jack_${name}_`) || f === `jack_${name}` ||
		    (f.startsWith('jack_sem.') && f.includes(`_${name}_`)))
			fs.rmSync(path.join(SHM, f), { force: true, recursive: true });
	}
}

// jackd2 keeps up to 8 servers in /dev/shm/jack-shm-registry and frees a
// slot only when a server of the *same name* starts again; servers that
// exited (even cleanly, in 1.9.21) keep theirs.  With a unique name per
// stack the registry fills after 8 stacks ("Too many servers already
// active"), so free the slots whose pid is dead.  Layout: magic "JACK",
// protocol, type, size, hdr_len, entry_len, then 8 x {int pid; char
// name[257]} padded to 264 bytes.  Left alone when the layout differs.
const REG = path.join(SHM, 'jack-shm-registry');
const REG_SERVERS = 8;
const REG_SLOT = 264;
const REG_FIRST = 24;

function pidAlive(pid) {
	try {
		process.kill(pid, 0);
		return true;
	} catch (e) {
		return e.code === 'EPERM';
	}
}

export function reclaimJackRegistry() {
	let fd;
	try {
		fd = fs.openSync(REG, 'r+');
	} catch {
		return 0;
	}
	let freed = 0;
	try {
		const hdr = Buffer.alloc(REG_FIRST + REG_SERVERS * REG_SLOT);
		if (fs.readSync(fd, hdr, 0, hdr.length, 0) !== hdr.length ||
		    hdr.toString('latin1', 0, 4) !== 'KCAJ' ||
		    hdr.readUInt32LE(16) !== hdr.length)
			return 0;
		for (let i = 0; i < REG_SERVERS; i++) {
			const off = REG_FIRST + i * REG_SLOT;
			const pid = hdr.readInt32LE(off);
			if (pid <= 0 || pidAlive(pid))
				continue;
			fs.writeSync(fd, Buffer.alloc(REG_SLOT), 0, REG_SLOT, off);
			freed++;
		}
	} finally {
		fs.closeSync(fd);
	}
	return freed;
}

export function arenaPath(instance) {
	return path.join(SHM, `stagebox-${instance}`);
}

// One child process with its output captured to files.
class Child {
	constructor(label, cmd, args, env, dir) {
		this.label = label;
		this.cmd = cmd;
		this.args = args;
		this.outPath = path.join(dir, `${label}.stdout.log`);
		this.errPath = path.join(dir, `${label}.stderr.log`);
		this.out = '';
		this.err = '';
		this.exit = null;
		const outFile = fs.createWriteStream(this.outPath);
		const errFile = fs.createWriteStream(this.errPath);
		this.proc = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
		this.pid = this.proc.pid;
		this.proc.stdout.on('data', (d) => {
			outFile.write(d);
			if (this.out.length < 1 << 20)
				this.out += d.toString();
		});
		this.proc.stderr.on('data', (d) => {
			errFile.write(d);
			if (this.err.length < 1 << 20)
				this.err += d.toString();
		});
		this.exited = new Promise((resolve) => {
			this.proc.on('error', (e) => {
				this.err += `\n[harness] spawn failed: ${e.message}\n`;
				this.exit = { code: -1, signal: null, error: e };
				resolve(this.exit);
			});
			this.proc.on('exit', (code, signal) => {
				this.exit = { code, signal };
				// Let the pipes drain before anyone reads the logs.
				this.proc.stdout.on('end', () => outFile.end());
				this.proc.stderr.on('end', () => errFile.end());
				setTimeout(() => resolve(this.exit), 20);
			});
		});
	}

	get running() {
		return this.exit === null;
	}

	// Signal and wait; escalate to SIGKILL after ms.  Returns the exit.
	async stop(sig = 'SIGTERM', ms = 3000) {
		if (this.running) {
			try {
				this.proc.kill(sig);
			} catch { /* already gone */ }
		}
		const t = setTimeout(() => {
			if (this.running) {
				this.err += `\n[harness] no exit ${ms} ms after ${sig}: SIGKILL\n`;
				this.killedHard = true;
				try { this.proc.kill('SIGKILL'); } catch { /* gone */ }
			}
		}, ms);
		const r = await this.exited;
		clearTimeout(t);
		return r;
	}

	describe() {
		const ex = this.exit ? `exit ${JSON.stringify(this.exit)}` : 'running';
		return `--- ${this.label} (pid ${this.pid}, ${ex}): ${this.cmd} ${this.args.join(' ')}\n` +
			`[stdout]\n${tail(this.out)}\n[stderr]\n${tail(this.err)}`;
	}
}

function tail(s, n = 4000) {
	return s.length > n ? '...' + s.slice(-n) : s;
}

// Run a command to completion (jack_lsp probes and the like).
function runQuick(cmd, args, env) {
	return new Promise((resolve) => {
		const p = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
		let out = '';
		p.stdout.on('data', (d) => { out += d; });
		p.stderr.on('data', () => {});
		p.on('error', () => resolve({ code: -1, out }));
		p.on('exit', (code) => resolve({ code, out }));
	});
}

// Headers with the stack's Bearer token added, unless the caller names an
// Authorization of its own (a string, or null for none at all).
function withAuth(token, headers = {}) {
	const out = { ...headers };
	const key = Object.keys(out).find((k) => k.toLowerCase() === 'authorization');
	if (key === undefined && token)
		out.Authorization = `Bearer ${token}`;
	else if (key !== undefined && out[key] === null)
		delete out[key];
	return out;
}

// The 'ws' client with a message buffer.
class WsClient {
	constructor(sock) {
		this.sock = sock;
		this.buffer = [];
		this.messages = [];	// every parsed message ever received
		this.raw = [];
		this.waiters = [];
		this.closed = new Promise((r) => sock.on('close', (code) => r(code)));
		sock.on('message', (data) => this._onMessage(data));
	}

	_onMessage(data) {
		const text = data.toString();
		let msg;
		try {
			msg = JSON.parse(text);
		} catch {
			msg = { type: '__unparsable__', text };
		}
		Object.defineProperty(msg, 'rxTime', { value: performance.now(), enumerable: false });
		if (this.messages.length < 100000)
			this.messages.push(msg);
		this.buffer.push(msg);
		for (const w of [...this.waiters])
			w();
	}

	get isOpen() {
		return this.sock.readyState === WebSocket.OPEN;
	}

	send(obj) {
		this.sock.send(typeof obj === 'string' ? obj : JSON.stringify(obj));
	}

	sendRaw(data) {
		this.sock.send(data);
	}

	// Forget everything received so far (next() then sees only new messages).
	clear() {
		this.buffer = [];
	}

	// Take the oldest buffered message matching pred (other messages stay).
	next(pred = () => true, ms = 2000) {
		return new Promise((resolve, reject) => {
			const tryTake = () => {
				const i = this.buffer.findIndex((m) => pred(m));
				if (i < 0)
					return false;
				const [m] = this.buffer.splice(i, 1);
				resolve(m);
				return true;
			};
			if (tryTake())
				return;
			let timer;
			const waiter = () => {
				if (!tryTake())
					return;
				clearTimeout(timer);
				this.waiters = this.waiters.filter((w) => w !== waiter);
			};
			timer = setTimeout(() => {
				this.waiters = this.waiters.filter((w) => w !== waiter);
				reject(new Error(`ws: no matching message within ${ms} ms ` +
					`(last: ${JSON.stringify(this.messages.slice(-3))})`));
			}, ms);
			this.waiters.push(waiter);
		});
	}

	// Send a command and wait for its reply.
	async request(cmd, args = {}, ms = 2000) {
		this._id = (this._id || 0) + 1;
		const id = this._id;
		this.send({ id, cmd, args });
		return this.next((m) => m.type === 'reply' && m.id === id, ms);
	}

	async close() {
		if (this.sock.readyState === WebSocket.CLOSED)
			return;
		this.sock.close();
		const t = setTimeout(() => this.sock.terminate(), 1000);
		await this.closed;
		clearTimeout(t);
	}
}

class Stack {
	constructor(opts) {
		this.opts = opts;
		this.n = ++stackCounter;
		// jackName: run under a fixed JACK server name (the shipped config's
		// "default"); only one such stack may run at a time on a machine.
		this.jack = opts.jackName || `sbt_${process.pid}_${this.n}`;
		this.instance = `sbt_${process.pid}_${this.n}`;
		this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `sbt-${process.pid}-${this.n}-`));
		tempDirs.push(this.dir);
		this.dataDir = path.join(this.dir, 'data');
		this.tokenPath = path.join(this.dataDir, 'token');
		fs.mkdirSync(this.dataDir);
		this.children = [];
		this.clients = [];
		this.reports = [];
		this.wsClients = [];
		this.engineStarts = 0;
		this.serverStarts = 0;
		this.clientStarts = 0;
		this.jackd = null;
		this.engine = null;
		this.server = null;
		this.env = {
			...process.env,
			JACK_NO_START_SERVER: '1',
			JACK_DEFAULT_SERVER: this.jack,
		};
		delete this.env.LD_PRELOAD;
		delete this.env.RTGUARD_REPORT;
	}

	async _init() {
		const o = this.opts;
		this.httpPort = o.httpPort || await freePort();
		do {
			this.wsPort = o.wsPort || await freePort();
		} while (this.wsPort === this.httpPort);
		this.base = `http://127.0.0.1:${this.httpPort}`;
		this.wsUrl = `ws://127.0.0.1:${this.wsPort}/`;
		this.rate = o.rate || 48000;
		this.period = o.period || 256;
		this.staticDir = o.staticDir || path.join(ROOT, 'static');
		this.configPath = path.join(this.dir, 'stagebox.json');
		this.config = deepMerge({
			instance: this.instance,
			jack: { server: this.jack, driver: 'dummy', rate: this.rate, period: this.period },
			engine: { inputs: o.inputs || 2 },
			server: {
				bind: '127.0.0.1',
				http_port: this.httpPort,
				ws_port: this.wsPort,
				data_dir: this.dataDir,
				static_dir: this.staticDir,
			},
		}, o.config);
		fs.writeFileSync(this.configPath, JSON.stringify(this.config, null, 2) + '\n');
	}

	_spawn(label, cmd, args, env = this.env) {
		const c = new Child(label, cmd, args, env, this.dir);
		this.children.push(c);
		return c;
	}

	async _waitUp(child, fn, ms, what) {
		return waitFor(async () => {
			if (!child.running)
				throw new Error(`${child.label} exited early: ${JSON.stringify(child.exit)}`);
			return fn();
		}, ms, what).catch((e) => {
			throw new Error(`${e.message}\n${this.logs()}`);
		});
	}

	async jackReachable() {
		const r = await runQuick('jack_lsp', [], this.env);
		return r.code === 0;
	}

	async jackPorts() {
		const r = await runQuick('jack_lsp', [], this.env);
		return r.code === 0 ? r.out.split('\n').filter(Boolean) : [];
	}

	async jackConnections() {
		const r = await runQuick('jack_lsp', ['-c'], this.env);
		return r.out;
	}

	// jackd shares its shm registry with every other jackd on the machine;
	// a start racing another server's start or cleanup can die (SIGBUS), so
	// an early death is retried.
	async startJack() {
		// Realtime by default: a busy machine then cannot starve the audio
		// threads, so sample-exact tests see no xruns they did not cause.
		const wantRt = this.opts.realtime ?? process.env.SB_TEST_REALTIME !== '0';
		const mode = wantRt ? '-R' : '--no-realtime';
		for (let attempt = 1; ; attempt++) {
			reclaimJackRegistry();
			cleanJackShm(this.jack);
			this.jackd = this._spawn(`jackd-${attempt}`, 'jackd', [mode, '-n', this.jack,
				'-d', 'dummy', '-r', String(this.rate), '-p', String(this.period)]);
			try {
				await this._waitUp(this.jackd, () => this.jackReachable(), 5000,
					`jackd ${this.jack}`);
				break;
			} catch (e) {
				if (this.jackd.running || attempt >= 3)
					throw e;
				// A jackd killed while writing its metadata database
				// (Berkeley DB under /dev/shm/jack_db-UID) leaves files
				// every later jackd dies on with SIGBUS; running servers
				// keep their mappings, new ones recreate it.
				if (this.jackd.exit.signal === 'SIGBUS')
					fs.rmSync(path.join(SHM, `jack_db-${process.getuid()}`),
						{ recursive: true, force: true });
				await sleep(100 * attempt);
			}
		}
		// -R where the system refuses realtime still runs, just not realtime.
		this.realtime = wantRt &&
			!/Cannot use real-time|Cannot lock down/.test(this.jackd.out + this.jackd.err);
	}

	_bin(name) {
		const p = path.join(BUILD, name);
		if (!fs.existsSync(p))
			throw new Error(`${p} is missing: build it first (make ${path.relative(ROOT, p)})`);
		return p;
	}

	// Start (or restart) the engine; resolves once it is running (and, when
	// a server is up, once the server reports it connected).
	async startEngine(extraArgs = []) {
		if (this.engine && this.engine.running)
			throw new Error('engine already running');
		const n = ++this.engineStarts;
		const env = { ...this.env };
		const useGuard = this.opts.rtguard !== false;
		let report = null;
		if (useGuard) {
			env.LD_PRELOAD = this._bin('librtguard.so');
			report = path.join(this.dir, `rtguard-${n}.json`);
			env.RTGUARD_REPORT = report;
		}
		const args = ['--config', this.configPath, '--instance', this.instance,
			'--jack-server', this.jack, ...extraArgs];
		const e = this._spawn(`engine-${n}`, this._bin('stagebox-rt'), args, env);
		this.engine = e;
		if (report)
			this.reports.push({ path: report, child: e });
		const client = this.opts.clientName || 'stagebox';
		await this._waitUp(e, async () => fs.existsSync(arenaPath(this.instance)) &&
			e.err.includes('stagebox-rt: running') &&
			(await this.jackPorts()).includes(`${client}:in_1`), 5000, 'engine running');
		if (this.server && this.server.running)
			await this._waitUp(e, async () => {
				const st = await this.status();
				return st.connected && st.engine_pid === e.pid;
			}, 3000, 'server to report the engine connected');
		return e;
	}

	async startServer(extraArgs = []) {
		if (this.server && this.server.running)
			throw new Error('server already running');
		const n = ++this.serverStarts;
		const args = ['--config', this.configPath, '--instance', this.instance,
			'--http-port', String(this.httpPort), '--ws-port', String(this.wsPort),
			'--bind', '127.0.0.1', '--data-dir', this.dataDir,
			'--static-dir', this.staticDir, ...extraArgs];
		const s = this._spawn(`server-${n}`, this._bin('stagebox-server'), args);
		this.server = s;
		await this._waitUp(s, async () => {
			if (!this.token)
				return false;
			const r = await this.fetch('/api/v1/status');
			await r.text();
			return r.status === 200;
		}, 5000, 'server answering GET /api/v1/status');
		if (this.engine && this.engine.running)
			await this._waitUp(s, async () => {
				const st = await this.status();
				return st.connected && st.engine_pid === this.engine.pid;
			}, 3000, 'server to attach to the running engine');
		return s;
	}

	// Wait until the guard report of the running engine shows cycles, so
	// that a hard kill still leaves a meaningful report behind.
	async _guardSettled() {
		const r = this.reports.find((x) => x.child === this.engine);
		if (!r)
			return;
		await waitFor(() => {
			const j = readJson(r.path);
			return j && j.cycles > 0;
		}, 1000, 'rtguard report').catch(() => {});
	}

	async killEngine(sig = 'SIGTERM') {
		if (!this.engine)
			return null;
		await this._guardSettled();
		const killedAt = performance.now();
		const r = await this.engine.stop(sig);
		return { ...r, killedAt };
	}

	async killServer(sig = 'SIGTERM') {
		if (!this.server)
			return null;
		const killedAt = performance.now();
		const r = await this.server.stop(sig);
		return { ...r, killedAt };
	}

	// The server's access token (DATA/token), read afresh: null until the
	// server made it.
	get token() {
		try {
			return fs.readFileSync(this.tokenPath, 'utf8').trim() || null;
		} catch {
			return null;
		}
	}

	// The URL a browser joins with: the token in the fragment.
	get joinUrl() {
		return `${this.base}/#token=${this.token}`;
	}

	// fetch() on this stack's HTTP port with the Bearer token (see withAuth).
	fetch(p, init = {}) {
		return fetch(this.base + p, { ...init, headers: withAuth(this.token, init.headers) });
	}

	async api(method, p, body, headers = {}) {
		const init = { method, headers: { ...headers } };
		if (body !== undefined) {
			init.body = (typeof body === 'string' || body instanceof Uint8Array) ?
				body : JSON.stringify(body);
			if (!init.headers['Content-Type'])
				init.headers['Content-Type'] = 'application/json';
		}
		const r = await this.fetch(p, init);
		const text = await r.text();
		let parsed = null;
		try {
			parsed = JSON.parse(text);
		} catch { /* not JSON: left null */ }
		return { status: r.status, body: parsed, text, headers: r.headers };
	}

	async cmd(name, args = {}) {
		const r = await this.api('POST', `/api/v1/cmd/${name}`, args);
		if (!r.body || r.body.ok !== true) {
			const e = new Error(`${name}: HTTP ${r.status}: ${r.body ? r.body.error : r.text}`);
			e.status = r.status;
			e.body = r.body;
			throw e;
		}
		return r.body.result;
	}

	async status() {
		const r = await this.api('GET', '/api/v1/status');
		if (r.status !== 200 || !r.body || !r.body.ok)
			throw new Error(`status: HTTP ${r.status}: ${r.text}`);
		return r.body.result;
	}

	// opts go to the 'ws' client; opts.headers pass through withAuth.
	async ws(url = this.wsUrl, protocols, opts = {}) {
		const sock = new WebSocket(url, protocols,
			{ ...opts, headers: withAuth(this.token, opts.headers) });
		const c = new WsClient(sock);
		await new Promise((resolve, reject) => {
			sock.once('open', resolve);
			sock.once('error', reject);
		});
		sock.on('error', () => {});
		this.wsClients.push(c);
		return c;
	}

	waitFor(fn, ms, what) {
		return waitFor(fn, ms, what);
	}

	// Spawn a test client (build/sb-*) on this jackd; resolves on "ready".
	async client(name, args = [], { timeout = 5000 } = {}) {
		const n = ++this.clientStarts;
		const full = ['--server', this.jack];
		if (!args.includes('--name'))
			full.push('--name', `${name.replace(/^sb-/, '')}${n}`);
		full.push(...args);
		const c = this._spawn(`${name}-${n}`, this._bin(name), full);
		this.clients.push(c);
		await this._waitUp(c, () => /^ready$/m.test(c.out), timeout, `${name} ready`);
		return c;
	}

	logs() {
		return `=== stack ${this.jack} (dir ${this.dir})\n` +
			this.children.map((c) => c.describe()).join('\n');
	}

	_checkReports() {
		const bad = [];
		for (const r of this.reports) {
			const j = readJson(r.path);
			const txt = fs.existsSync(r.path) ? fs.readFileSync(r.path, 'utf8') : '(no report file)';
			if (!j || j.wrapped !== true || !(j.cycles > 0) ||
			    Object.keys(j.violations || {}).length > 0)
				bad.push(`${r.path} (${r.child.label}): ${txt}`);
		}
		return bad;
	}

	async stop() {
		if (this.stopped)
			return this.stopResult;
		this.stopped = true;
		for (const w of this.wsClients)
			await w.close().catch(() => {});
		if (this.server)
			await this.server.stop('SIGTERM');
		if (this.engine && this.engine.running)
			await this._guardSettled();
		if (this.engine)
			await this.engine.stop('SIGTERM');
		for (const c of this.clients)
			await c.stop('SIGTERM');
		if (this.jackd)
			await this.jackd.stop('SIGTERM');
		const arenaLeft = fs.existsSync(arenaPath(this.instance));
		cleanJackShm(this.jack);
		fs.rmSync(arenaPath(this.instance), { force: true });
		this.stopResult = { arenaLeft };
		const bad = this._checkReports();
		if (bad.length) {
			this.failed = true;
			throw new Error(`RT guard: violations or no cycles:\n${bad.join('\n')}\n${this.logs()}`);
		}
		return this.stopResult;
	}

	// Synchronous last-resort cleanup (process exit).
	_killAllSync() {
		for (const c of this.children) {
			if (c.running) {
				try { c.proc.kill('SIGKILL'); } catch { /* gone */ }
			}
		}
		cleanJackShm(this.jack);
		fs.rmSync(arenaPath(this.instance), { force: true });
	}
}

function readJson(p) {
	try {
		return JSON.parse(fs.readFileSync(p, 'utf8'));
	} catch {
		return null;
	}
}

process.on('exit', (code) => {
	const failed = code !== 0 || (process.exitCode && process.exitCode !== 0);
	for (const s of allStacks) {
		if (failed)
			process.stderr.write(s.logs() + '\n');
		s._killAllSync();
	}
	if (failed || process.env.SB_KEEP) {
		for (const d of tempDirs)
			process.stderr.write(`[harness] kept ${d}\n`);
		return;
	}
	for (const d of tempDirs)
		fs.rmSync(d, { recursive: true, force: true });
});

// opts: inputs (2), rtguard (true), rate (48000), period (256),
// realtime (default true unless SB_TEST_REALTIME=0: jackd -R, s.realtime says
// if granted; false: jackd --no-realtime),
// engine (true: start it), server (true: start it), config (merged into
// the generated config file), staticDir, clientName, jackName.
export async function startStack(opts = {}) {
	const s = new Stack(opts);
	allStacks.push(s);
	try {
		await s._init();
		await s.startJack();
		if (opts.engine !== false)
			await s.startEngine();
		if (opts.server !== false)
			await s.startServer();
	} catch (e) {
		await s.stop().catch(() => {});
		throw e;
	}
	return s;
}
