// Command-line contract of the two binaries (no JACK needed for most).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUILD, ROOT, startStack } from '../lib/harness.js';

const RT = path.join(BUILD, 'stagebox-rt');
const SERVER = path.join(BUILD, 'stagebox-server');

function run(bin, args, env = {}) {
	return spawnSync(bin, args, {
		encoding: 'utf8', timeout: 10000,
		env: { ...process.env, JACK_NO_START_SERVER: '1', ...env },
	});
}

test('--dump-config prints key=value lines of the effective config', () => {
	const r = run(RT, ['--config', path.join(ROOT, 'config/stagebox.json'),
		'--instance', 'dumptest', '--jack-server', 'jx', '--dump-config']);
	assert.equal(r.status, 0, r.stderr);
	const kv = Object.fromEntries(r.stdout.trim().split('\n').map((l) => {
		const i = l.indexOf('=');
		return [l.slice(0, i), l.slice(i + 1)];
	}));
	assert.equal(kv.instance, 'dumptest');
	assert.equal(kv['jack.server'], 'jx');
	for (const k of ['jack.driver', 'jack.device', 'jack.rate', 'jack.period', 'jack.nperiods',
		'server.http_port', 'server.ws_port', 'server.bind', 'engine.inputs'])
		assert.ok(k in kv, `no ${k}`);
});

for (const bin of [RT, SERVER]) {
	const name = path.basename(bin);
	test(`${name}: --help exits 0, a bad flag exits 2 with one line`, () => {
		const h = run(bin, ['--help']);
		assert.equal(h.status, 0);
		assert.match(h.stdout + h.stderr, /usage/i);
		const b = run(bin, ['--no-such-flag']);
		assert.equal(b.status, 2);
		// One clear line first (a usage line may follow it).
		assert.match(b.stderr.split('\n')[0], /--no-such-flag/);
	});

	test(`${name}: a bad config exits 2 naming the problem`, () => {
		const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sbt-cfg-'));
		try {
			const f = path.join(d, 'c.json');
			fs.writeFileSync(f, '{\n  "jack": { "rate": "fast" }\n}\n');
			let r = run(bin, ['--config', f]);
			assert.equal(r.status, 2);
			assert.match(r.stderr, /jack\.rate/);
			fs.writeFileSync(f, '{\n  "instance": "x",\n  oops\n}\n');
			r = run(bin, ['--config', f]);
			assert.equal(r.status, 2);
			assert.match(r.stderr, /:3:/);
			r = run(bin, ['--config', path.join(d, 'missing.json')]);
			assert.equal(r.status, 2);
		} finally {
			fs.rmSync(d, { recursive: true, force: true });
		}
	});
}

test('stagebox-rt exits 1 when JACK is not reachable', () => {
	const r = run(RT, ['--config', path.join(ROOT, 'config/stagebox.json'),
		'--instance', `nojack_${process.pid}`, '--jack-server', `nojack_${process.pid}`]);
	assert.equal(r.status, 1, r.stderr);
	assert.ok(!fs.existsSync(`/dev/shm/stagebox-nojack_${process.pid}`));
});

test('a second engine on the same instance is refused with exit 1', async () => {
	const s = await startStack({ server: false, rtguard: false });
	try {
		const r = run(RT, ['--config', s.configPath, '--instance', s.instance,
			'--jack-server', s.jack, '--client-name', 'second'], { JACK_DEFAULT_SERVER: s.jack });
		assert.equal(r.status, 1, r.stderr);
		assert.ok(s.engine.running);
	} finally {
		await s.stop();
	}
});
