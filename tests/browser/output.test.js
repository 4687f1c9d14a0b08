// output.test.js - the main output strip in the header (static/js/output.js)
// against a real stack, in headless Debian chromium, at 1280x800 and at
// phone size 390x844: the volume slider, its readout, mute and the
// over/limit indicator are on screen; moving the slider (mouse, keys,
// touch) changes the engine's master volume in the status; a patch 60 dB
// too hot lights OVER in red and the output meters turn red, a quiet one
// clears it; NaN/inf on an input lights that meter's clip lamp instead of
// showing silence.  Screenshots go to build/output-desktop.png and
// build/output-phone.png.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startStack } from '../lib/harness.js';
import { checkChromium, launchBrowser, pageOpener, closeAll, tid, readAttrs, waitAttr, SHOTS }
	from '../lib/browser.js';
import { sine, writeWav } from '../lib/wav.js';

const T = { timeout: 60000 };
const HOT = 'osc = sine(freq: 440)\nosc.out * 1000 -> out.left, out.right\n';
const QUIET = 'osc = sine(freq: 440)\nosc.out * 0.25 -> out.left, out.right\n';
const CONTROLS = ['output-strip', 'out-volume', 'out-volume-db', 'out-over', 'out-mute',
	'out-meter-L', 'out-meter-R'];

let s;
let browser;
let page;
let openPage;
const pageErrors = [];

async function putPatch(text) {
	const r = await s.api('PUT', '/api/v1/patch', text, { 'Content-Type': 'text/plain' });
	assert.equal(r.status, 200, r.text);
}

// Every control has a box and that box lies inside the viewport.
async function assertOnScreen(p, what) {
	const vp = p.viewportSize();
	for (const id of CONTROLS) {
		const b = await p.locator(tid(id)).boundingBox();
		assert.ok(b && b.width > 0 && b.height > 0, `${what}: ${id} has no box`);
		assert.ok(b.x >= 0 && b.y >= 0 && b.x + b.width <= vp.width && b.y + b.height <= vp.height,
			`${what}: ${id} at ${JSON.stringify(b)} outside ${vp.width}x${vp.height}`);
	}
}

const sliderValue = (p) => p.locator(tid('out-volume')).evaluate((e) => Number(e.value));

// The engine's volume (status) reaches the slider's value.
async function engineFollows(p, what) {
	const v = await sliderValue(p);
	await s.waitFor(async () => (await s.status()).output.volume_db === v, 3000,
		`${what}: status volume_db ${v}`);
	const r = await readAttrs(p, 'out-volume-db');
	assert.equal(r.text.replace('\u2212', '-'), `${v > 0 ? '+' : ''}${v.toFixed(1)} dB`);
	return v;
}

before(async () => {
	checkChromium();
	s = await startStack({ inputs: 2 });
	browser = await launchBrowser();
	openPage = pageOpener(browser, s.base, pageErrors, s);
	page = await openPage({ width: 1280, height: 800 });
});

after(() => closeAll(browser, s, pageErrors));

test('desktop: the strip is on screen and the slider sets the master volume', T, async () => {
	await waitAttr(page, 'out-over', (a) => a.state === 'ok' && a.text === 'OK', 5000, 'indicator OK');
	await assertOnScreen(page, '1280x800');
	// a click at a quarter of the track
	const box = await page.locator(tid('out-volume')).boundingBox();
	await page.mouse.click(box.x + box.width * 0.25, box.y + box.height / 2);
	const v = await engineFollows(page, 'mouse');
	assert.ok(v < -20, `a quarter of -60..+6 is about -43 dB, got ${v}`);
	// keys: four steps of 0.5 dB up
	await page.focus(tid('out-volume'));
	for (let i = 0; i < 4; i++)
		await page.keyboard.press('ArrowRight');
	assert.equal(await engineFollows(page, 'keys'), v + 2);
});

