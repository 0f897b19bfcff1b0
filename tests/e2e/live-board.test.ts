// The supervisors' live board end to end: Debian's Chromium on the built web app, served by the real
// service attached to the sandbox Asterisk. Real calls: a client of anna's calls and talks with her phone
// (101, auto-answer) while another caller waits on 198 (which never answers). The supervisor's page shows
// who talks with whom and for how long (the duration runs), the waiting call, the phones' states, then
// the end of both calls and today's counters moving. A manager has no link to it and gets no access.
// Set CTI_E2E_SCREENSHOTS=docs to refresh docs/live-board.png.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { closeSandbox, inboundCall, sandboxAmi } from '../support/sandbox.js';
import { api, loggedCall, newDbFile, startService, type ServiceProcess } from '../support/service.js';
import { launchChromium, login, newUserContext, pageFetchStatus, screenshotPath, seedLoginUser } from '../support/browser.js';

const PASSWORD = 'correct horse battery';
const RUN = String(Math.floor(Math.random() * 900) + 100);
const CLIENT = `+7925${RUN}0001`;
const WAITING = `+7925${RUN}0002`;

let svc: ServiceProcess | null = null;
let admin: string;
let browser: Browser;
let ctxS: BrowserContext;
let ctxM: BrowserContext;
let page: Page;

/** Seconds shown in a duration cell ("1:05" -> 65). */
const seconds = (text: string) => text.replace(/[^\d:]/g, '').split(':').filter(Boolean).reduce((a, p) => a * 60 + Number(p), 0);

async function counter(p: Page, which: 'calls' | 'answered' | 'missed'): Promise<number> {
  return Number(await p.getByTestId('live-counters-total').getByTestId(`counter-${which}`).innerText());
}

beforeAll(async () => {
  await sandboxAmi();
  const dbFile = newDbFile();
  admin = (await seedLoginUser(dbFile, 'root', 'admin', { password: PASSWORD })).token;
  await seedLoginUser(dbFile, 'sveta', 'supervisor', { password: PASSWORD, language: 'en' });
  await seedLoginUser(dbFile, 'anna', 'manager', { extension: '101', password: PASSWORD, language: 'en' });
  await seedLoginUser(dbFile, 'boris', 'manager', { extension: '102', password: PASSWORD, language: 'ru' });
  await seedLoginUser(dbFile, 'sleepy', 'manager', { extension: '198', password: PASSWORD, language: 'en' });
  svc = await startService({ dbFile, rules: { defaultTarget: { extension: '101' }, managerRingSeconds: 8, targetRingSeconds: 8, tiers: [] } });
  const h = { authorization: `Bearer ${admin}`, 'content-type': 'application/json' };
  const c = await api(svc, '/api/v1/clients', admin, { method: 'POST', headers: h, body: JSON.stringify({ kind: 'company', name: 'Northwind Trading', ownerName: 'anna' }) });
  expect(c.status).toBe(201);
  const ct = await api(svc, '/api/v1/contacts', admin, {
    method: 'POST', headers: h, body: JSON.stringify({ clientId: c.body.id, name: 'Ivan Petrov', phones: [{ number: CLIENT, label: 'mobile' }] }),
  });
  expect(ct.status).toBe(201);
  browser = await launchChromium();
  ctxS = await newUserContext(browser);
  ctxM = await newUserContext(browser);
});

afterAll(async () => {
  await browser?.close();
  await svc?.stop();
  await closeSandbox();
});

