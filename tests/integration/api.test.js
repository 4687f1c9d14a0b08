// REST API: every route and every error case of SPEC.md, against a live
// jackd + engine + server.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startStack, sleep } from '../lib/harness.js';

const ENGINE_FIELDS = ['engine_pid', 'generation', 'sample_rate', 'period', 'frames',
	'xruns', 'missed_frames', 'dsp_load', 'dsp_load_peak', 'inputs', 'peaks', 'evt_dropped'];
const SERVER_FIELDS = ['connected', 'version', 'uptime', 'ws_port', 'ws_clients', 't_us'];

// A static dir with one file per content type and two ways out of it.
function makeStaticDir() {
	const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sbt-static-'));
	const files = {
		'index.html': '<!doctype html><title>t</title>',
		'app.js': 'export const x = 1;\n',
		'style.css': 'body{}\n',
		'data.json': '{"a":1}\n',
		'pic.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>',
		'pic.png': Buffer.from('89504e470d0a1a0a', 'hex'),
		'favicon.ico': Buffer.from([0, 0, 1, 0]),
		'sound.wav': Buffer.from('RIFF\0\0\0\0WAVE'),
		'notes.txt': 'hello\n',
		'sub/inner.html': '<p>inner</p>',
	};
	for (const [f, body] of Object.entries(files)) {
		fs.mkdirSync(path.dirname(path.join(d, f)), { recursive: true });
		fs.writeFileSync(path.join(d, f), body);
	}
	fs.symlinkSync('/etc/passwd', path.join(d, 'passwd-link'));
	fs.symlinkSync('/etc', path.join(d, 'etc-link'));
	return d;
}

// Raw HTTP so that the path reaches the server exactly as written
// (fetch would normalise "/../" away).
function rawGet(port, target) {
	return new Promise((resolve, reject) => {
		const sock = net.connect(port, '127.0.0.1');
		let data = '';
		sock.setTimeout(3000, () => sock.destroy(new Error('raw GET timed out')));
		sock.on('connect', () => sock.write(`GET ${target} HTTP/1.1\r\n` +
			'Host: 127.0.0.1\r\nConnection: close\r\n\r\n'));
		sock.on('data', (d) => { data += d.toString('latin1'); });
		sock.on('error', reject);
		sock.on('end', () => {
			const m = /^HTTP\/1\.[01] (\d{3})/.exec(data);
			resolve({ status: m ? Number(m[1]) : 0, text: data });
		});
	});
}