test('desktop: a hot patch lights OVER in red, a quiet one clears it', T, async () => {
	await s.cmd('output.set_volume', { db: 0 });
	await putPatch(HOT);
	const f = await waitAttr(page, 'out-over', (a) => a.state === 'over', 5000, 'indicator OVER');
	assert.equal(f.text, 'OVER');
	const bg = await page.locator(tid('out-over')).evaluate((e) => getComputedStyle(e).backgroundColor);
	assert.equal(bg, 'rgb(255, 90, 95)', 'OVER is red');
	for (const n of ['L', 'R']) {
		const m = await waitAttr(page, `out-meter-${n}`, (a) => a.over === 'true', 3000, `meter ${n} over`);
		assert.ok(Number(m.peak) > 0.9 && Number(m.peak) <= 1, `meter ${n} at ${m.peak}`);
		assert.ok(await page.locator(tid(`out-meter-${n}`)).evaluate((e) => e.classList.contains('hot')));
	}
	await page.screenshot({ path: path.join(SHOTS, 'output-desktop.png') });
	await putPatch(QUIET);
	await waitAttr(page, 'out-over', (a) => a.state === 'ok', 5000, 'indicator back to OK');
	await waitAttr(page, 'out-meter-L', (a) => a.over === 'false' && Number(a.peak) < 0.3, 5000,
		'meter L back to the quiet level');
	assert.equal(await page.locator(tid('out-meter-L')).evaluate((e) => e.classList.contains('hot')), false,
		'a -12 dBFS meter is not red');
});

test('desktop: mute and unmute from the button', T, async () => {
	await page.click(tid('out-mute'));
	await waitAttr(page, 'out-mute', (a) => a.text === 'Muted', 3000, 'button says Muted');
	assert.equal((await s.status()).output.muted, true);
	assert.equal(await page.locator(tid('out-mute')).getAttribute('aria-pressed'), 'true');
	await page.click(tid('out-mute'));
	await waitAttr(page, 'out-mute', (a) => a.text === 'Mute', 3000, 'button says Mute');
	assert.equal((await s.status()).output.muted, false);
});

test('NaN and inf on an input light its clip lamp, never silence', T, async () => {
	const frames = 24000;
	const L = sine(440, 0.5, frames);
	for (let i = 0; i < frames; i += 100) {
		L[i] = NaN;
		L[i + 50] = -Infinity;
	}
	const file = path.join(s.dir, 'nonfinite.wav');
	writeWav(file, { sampleRate: 48000, channels: [L, new Float32Array(frames)] });
	const p = await s.client('sb-player', ['--file', file, '--loop', '--connect', 'stagebox:in_1']);
	try {
		const m = await waitAttr(page, 'meter-1', (a) => Number(a.peak) > 0.9, 5000, 'meter 1 full scale');
		assert.ok(Number(m.peak) <= 1, `meter 1 at ${m.peak}`);
		assert.ok(await page.locator(tid('meter-1')).evaluate((e) => e.classList.contains('clipping')),
			'clip lamp lit');
	} finally {
		await p.stop('SIGTERM');
	}
	await waitAttr(page, 'meter-1', (a) => Number(a.peak) < 0.01, 5000, 'meter 1 falls back');
});

test('phone 390x844: the strip fits, the slider works by touch', T, async () => {
	const phone = await openPage({ width: 390, height: 844 },
		{ isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
	try {
		await waitAttr(phone, 'out-over', (a) => a.state === 'ok', 5000, 'indicator OK');
		await assertOnScreen(phone, '390x844');
		const m = await phone.evaluate(() => ({
			scroll: document.documentElement.scrollWidth,
			mute: document.querySelector('[data-testid="out-mute"]').getBoundingClientRect().toJSON(),
			slider: document.querySelector('[data-testid="out-volume"]').getBoundingClientRect().toJSON(),
		}));
		assert.ok(m.scroll <= 390, `page is ${m.scroll} px wide on a 390 px screen`);
		assert.ok(m.mute.width >= 44 && m.mute.height >= 44, `mute ${m.mute.width}x${m.mute.height}`);
		assert.ok(m.slider.height >= 44 && m.slider.width >= 150, `slider ${m.slider.width}x${m.slider.height}`);
		await phone.tap(tid('out-volume'), { position: { x: m.slider.width * 0.8, y: m.slider.height / 2 } });
		const v = await engineFollows(phone, 'touch');
		assert.ok(v > -20, `four fifths of -60..+6 is about -7 dB, got ${v}`);
		await putPatch(HOT);
		await waitAttr(phone, 'out-over', (a) => a.state === 'over', 5000, 'phone: indicator OVER');
		await assertOnScreen(phone, '390x844 over');
		await phone.screenshot({ path: path.join(SHOTS, 'output-phone.png') });
		await putPatch(QUIET);
	} finally {
		await phone.context().close();
	}
});