describe("the supervisors' live board", () => {
  it('a supervisor opens it from the menu: every phone with its state, nothing in progress', async () => {
    page = await login(ctxS, svc!.url, 'sveta', PASSWORD);
    await page.getByRole('link', { name: 'Live board' }).click();
    await page.getByTestId('live-board').waitFor();
    const anna = page.locator('[data-testid="live-manager"][data-extension="101"]');
    await expect.poll(() => anna.getAttribute('data-state'), { timeout: 10_000 }).toBe('available');
    expect(await anna.innerText()).toContain('anna');
    expect(await page.locator('[data-testid="live-manager"][data-extension="198"]').getAttribute('data-state')).toBe('available');
    await page.getByText('No calls in progress.').waitFor();
  });

  it('shows a real call in progress (manager, other party, a running duration), a waiting call, then their end; the counters move', async () => {
    const callsBefore = await counter(page, 'calls');
    const answeredBefore = await counter(page, 'answered');
    const missedBefore = await counter(page, 'missed');

    const talk = await inboundCall({ from: CLIENT, did: '74950000000', talkSeconds: 9, timeoutSeconds: 40 });
    const row = page.getByTestId('live-call-row');
    await row.first().waitFor({ timeout: 10_000 });
    await expect.poll(() => row.first().getAttribute('data-state'), { timeout: 10_000 }).toBe('talking');
    expect(await row.first().getByTestId('live-call-manager').innerText()).toBe('anna · 101');
    // The contact's and client's names are read from the database as the call is matched: they follow
    // the number within moments.
    await expect.poll(() => row.first().getByTestId('live-call-party').innerText(), { timeout: 5_000 }).toContain('Ivan Petrov');
    const party = await row.first().getByTestId('live-call-party').innerText();
    expect(party).toContain('Northwind Trading');
    expect(party).toContain(CLIENT);
    await expect.poll(() => page.locator('[data-testid="live-manager"][data-extension="101"]').getAttribute('data-state')).toBe('talking');

    // A second caller waits on 198, which rings and never answers.
    const wait = await inboundCall({ from: WAITING, did: '8005550198', timeoutSeconds: 30 });
    const waitingRow = page.getByTestId('live-waiting-row').filter({ hasText: WAITING });
    await waitingRow.first().waitFor({ timeout: 10_000 });
    expect(await waitingRow.first().getByTestId('live-call-party').innerText()).toContain(WAITING);
    // Named as soon as routing rings 198 (the row may show a moment earlier, when the call is marked).
    await expect.poll(() => waitingRow.first().getByTestId('live-call-manager').innerText(), { timeout: 10_000 }).toBe('sleepy · 198');
    await expect.poll(() => page.locator('[data-testid="live-manager"][data-extension="198"]').getAttribute('data-state')).toBe('ringing');

    // The durations run on the page by themselves (the page ticks once a second).
    const duration = (r: typeof row) => r.first().getByTestId('live-call-duration').innerText().then(seconds);
    const d1 = await duration(row);
    const w1 = await duration(waitingRow);
    await expect.poll(() => duration(row), { timeout: 5000 }).toBeGreaterThanOrEqual(d1 + 2);
    await expect.poll(() => duration(waitingRow), { timeout: 5000 }).toBeGreaterThanOrEqual(w1 + 2);
    const shot = screenshotPath('live-board.png');
    if (shot) await page.screenshot({ path: shot, fullPage: true });

    // Both end: the client hangs up after 9 s of talk; 198 rings out (the sandbox's ring timeout).
    const logged = await loggedCall(svc!, admin, talk.linkedid, 30_000);
    await loggedCall(svc!, admin, wait.linkedid, 30_000);
    await page.getByText('No calls in progress.').waitFor({ timeout: 10_000 });
    await page.getByText('Nobody is waiting.').waitFor({ timeout: 10_000 });
    await expect.poll(() => page.locator('[data-testid="live-manager"][data-extension="101"]').getAttribute('data-state')).toBe('available');
    await expect.poll(() => counter(page, 'calls'), { timeout: 10_000 }).toBe(callsBefore + 2);
    expect(await counter(page, 'answered')).toBe(answeredBefore + 1);
    expect(await counter(page, 'missed')).toBe(missedBefore + 1);
    const annaRow = page.locator('[data-testid="live-counters-row"][data-extension="101"]');
    expect(Number(await annaRow.getByTestId('counter-answered').innerText())).toBeGreaterThanOrEqual(1);
    expect(seconds(await annaRow.getByTestId('counter-talk').innerText())).toBeGreaterThanOrEqual(logged.talkSeconds);
  });

  it('a manager has no link to it, and opening it says "no access" (the API says 403)', async () => {
    const m = await login(ctxM, svc!.url, 'anna', PASSWORD);
    await m.getByRole('link', { name: 'Calls' }).waitFor();
    expect(await m.getByRole('link', { name: 'Live board' }).count()).toBe(0);
    await m.goto(`${svc!.url}/#/live`);
    await m.getByRole('alert').waitFor();
    expect(await m.getByRole('alert').innerText()).toBe('Only supervisors and administrators may open this page. Ask one of them if you need it.');
    expect(await m.getByTestId('live-board').count()).toBe(0);
    expect(await pageFetchStatus(m, '/api/v1/live')).toBe(403);
  });
});