// POST a big body over a raw socket, reading while writing: the server may
// answer 413 and close before the body is through, which makes fetch()
// fail with EPIPE/ECONNRESET instead of showing the answer (the unread body
// makes the server's kernel reset the connection, and the reset can
// destroy the answer before it is read).
function rawPost(port, target, body) {
	return new Promise((resolve) => {
		const sock = net.connect(port, '127.0.0.1');
		let data = '';
		let done = false;
		const finish = (err) => {
			if (done)
				return;
			done = true;
			sock.destroy();
			const m = /^HTTP\/1\.[01] (\d{3})/.exec(data);
			const i = data.indexOf('\r\n\r\n');
			let json = null;
			try {
				json = JSON.parse(data.slice(i + 4));
			} catch { /* chunked or partial: left null */ }
			resolve({ status: m ? Number(m[1]) : 0, text: data, body: json, err });
		};
		sock.setTimeout(5000, () => finish(new Error('timeout')));
		// Small writes with a turn of the event loop between them, and none
		// once an answer is there: a write into the closed connection
		// (EPIPE) makes node drop what was received but not yet read.
		const buf = Buffer.from(body);
		const send = async () => {
			const w = (b) => new Promise((r) => sock.write(b, r));
			await w(`POST ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
				`Authorization: Bearer ${s.token}\r\n` +
				'Content-Type: application/json\r\nConnection: close\r\n' +
				`Content-Length: ${buf.length}\r\n\r\n`);
			// A server may answer from the headers alone (Content-Length
			// too big); give it the chance before sending the body.
			for (let i = 0; i < 20 && !data; i++)
				await new Promise((r) => setTimeout(r, 10));
			for (let o = 0; o < buf.length && !data && !done; o += 16384) {
				await w(buf.subarray(o, o + 16384));
				await new Promise((r) => setTimeout(r, 0));
			}
		};
		sock.on('connect', () => send().catch(() => {}));
		sock.on('data', (d) => { data += d.toString('latin1'); });
		let err = null;
		sock.on('error', (e) => { err = err || e; });
		sock.on('close', () => finish(err));
	});
}

let s;
let staticDir;

before(async () => {
	staticDir = makeStaticDir();
	s = await startStack({ inputs: 2, staticDir });
});

after(async () => {
	if (s)
		await s.stop();
	fs.rmSync(staticDir, { recursive: true, force: true });
});

describe('status and commands', () => {
	test('GET /api/v1/status answers the status object', async () => {
		const r = await s.api('GET', '/api/v1/status');
		assert.equal(r.status, 200);
		assert.match(r.headers.get('content-type'), /application\/json/);
		assert.equal(r.body.ok, true);
		const st = r.body.result;
		for (const f of [...ENGINE_FIELDS, ...SERVER_FIELDS])
			assert.ok(f in st, `status lacks '${f}': ${r.text}`);
		assert.equal(st.connected, true);
		assert.equal(st.engine_pid, s.engine.pid);
		assert.equal(st.sample_rate, 48000);
		assert.equal(st.period, 256);
		assert.equal(st.inputs, 2);
		assert.equal(st.peaks.length, 2);
		assert.equal(st.version, '0.1.0');
		assert.equal(st.ws_port, s.wsPort);
		assert.ok(st.generation >= 1);
		assert.ok(st.dsp_load >= 0 && st.dsp_load < 1, `dsp_load ${st.dsp_load}`);
		assert.ok(st.uptime >= 0);
		assert.ok(Math.abs(st.t_us - Date.now() * 1000) < 5e6, `t_us ${st.t_us}`);
	});

	test('frames advance at the sample rate', async () => {
		const a = await s.status();
		await sleep(300);
		const b = await s.status();
		const rate = (b.frames - a.frames) / ((b.t_us - a.t_us) / 1e6);
		assert.ok(rate > 48000 * 0.8 && rate < 48000 * 1.2, `frames/s ${rate}`);
	});

	test('GET /api/v1/commands lists every command with its schema', async () => {
		const r = await s.api('GET', '/api/v1/commands');
		assert.equal(r.status, 200);
		assert.equal(r.body.ok, true);
		const list = r.body.result;
		assert.ok(Array.isArray(list));
		const byName = Object.fromEntries(list.map((c) => [c.name, c]));
		for (const n of ['engine.status', 'engine.ping', 'engine.timing'])
			assert.ok(byName[n], `no command ${n}`);
		for (const c of list) {
			assert.equal(typeof c.doc, 'string', c.name);
			assert.ok(c.doc.length > 0, c.name);
			assert.equal(typeof c.needs_engine, 'boolean', c.name);
			assert.equal(c.args.type, 'object', c.name);
			assert.equal(typeof c.args.properties, 'object', c.name);
			assert.ok(Array.isArray(c.args.required), c.name);
			assert.equal(c.args.additionalProperties, false, c.name);
			for (const [an, a] of Object.entries(c.args.properties))
				assert.match(a.type, /^(integer|number|boolean|string)$/, `${c.name}.${an}`);
		}
		assert.equal(byName['engine.status'].needs_engine, false);
		assert.equal(byName['engine.ping'].needs_engine, true);
		assert.equal(byName['engine.timing'].needs_engine, true);
		const reset = byName['engine.timing'].args.properties.reset;
		assert.equal(reset.type, 'boolean');
		assert.equal(reset.default, false);
		assert.ok(!byName['engine.timing'].args.required.includes('reset'));
	});

	test('POST engine.ping goes through the engine', async () => {
		const before = await s.status();
		const r = await s.api('POST', '/api/v1/cmd/engine.ping', {});
		assert.equal(r.status, 200, r.text);
		assert.equal(r.body.ok, true);
		const { rtt_us: rtt, engine_frame: frame } = r.body.result;
		assert.ok(rtt > 0 && rtt < 1e6, `rtt_us ${rtt}`);
		assert.ok(Number.isInteger(frame) && frame >= before.frames,
			`engine_frame ${frame} < ${before.frames}`);
	});

	test('an empty body is the empty argument object', async () => {
		const r = await s.api('POST', '/api/v1/cmd/engine.ping', '');
		assert.equal(r.status, 200, r.text);
		assert.equal(r.body.ok, true);
	});

	test('POST engine.status is the status', async () => {
		const res = await s.cmd('engine.status');
		assert.equal(res.connected, true);
	});

	test('engine.timing reports and resets the histogram', async () => {
		await sleep(100);
		const a = await s.cmd('engine.timing', {});
		for (const f of ['count', 'p50_us', 'p99_us', 'max_us', 'mean_us', 'period_us'])
			assert.equal(typeof a[f], 'number', `timing.${f}`);
		assert.ok(a.count > 0);
		assert.ok(a.p50_us <= a.p99_us && a.p99_us <= a.max_us + 1, JSON.stringify(a));
		assert.ok(Math.abs(a.period_us - 256e6 / 48000) < 1, `period_us ${a.period_us}`);
		const pre = await s.cmd('engine.timing', { reset: true });
		assert.ok(pre.count >= a.count);
		const post = await s.cmd('engine.timing', {});
		assert.ok(post.count < pre.count, `count after reset ${post.count} >= ${pre.count}`);
	});
});

describe('request errors', () => {
	async function expectError(method, p, body, status, re) {
		const r = await s.api(method, p, body);
		assert.equal(r.status, status, `${method} ${p}: ${r.text}`);
		assert.ok(r.body, `not JSON: ${r.text}`);
		assert.equal(r.body.ok, false);
		assert.match(r.body.error, re);
		return r;
	}

	test('malformed JSON names line and column', async () => {
		await expectError('POST', '/api/v1/cmd/engine.ping', '{"x": tru', 400,
			/^malformed JSON at line 1, column \d+: \S/);
		const r = await expectError('POST', '/api/v1/cmd/engine.timing',
			'{\n  "reset": ,\n}', 400, /^malformed JSON at line 2, column (\d+): /);
		const col = Number(/column (\d+)/.exec(r.body.error)[1]);
		assert.ok(col >= 10 && col <= 13, `column ${col}`);
	});

	test('a body that is not an object is refused', async () => {
		for (const b of ['[1,2]', '42', '"x"', 'null'])
			await expectError('POST', '/api/v1/cmd/engine.ping', b, 400,
				/^arguments must be a JSON object$/);
	});

	test('wrong type names the argument', async () => {
		await expectError('POST', '/api/v1/cmd/engine.timing', { reset: 'yes' }, 400,
			/^argument 'reset': expected boolean, got string$/);
		await expectError('POST', '/api/v1/cmd/engine.timing', { reset: 1 }, 400,
			/^argument 'reset': expected boolean, got integer$/);
	});

	test('unknown argument', async () => {
		await expectError('POST', '/api/v1/cmd/engine.ping', { bogus: 1 }, 400,
			/^unknown argument 'bogus'$/);
	});

	// Generic over the table, so commands added later are covered too.
	test('missing, mistyped and out-of-range arguments of every command', async () => {
		const list = (await s.api('GET', '/api/v1/commands')).body.result;
		let checked = 0;
		for (const c of list) {
			const props = c.args.properties;
			const valid = {};
			for (const n of c.args.required)
				valid[n] = sampleValue(props[n]);
			for (const n of c.args.required) {
				const args = { ...valid };
				delete args[n];
				await expectError('POST', `/api/v1/cmd/${c.name}`, args, 400,
					new RegExp(`^missing argument '${esc(n)}'$`));
				checked++;
			}
			for (const [n, p] of Object.entries(props)) {
				const wrong = p.type === 'string' ? 12 : 'x';
				const got = p.type === 'string' ? 'integer' : 'string';
				await expectError('POST', `/api/v1/cmd/${c.name}`, { ...valid, [n]: wrong },
					400, new RegExp(`^argument '${esc(n)}': expected ${p.type}, got ${got}$`));
				checked++;
				if (p.maximum !== undefined && (p.type === 'integer' || p.type === 'number')) {
					const big = p.type === 'integer' ? p.maximum + 1 : p.maximum + 0.5;
					await expectError('POST', `/api/v1/cmd/${c.name}`, { ...valid, [n]: big },
						400, new RegExp(`^argument '${esc(n)}': ${big} is above the maximum ${p.maximum}$`));
					checked++;
				}
			}
		}
		assert.ok(checked > 0);
	});

	test('unknown command is 404', async () => {
		await expectError('POST', '/api/v1/cmd/no.such', {}, 404, /^unknown command 'no.such'$/);
	});

	test('unknown route is 404', async () => {
		await expectError('GET', '/api/v1/x', undefined, 404, /^no route GET \/api\/v1\/x$/);
		await expectError('POST', '/api/v1/nothing/here', {}, 404,
			/^no route POST \/api\/v1\/nothing\/here$/);
	});

	test('wrong method is 405 with Allow', async () => {
		const r = await expectError('PUT', '/api/v1/status', '{}', 405,
			/^method PUT not allowed on \/api\/v1\/status$/);
		assert.match(r.headers.get('allow') || '', /GET/);
		const r2 = await expectError('DELETE', '/api/v1/commands', undefined, 405,
			/^method DELETE not allowed on \/api\/v1\/commands$/);
		assert.match(r2.headers.get('allow') || '', /GET/);
		const r3 = await expectError('GET', '/api/v1/cmd/engine.ping', undefined, 405,
			/^method GET not allowed on \/api\/v1\/cmd\/engine\.ping$/);
		assert.match(r3.headers.get('allow') || '', /POST/);
	});

	test('a body of exactly 1 MiB is accepted, one byte more is 413', async () => {
		const limit = 1048576;
		const ok = '{' + ' '.repeat(limit - 2) + '}';
		assert.equal(Buffer.byteLength(ok), limit);
		const r = await s.api('POST', '/api/v1/cmd/engine.ping', ok);
		assert.equal(r.status, 200, r.text.slice(0, 200));
		await expect413(ok + ' ');
	});

	test('a 1.5 MiB body is 413 and the server stays up', async () => {
		await expect413(JSON.stringify({ pad: 'x'.repeat(1.5 * 1048576) }));
		assert.equal((await s.status()).connected, true);
	});

	async function expect413(body) {
		const r = await rawPost(s.httpPort, '/api/v1/cmd/engine.ping', body);
		assert.equal(r.status, 413, `status ${r.status} (${r.err}): ${r.text.slice(0, 300)}`);
		assert.match(r.text, /"ok"\s*:\s*false/);
		assert.match(r.text, /body over 1048576 bytes/);
	}
});

describe('static files', () => {
	const types = {
		'/': /^text\/html/,
		'/index.html': /^text\/html/,
		'/app.js': /^text\/javascript/,
		'/style.css': /^text\/css/,
		'/data.json': /^application\/json/,
		'/pic.svg': /^image\/svg\+xml/,
		'/pic.png': /^image\/png/,
		'/favicon.ico': /^image\/(x-icon|vnd\.microsoft\.icon)/,
		'/sound.wav': /^audio\/(wav|x-wav|wave)/,
		'/notes.txt': /^text\/plain/,
		'/sub/inner.html': /^text\/html/,
	};
	for (const [p, re] of Object.entries(types)) {
		test(`GET ${p} has the right Content-Type`, async () => {
			const r = await fetch(s.base + p);
			const body = Buffer.from(await r.arrayBuffer());
			assert.equal(r.status, 200);
			assert.match(r.headers.get('content-type') || '', re);
			assert.match(r.headers.get('cache-control') || '', /no-cache/);
			const f = p === '/' ? 'index.html' : p.slice(1);
			assert.deepEqual(body, fs.readFileSync(path.join(staticDir, f)));
		});
	}

	test('a missing file is 404', async () => {
		const r = await fetch(s.base + '/nope.html');
		await r.arrayBuffer();
		assert.equal(r.status, 404);
	});

	const escapes = ['/../etc/passwd', '/%2e%2e/etc/passwd', '/%2E%2E/%2e%2e/etc/passwd',
		'/sub/../../etc/passwd', '/sub/%2e%2e/%2e%2e/etc/passwd', '/..%2fetc%2fpasswd',
		'/%2e%2e%2f%2e%2e%2fetc%2fpasswd', '/passwd-link', '/etc-link/passwd',
		'/..', '/.%2e/etc/passwd'];
	for (const p of escapes) {
		test(`path escape ${p} is refused`, async () => {
			const r = await rawGet(s.httpPort, p);
			assert.ok([400, 403, 404].includes(r.status), `${p}: status ${r.status}`);
			assert.doesNotMatch(r.text, /root:.*:0:0:/);
		});
	}
});

function sampleValue(p) {
	if (p.default !== undefined)
		return p.default;
	if (p.enum)
		return p.enum[0];
	switch (p.type) {
	case 'integer':
	case 'number':
		return p.minimum !== undefined ? p.minimum : 0;
	case 'boolean':
		return false;
	default:
		return 'a';
	}
}

function esc(s) {
	return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('without an engine', () => {
	let n;
	before(async () => {
		n = await startStack({ engine: false });
	});
	after(async () => {
		if (n)
			await n.stop();
	});

	test('status says disconnected with null engine fields', async () => {
		const r = await n.api('GET', '/api/v1/status');
		assert.equal(r.status, 200);
		assert.equal(r.body.ok, true);
		const st = r.body.result;
		assert.equal(st.connected, false);
		for (const f of ENGINE_FIELDS)
			assert.equal(st[f], null, `${f} should be null: ${r.text}`);
		assert.equal(st.version, '0.1.0');
		assert.equal(typeof st.t_us, 'number');
	});

	test('engine.status works, engine commands are 503', async () => {
		assert.equal((await n.cmd('engine.status')).connected, false);
		for (const c of ['engine.ping', 'engine.timing']) {
			const r = await n.api('POST', `/api/v1/cmd/${c}`, {});
			assert.equal(r.status, 503, r.text);
			assert.equal(r.body.ok, false);
			assert.equal(r.body.error, 'engine not attached');
		}
	});

	test('argument errors still win over 503', async () => {
		const r = await n.api('POST', '/api/v1/cmd/engine.ping', { bogus: true });
		assert.equal(r.status, 400, r.text);
		assert.equal(r.body.error, "unknown argument 'bogus'");
	});

	test('the real UI is served from static/', async () => {
		const r = await fetch(n.base + '/');
		const html = await r.text();
		assert.equal(r.status, 200);
		assert.match(r.headers.get('content-type'), /^text\/html/);
		assert.match(html, /<html|<!doctype/i);
	});
});
