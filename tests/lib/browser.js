// browser.js - the plumbing every browser test shares: which chromium to
// drive and how to launch it, opening a page that records its uncaught
// errors, reading and polling data-testid elements, and the teardown that
// fails the file when any page threw.
//
// Typical use in a test file:
//   before: checkChromium(); s = await startStack(...);
//           browser = await launchBrowser();
//           openPage = pageOpener(browser, `${s.base}/#looper`, pageErrors, s);
//   after:  await closeAll(browser, s, pageErrors);

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT, sleep } from './harness.js';

// Debian's chromium unless SB_CHROMIUM names another binary.
export const CHROMIUM = process.env.SB_CHROMIUM || '/usr/bin/chromium';

// Where tests write their screenshots.
export const SHOTS = path.join(ROOT, 'build');

// Quiet flags: no sandbox (tests may run as root), no GPU, and nothing
// that phones home or updates itself in the middle of a run.
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
	'--disable-background-networking', '--disable-component-update', '--disable-sync'];

// Called before the stack starts, so a missing browser fails fast.
export function checkChromium() {
	assert.ok(fs.existsSync(CHROMIUM), `chromium not found at ${CHROMIUM} (set SB_CHROMIUM)`);
}

// launch() gives every run a fresh temporary profile.  SHOTS is made here
// so that any test holding a browser can screenshot into it.
export async function launchBrowser() {
	const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
	fs.mkdirSync(SHOTS, { recursive: true });
	return browser;
}

// Log page p in the way a phone joins: open the stack's join URL (the token
// in the fragment), wait until the UI says it is logged in and the token is
// out of the address bar.  The session cookie stays in p's context.
export async function joinPage(p, stack) {
	await p.goto(stack.joinUrl);
	await p.waitForFunction(() => document.body.dataset.auth === 'in' &&
		!location.href.includes('token='), null, { timeout: 10000 });
}

// openPage(viewport, extra) for one browser and URL: a page in a context of
// its own, its uncaught errors pushed to pageErrors tagged by width.  With a
// stack, the page logs in through the join URL first (joinPage).
export function pageOpener(browser, url, pageErrors, stack) {
	return async (viewport, extra = {}) => {
		const ctx = await browser.newContext({ viewport, ...extra });
		const p = await ctx.newPage();
		p.on('pageerror', (e) => pageErrors.push(`${viewport.width}px: ${e.message}`));
		if (stack)
			await joinPage(p, stack);
		await p.goto(url);
		return p;
	};
}

// For after(): close the browser, stop the stack, then fail if any page threw.
export async function closeAll(browser, stack, pageErrors) {
	if (browser)
		await browser.close();
	if (stack)
		await stack.stop();
	assert.deepEqual(pageErrors, [], 'uncaught errors in the page');
}

export const tid = (id) => `[data-testid="${id}"]`;

// Every data-* attribute of a data-testid element (as strings), plus its
// text, whether it is hidden, and whether it or its fieldset is disabled.
export function readAttrs(p, id) {
	return p.locator(tid(id)).evaluate((el) => ({
		...el.dataset,
		hidden: el.hidden,
		text: el.textContent.replace(/\s+/g, ' ').trim(),
		disabled: el.disabled === true || el.closest('fieldset')?.disabled === true,
	}));
}

// Poll readAttrs(p, id) every `every` ms until pred(attrs) holds and return
// those attrs; after ms throw, naming `what` and the last attrs seen, plus
// what news(p) says (a tab's own explanation) when news is given.
export async function waitAttr(p, id, pred, ms = 5000, what = id, { every = 30, news } = {}) {
	const end = Date.now() + ms;
	let last;
	for (;;) {
		last = await readAttrs(p, id).catch((e) => ({ error: e.message }));
		if (!last.error && pred(last))
			return last;
		if (Date.now() > end) {
			const extra = news ? `; page ${await news(p)}` : '';
			throw new Error(`timed out after ${ms} ms waiting for ${what}; last ${JSON.stringify(last)}${extra}`);
		}
		await sleep(every);
	}
}
