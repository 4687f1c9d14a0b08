// Logging in from a phone, driven by headless Debian chromium at 390x844
// against a real stack: the join URL (token in the fragment) logs in and
// leaves the address bar clean, a reload stays logged in on the cookie, no
// token shows the login form, a rotation from the settings view logs every
// other browser out and shows the new join links.  Screenshots go to
// build/auth-login-phone.png and build/auth-settings-phone.png.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startStack } from '../lib/harness.js';
import { checkChromium, launchBrowser, closeAll, tid, waitAttr, SHOTS } from '../lib/browser.js';

const T = { timeout: 60000 };
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true,
	deviceScaleFactor: 2 };

let s;
let browser;
const pageErrors = [];
const cspViolations = [];

// A phone of its own (fresh cookies) at url.
async function phone(url) {
	const ctx = await browser.newContext(PHONE);
	const p = await ctx.newPage();
	p.on('pageerror', (e) => pageErrors.push(`phone: ${e.message}`));
	p.on('console', (m) => {
		if (/Content Security Policy/i.test(m.text()))
			cspViolations.push(m.text());
	});
	await p.goto(url);
	return p;
}

const authState = (p) => p.evaluate(() => document.body.dataset.auth);

async function waitLoggedIn(p, what) {
	await p.waitForFunction(() => document.body.dataset.auth === 'in', null, { timeout: 10000 });
	await waitAttr(p, 'conn-state', (a) => a.state === 'connected', 8000, `${what}: server pill`);
	assert.equal(await p.locator(tid('login')).isVisible(), false, `${what}: login form shown`);
}

async function waitLoginForm(p, what) {
	await p.waitForFunction(() => document.body.dataset.auth === 'out', null, { timeout: 10000 });
	assert.equal(await p.locator(tid('login')).isVisible(), true, `${what}: no login form`);
}

// Every visible button on the page at least 44 px each way.
async function smallButtons(p) {
	return p.evaluate(() => [...document.querySelectorAll('button')]
		.map((b) => ({ id: b.dataset.testid, r: b.getBoundingClientRect() }))
		.filter((b) => b.r.width > 0 && b.r.height > 0)
		.filter((b) => b.r.width < 44 || b.r.height < 44)
		.map((b) => `${b.id} ${b.r.width}x${b.r.height}`));
}

before(async () => {
	checkChromium();
	s = await startStack({ inputs: 2 });
	browser = await launchBrowser();
});

after(async () => {
	await closeAll(browser, s, pageErrors);
	assert.deepEqual(cspViolations, [], 'the page breaks its own Content-Security-Policy');
});

test('without a token the phone sees the login form, and a typed token logs it in', T, async () => {
	const p = await phone(s.base);
	try {
		await waitLoginForm(p, 'no token');
		assert.notEqual(await p.locator(tid('conn-state')).getAttribute('data-state'), 'connected');
		assert.deepEqual(await smallButtons(p), [], 'login buttons under 44 px');
		const scroll = await p.evaluate(() => document.documentElement.scrollWidth);
		assert.ok(scroll <= 390, `login page is ${scroll} px wide`);
		await p.screenshot({ path: path.join(SHOTS, 'auth-login-phone.png') });

		await p.fill(tid('login-token'), 'not-the-token-' + 'x'.repeat(40));
		await p.click(tid('login-submit'));
		await waitAttr(p, 'login-error', (a) => /wrong token/i.test(a.text), 5000, 'wrong token said');
		assert.equal(await authState(p), 'out');

		await p.fill(tid('login-token'), s.token);
		await p.click(tid('login-submit'));
		await waitLoggedIn(p, 'typed token');
		await waitAttr(p, 'engine-state', (a) => a.state === 'connected', 5000, 'engine pill');
	} finally {
		await p.context().close();
	}
});

test('the join URL logs in, leaves the address bar, and a reload stays logged in', T, async () => {
	const p = await phone(s.joinUrl);
	try {
		await waitLoggedIn(p, 'join URL');
		assert.doesNotMatch(p.url(), /token/, 'the token stays in the address bar');
		assert.doesNotMatch(await p.evaluate(() => document.cookie), /stagebox_session/,
			'the session cookie is readable from script');
		const cookies = await p.context().cookies();
		const c = cookies.find((x) => x.name === 'stagebox_session');
		assert.ok(c, 'no session cookie');
		assert.equal(c.httpOnly, true);
		assert.equal(c.sameSite, 'Strict');

		await p.reload();
		await waitLoggedIn(p, 'after a reload');
		assert.doesNotMatch(p.url(), /token/);
		await p.click(tid('tab-setup'));	// the diagnostics live there
		await p.click(tid('ping-button'));
		await waitAttr(p, 'ping-result', (a) => a.state === 'ok', 5000, 'ping over the cookie socket');
	} finally {
		await p.context().close();
	}
});

test('Rotate token in settings: new join links here, every other phone logged out', T, async () => {
	const old = s.token;
	const other = await phone(s.joinUrl);
	const p = await phone(s.joinUrl);
	try {
		await waitLoggedIn(other, 'other phone');
		await waitLoggedIn(p, 'this phone');
		await p.click(tid('settings-button'));
		assert.equal(await p.locator(tid('settings')).isVisible(), true);
		await p.click(tid('rotate-token'));
		assert.equal(await p.locator(tid('rotate-confirm')).isVisible(), true, 'no confirmation');
		assert.equal(s.token, old, 'rotated before the confirmation');
		await p.click(tid('rotate-no'));
		assert.equal(s.token, old, 'Cancel rotated');
		await p.click(tid('rotate-token'));
		await p.click(tid('rotate-yes'));
		await waitAttr(p, 'rotate-result', (a) => a.state === 'ok', 5000, 'rotation done');
		const fresh = s.token;
		assert.notEqual(fresh, old);
		const links = await p.locator(`${tid('join-urls')} code`).allTextContents();
		assert.ok(links.includes(`${s.base}/#token=${fresh}`), `join links: ${links}`);
		assert.deepEqual(await smallButtons(p), [], 'settings buttons under 44 px');
		await p.screenshot({ path: path.join(SHOTS, 'auth-settings-phone.png') });
		await p.click(tid('settings-close'));

		// this phone got a fresh cookie with the reply and comes back by itself
		await waitAttr(p, 'conn-state', (a) => a.state === 'connected', 8000, 'this phone back');
		await p.reload();
		await waitLoggedIn(p, 'this phone after a reload');
		// the other one is out: its socket was closed and its cookie is stale
		await waitLoginForm(other, 'other phone after the rotation');
		// and the old link no longer works
		const stale = await phone(`${s.base}/#token=${old}`);
		try {
			await waitLoginForm(stale, 'old join link');
			await waitAttr(stale, 'login-error', (a) => /no longer valid/.test(a.text), 3000,
				'stale link explained');
		} finally {
			await stale.context().close();
		}
		// the new link works on the other phone without a reload
		await other.goto(`${s.base}/#token=${fresh}`);
		await waitLoggedIn(other, 'other phone with the new link');
	} finally {
		await other.context().close();
		await p.context().close();
	}
});

test('Log out in settings shows the login form again', T, async () => {
	const p = await phone(s.joinUrl);
	try {
		await waitLoggedIn(p, 'join URL');
		await p.click(tid('settings-button'));
		await p.click(tid('logout'));
		await waitLoginForm(p, 'after logout');
		assert.equal((await p.context().cookies()).some((c) => c.name === 'stagebox_session'), false);
	} finally {
		await p.context().close();
	}
});
