// ui.test.js - the browser UI against a real stack, driven by headless
// Debian chromium: status header, live meters from a test tone, engine ping,
// phone layout, and recovery when the server and the engine restart.
// Screenshots go to build/ui-desktop.png and build/ui-phone.png.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startStack, sleep } from '../lib/harness.js';
import { checkChromium, launchBrowser, pageOpener, closeAll, tid, waitAttr, SHOTS } from '../lib/browser.js';

const ENGINE_CLIENT = 'stagebox';
const T = { timeout: 60000 };

let s;
let browser;
let page;
let openPage;
let player;
const pageErrors = [];

// Sample both meters' data-peak for ms.
async function samplePeaks(p, ms) {
	const out = [];
	const end = Date.now() + ms;
	while (Date.now() < end) {
		out.push(await p.evaluate(() => [1, 2].map((n) =>
			Number(document.querySelector(`[data-testid="meter-${n}"]`)?.dataset.peak))));
		await sleep(60);
	}
	return out;
}

before(async () => {
	checkChromium();
	s = await startStack({ inputs: 2 });
	player = await s.client('sb-player', ['--tone', '440', '--amp', '0.5',
		'--connect', `${ENGINE_CLIENT}:in_1`]);
	browser = await launchBrowser();
	openPage = pageOpener(browser, s.base, pageErrors, s);
	page = await openPage({ width: 1280, height: 800 });
});

after(() => closeAll(browser, s, pageErrors));

test('header shows server and engine connected, 48 kHz, 256 frames', T, async () => {
	await waitAttr(page, 'conn-state', (a) => a.state === 'connected' && /connected/i.test(a.text),
		5000, 'server pill connected');
	await waitAttr(page, 'engine-state', (a) => a.state === 'connected' && /connected/i.test(a.text),
		5000, 'engine pill connected');
	await waitAttr(page, 'sample-rate', (a) => a.text === '48 kHz', 3000, 'sample rate 48 kHz');
	const period = await waitAttr(page, 'period', (a) => /256 frames/.test(a.text));
	assert.match(period.text, /5\.3 ms/);
	const load = await waitAttr(page, 'dsp-load', (a) => /^\d+(\.\d)?%$/.test(a.text));
	assert.ok(parseFloat(load.text) < 100, `dsp load ${load.text}`);
	await waitAttr(page, 'xruns', (a) => /^\d+ \d+\/min$/.test(a.text));
	assert.match(await page.locator(tid('xruns')).getAttribute('title'), /xruns since the engine started, \d+ in the last minute/);
	assert.equal(await page.title(), 'Stagebox');
});

test('meter 1 follows the 440 Hz tone, meter 2 stays near silence', T, async () => {
	await waitAttr(page, 'meter-1', (a) => a.peak > 0.1, 5000, 'meter-1 above 0.1');
	const samples = await samplePeaks(page, 1500);
	for (const [p1, p2] of samples) {
		assert.ok(p1 > 0.1 && p1 < 0.6, `meter-1 peak ${p1}`);
		assert.ok(p2 < 0.01, `meter-2 peak ${p2}`);
	}
	const distinct = new Set(samples.map(([p1]) => p1));
	assert.ok(distinct.size >= 2, `meter-1 never changed: ${[...distinct]}`);
	// The drawn bar, not just the attribute: -6 dBFS is 90 % of the scale.
	const lit = await page.locator(`${tid('meter-1')} .meter-bar`).evaluate((el) =>
		Number(el.style.getPropertyValue('--lit')));
	assert.ok(lit > 0.8 && lit <= 1, `meter-1 bar at ${lit}`);
	const db = await page.locator(`${tid('meter-1')} .meter-db`).textContent();
	assert.ok(Math.abs(parseFloat(db) + 6) < 1, `meter-1 readout ${db}`);
	await page.screenshot({ path: path.join(SHOTS, 'ui-desktop.png') });
});

test('tabs switch panels and follow the ARIA tabs pattern', T, async () => {
	const ids = ['looper', 'sampler', 'patch', 'transcribe', 'setup'];
	for (const id of ids) {
		await page.click(tid(`tab-${id}`));
		for (const other of ids) {
			const tab = page.locator(tid(`tab-${other}`));
			assert.equal(await tab.getAttribute('role'), 'tab');
			assert.equal(await tab.getAttribute('aria-selected'), String(other === id));
			const panel = page.locator(`#${await tab.getAttribute('aria-controls')}`);
			assert.equal(await panel.isVisible(), other === id, `panel of ${other}`);
		}
	}
	await page.focus(tid('tab-setup'));
	await page.keyboard.press('ArrowRight');
	assert.equal(await page.locator(tid('tab-looper')).getAttribute('aria-selected'), 'true');
	assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'tab-looper');
});

