// The Content-Security-Policy fits the app: in real Chromium, the login page, every page of the
// navigation (socket.io, Chart.js on the reports, a recording playing, the browser phone opening its SIP
// websocket) and the Swagger UI at /api/docs load with no policy violation. Needs the built web app
// (`npm run build`), not the PBX: the service runs in this process without a PBX connection.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { CallStore } from '../../src/calls/store.js';
import { addUser } from '../../src/users/users.js';
import { launchChromium } from '../support/browser.js';
import { PROJECT_ROOT } from '../support/sandbox.js';
import { testApp, type TestApp } from '../support/app.js';
import { wav } from '../support/wav.js';
import { freePort } from '../support/ports.js';

const PASSWORD = 'correct horse battery';
let t: TestApp;
let base: string;
let browser: Browser;
let ctx: BrowserContext;
/** Every violation and CSP console message of every page, as "where: what". */
const violations: string[] = [];

function watch(page: Page, where: string): Page {
  page.on('console', (m) => {
    if (/Content[- ]Security[- ]Policy|Refused to/i.test(m.text())) violations.push(`${where}: console: ${m.text()}`);
  });
  page.on('pageerror', (e) => violations.push(`${where}: page error: ${e.message}`));
  return page;
}

async function seen(page: Page, where: string): Promise<void> {
  const list = await page.evaluate(() => (window as unknown as { __csp?: string[] }).__csp ?? []);
  violations.push(...list.map((v) => `${where}: ${v}`));
}

beforeAll(async () => {
  // The SIP websocket goes nowhere (no PBX): the phone's attempt must still be allowed by connect-src.
  // The page's address is the service's public address (CTI_PUBLIC_URL's default), or its socket is refused.
  const port = await freePort();
  t = await testApp({
    CTI_WEB_DIR: join(PROJECT_ROOT, 'web/dist'), CTI_HTTP_PORT: String(port),
    CTI_SIP_SECRET: 'a-test-secret-of-enough-length', CTI_SOFTPHONE_WS_URL: `ws://127.0.0.1:${await freePort()}/ws`,
  });
  await addUser(t.app.db, { name: 'adm', role: 'admin', extension: '101', phoneMode: 'browser', password: PASSWORD, language: 'en' });
  mkdirSync(t.config.CTI_RECORDINGS_DIR, { recursive: true });
  writeFileSync(join(t.config.CTI_RECORDINGS_DIR, 'L1.wav'), wav(2));
  const now = Date.now();
  await new CallStore(t.app.db).save('c1', {
    linkedId: 'L1', mergedLinkedIds: [], state: 'ended', source: 'ami', needsCdr: false, direction: 'inbound', origin: null, contactId: null,
    clientId: null, routedBy: null, externalNumber: '+79161234567', extension: '101', startedAt: now - 60_000, answeredAt: now - 55_000,
    endedAt: now - 50_000, ringMs: 5000, talkMs: 5000, disposition: 'answered', hangupCause: null, recordingFile: '/x/L1.wav', legs: [],
  });
  await t.app.listen({ host: '127.0.0.1', port });
  base = `http://127.0.0.1:${port}`;
  browser = await launchChromium();
  ctx = await browser.newContext({ locale: 'en-GB', timezoneId: 'Europe/Moscow' });
  await ctx.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      w.__csp.push(`violation: ${e.violatedDirective} blocked ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`);
    });
  });
});

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

describe('Content-Security-Policy in Chromium', () => {
  it('the login page, every page of the app, a recording, the browser phone and /api/docs run without a violation', async () => {
    const page = watch(await ctx.newPage(), 'app');
    await page.goto(`${base}/`);
    await page.getByTestId('login-username').waitFor();
    await seen(page, 'login');
    await page.getByTestId('login-username').fill('adm');
    await page.getByTestId('login-password').fill(PASSWORD);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('logout').waitFor({ timeout: 10_000 });
    await page.waitForSelector('body[data-realtime="connected"]', { timeout: 10_000 }); // socket.io over ws:
    for (const route of ['/contacts', '/tasks', '/users', '/routing', '/live', '/reports', '/calls']) {
      await page.goto(`${base}/#${route}`);
      await page.waitForLoadState('networkidle');
      if (route === '/reports') await page.locator('canvas').first().waitFor({ timeout: 10_000 }); // Chart.js
      await seen(page, route);
    }
    // The recording plays in the page (media-src).
    const player = page.getByTestId('recording-player').first();
    await player.waitFor();
    const played = await player.evaluate(async (el) => {
      const a = el as HTMLAudioElement;
      a.muted = true;
      await a.play();
      return a.duration > 0;
    });
    expect(played).toBe(true);
    // The browser phone tried its SIP websocket (connect-src); with no PBX it reports it is offline.
    await page.waitForTimeout(1500);
    await seen(page, 'calls + phone');

    const docs = watch(await ctx.newPage(), 'docs');
    await docs.goto(`${base}/api/docs`);
    await docs.locator('.swagger-ui .info').waitFor({ timeout: 15_000 });
    await docs.locator('.opblock').first().waitFor();
    await seen(docs, '/api/docs');

    expect(violations).toEqual([]);
  });
});
