// routing.test.js - the Routing tab at phone and laptop size: the engine's
// ports with their JACK connections, connecting and disconnecting by tap,
// and a connection made by hand in JACK showing up.
// Screenshots: build/routing-phone.png, build/routing-desktop.png.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { startStack } from '../lib/harness.js';
import { checkChromium, launchBrowser, pageOpener, closeAll, tid, SHOTS } from '../lib/browser.js';

const T = { timeout: 60000 };
let s;
let browser;
let openPage;
const pageErrors = [];

before(async () => {
	checkChromium();
	s = await startStack({ inputs: 2 });
	browser = await launchBrowser();
	openPage = pageOpener(browser, `${s.base}/#setup`, pageErrors, s);
});

after(() => closeAll(browser, s, pageErrors));

// The chips of one engine port, as text.
function chips(page, port) {
	return page.locator(`${tid('route-port')}[data-port="${port}"] ${tid('route-chip')}`).evaluateAll(
		(els) => els.map((e) => e.dataset.other));
}

async function inViewport(page, sel, vp) {
	const box = await page.locator(sel).first().boundingBox();
	assert.ok(box, `${sel} not rendered`);
	assert.ok(box.x >= 0 && box.y >= 0 && box.x + box.width <= vp.width,
		`${sel} outside the viewport: ${JSON.stringify(box)}`);
}

test('phone: every role is shown with its connections; tap to connect and disconnect', T, async () => {
	const vp = { width: 390, height: 844 };
	const page = await openPage(vp, { isMobile: true, hasTouch: true });
	await page.waitForSelector(`${tid('route-port')}[data-port="stagebox:out_L"]`);
	for (const g of ['inputs', 'outputs', 'click', 'midi_in', 'midi_out'])
		assert.equal(await page.locator(tid(`route-${g}`)).count(), 1, `no ${g} card`);
	assert.deepEqual(await chips(page, 'stagebox:out_L'), ['system:playback_1']);
	assert.deepEqual(await chips(page, 'stagebox:click'), []);
	await inViewport(page, tid('route-inputs'), vp);

	// connect the click to playback 2 with the picker
	await page.locator(`${tid('route-pick')}[data-port="stagebox:click"]`).selectOption('system:playback_2');
	await page.waitForFunction(() => document.querySelector(
		'[data-testid="route-port"][data-port="stagebox:click"] [data-testid="route-chip"]'));
	assert.deepEqual(await chips(page, 'stagebox:click'), ['system:playback_2']);
	const lsp = spawnSync('jack_lsp', ['-c'], { env: s.env, encoding: 'utf8' }).stdout;
	assert.match(lsp, /stagebox:click\n\s+system:playback_2/);
	await page.locator(`${tid('route-port')}[data-port="stagebox:click"]`).scrollIntoViewIfNeeded();
	await page.screenshot({ path: path.join(SHOTS, 'routing-phone.png'), fullPage: false });

	// tap the chip to disconnect
	await page.locator(`${tid('route-port')}[data-port="stagebox:click"] ${tid('route-chip')}`).tap();
	await page.waitForFunction(() => !document.querySelector(
		'[data-testid="route-port"][data-port="stagebox:click"] [data-testid="route-chip"]'));
	await page.context().close();
});

test('laptop: a connection made by hand in JACK shows up after Refresh', T, async () => {
	const vp = { width: 1280, height: 800 };
	const page = await openPage(vp);
	await page.waitForSelector(`${tid('route-port')}[data-port="stagebox:in_1"]`);
	spawnSync('jack_connect', ['system:capture_2', 'stagebox:in_1'], { env: s.env });
	await page.locator(tid('route-refresh')).click();
	await page.waitForFunction(() => document.querySelectorAll(
		'[data-testid="route-port"][data-port="stagebox:in_1"] [data-testid="route-chip"]').length === 2);
	assert.deepEqual((await chips(page, 'stagebox:in_1')).sort(), ['system:capture_1', 'system:capture_2']);
	for (const g of ['inputs', 'outputs', 'click'])
		await inViewport(page, tid(`route-${g}`), vp);
	await page.screenshot({ path: path.join(SHOTS, 'routing-desktop.png') });
	await page.context().close();
});
