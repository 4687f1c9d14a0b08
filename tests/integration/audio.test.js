// Audio reaches the engine: a tone from sb-player shows in the input peaks.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../lib/harness.js';

let s;

before(async () => {
	s = await startStack({ inputs: 2 });
});

after(async () => {
	if (s)
		await s.stop();
});

test('a 0.5 tone into in_1 shows as peak ~0.5 on input 1 only', async () => {
	const player = await s.client('sb-player', ['--tone', '440', '--amp', '0.5',
		'--connect', 'stagebox:in_1']);
	const st = await s.waitFor(async () => {
		const x = await s.status();
		return x.peaks[0] > 0.45 ? x : null;
	}, 2000, 'peak on input 1');
	assert.ok(st.peaks[0] < 0.55, `peak ${st.peaks[0]}`);
	assert.ok(st.peaks[1] < 0.01, `input 2 peak ${st.peaks[1]}`);
	const r = await player.stop('SIGTERM');
	assert.equal(r.code, 0, `sb-player exit ${JSON.stringify(r)}`);
	await s.waitFor(async () => (await s.status()).peaks[0] < 0.01, 5000, 'peak to decay');
});

test('a 0.25 tone into in_2 shows on input 2', async () => {
	const player = await s.client('sb-player', ['--tone', '1000', '--amp', '0.25',
		'--connect', 'stagebox:in_2']);
	const ws = await s.ws();
	const m = await ws.next((x) => x.type === 'status' && x.peaks && x.peaks[1] > 0.22, 2000);
	assert.ok(m.peaks[1] < 0.28, `peak ${m.peaks[1]}`);
	assert.ok(m.peaks[0] < 0.01, `input 1 peak ${m.peaks[0]}`);
	await ws.close();
	await player.stop('SIGTERM');
});