test('ping engine (in the Setup tab\'s diagnostics) shows a round trip', T, async () => {
	await page.click(tid('tab-setup'));
	assert.ok(await page.locator(tid('diagnostics')).isVisible(), 'no diagnostics in the Setup tab');
	await page.click(tid('ping-button'));
	const r = await waitAttr(page, 'ping-result', (a) => a.state === 'ok' || a.state === 'error',
		3000, 'ping result');
	assert.equal(r.state, 'ok', `ping failed: ${r.text}`);
	assert.match(r.text, /engine [\d.]+ (µs|ms)/);
});

test('phone layout: no sideways scroll, big touch targets, meters live', T, async () => {
	const phone = await openPage({ width: 390, height: 844 },
		{ isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
	try {
		await waitAttr(phone, 'conn-state', (a) => a.state === 'connected');
		await waitAttr(phone, 'meter-1', (a) => a.peak > 0.1);
		const m = await phone.evaluate(() => ({
			scroll: document.documentElement.scrollWidth,
			// Buttons on hidden tab panels have no box; each tab's own
			// test checks its buttons while it is shown.
			small: [...document.querySelectorAll('button')]
				.map((b) => ({ id: b.dataset.testid, r: b.getBoundingClientRect() }))
				.filter((b) => b.r.width > 0 && b.r.height > 0)
				.filter((b) => b.r.width < 44 || b.r.height < 44)
				.map((b) => `${b.id} ${b.r.width}x${b.r.height}`),
		}));
		assert.ok(m.scroll <= 390, `page is ${m.scroll} px wide on a 390 px screen`);
		assert.deepEqual(m.small, [], 'buttons under 44 px');
		// The play screen comes first: the looper's transport and grid are
		// on the first screen, the developer's ping is not.
		for (const id of ['transport-start', 'track-0-0', 'btn-record', 'btn-overdub', 'btn-undo', 'btn-mute', 'out-meter-L']) {
			const b = await phone.locator(tid(id)).boundingBox();
			assert.ok(b && b.y >= 0 && b.y + b.height <= 844, `${id} not on the first screen: ${JSON.stringify(b)}`);
		}
		assert.equal(await phone.locator(tid('ping-button')).isVisible(), false, 'ping on the play screen');
		// Meters lie flat on a narrow screen.
		const bar = await phone.locator(`${tid('meter-1')} .meter-bar`).boundingBox();
		assert.ok(bar.width > bar.height, `meter-1 bar ${bar.width}x${bar.height}`);
		await phone.screenshot({ path: path.join(SHOTS, 'ui-phone.png') });
	} finally {
		await phone.context().close();
	}
});

test('UI reconnects by itself after the server restarts', T, async () => {
	await s.killServer('SIGTERM');
	await waitAttr(page, 'conn-state', (a) => a.state === 'closed' && /offline/i.test(a.text),
		5000, 'server pill offline');
	assert.ok(await page.locator(tid('ping-button')).isDisabled(), 'ping enabled while offline');
	// Stay down long enough for a few failed attempts, so backoff is exercised.
	await sleep(1500);
	const t0 = Date.now();
	await s.startServer();
	// Backoff tops out at 4 s, so the UI must be back within that of the server.
	await waitAttr(page, 'conn-state', (a) => a.state === 'connected', 6000, 'server pill back');
	await waitAttr(page, 'engine-state', (a) => a.state === 'connected', 3000, 'engine pill back');
	await waitAttr(page, 'meter-1', (a) => a.peak > 0.1, 3000, 'meter-1 live again');
	console.log(`# UI reconnected ${Date.now() - t0} ms after the server restart began`);
	await page.click(tid('ping-button'));
	await waitAttr(page, 'ping-result', (a) => a.state === 'ok', 3000, 'ping after reconnect');
});

test('meter 1 falls back when the tone stops', T, async () => {
	await player.stop('SIGTERM');
	await waitAttr(page, 'meter-1', (a) => a.peak < 0.01, 5000, 'meter-1 back to silence');
});

test('engine pill follows the engine going away and coming back', T, async () => {
	await s.killEngine('SIGTERM');
	await waitAttr(page, 'engine-state', (a) => a.state === 'offline' && /offline/i.test(a.text),
		3000, 'engine pill offline');
	await waitAttr(page, 'conn-state', (a) => a.state === 'connected');
	await waitAttr(page, 'sample-rate', (a) => a.text === '\u2014', 1000, 'rate blanked');
	await s.startEngine();
	await waitAttr(page, 'engine-state', (a) => a.state === 'connected', 3000, 'engine pill back');
	await waitAttr(page, 'sample-rate', (a) => a.text === '48 kHz');
});
