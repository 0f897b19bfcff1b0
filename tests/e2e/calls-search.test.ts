// The calls list as a head of sales uses it (issue 11, item 6), in Debian's Chromium on the built web app
// served by the real service: every row names the contact and client beside the number (or says the
// number is not in the contacts) and the manager by name with the extension; a supervisor searches by a
// client's name and by a number written another way, and filters by a manager, and sees exactly the
// right rows; a manager gets no search box or manager filter, and only their own calls.
// Calls are written straight into the service's database (as the call log writes them), so the rows
// are known; the sandbox Asterisk is there because the service needs its PBX to start.
// Set CTI_E2E_SCREENSHOTS=/some/dir for screenshots in English and Russian.
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { CallStore } from '../../src/calls/store.js';
import type { CallRecord } from '../../src/calls/model.js';
import { openTestDb } from '../support/database.js';
import { api, newDbFile, startService, type ServiceProcess } from '../support/service.js';
import { launchChromium, login, screenshotPath, seedLoginUser } from '../support/browser.js';

const PASSWORD = 'correct horse battery';
// Numbers of this run only: a fresh database imports the sandbox CDR's earlier calls at start.
const RUN = String(Math.floor(Math.random() * 900) + 100);
const e164 = (n: number) => `+7925${RUN}${String(n).padStart(4, '0')}`;
/** The same number as a Russian caller writes it: 8 (925) 123-00-01. */
/** As the calls list shows it: +7 925 123-00-01. */
const shown = (n: number) => { const d = e164(n).slice(2); return `+7 ${d.slice(0, 3)} ${d.slice(3, 6)}-${d.slice(6, 8)}-${d.slice(8)}`; };
const written = (n: number) => { const d = e164(n).slice(2); return `8 (${d.slice(0, 3)}) ${d.slice(3, 6)}-${d.slice(6, 8)}-${d.slice(8)}`; };

let svc: ServiceProcess;
let sveta: string;
let browser: Browser;
let ctx: BrowserContext;
let page: Page;
const ids: Record<string, string> = {};

function record(over: Partial<CallRecord> & { linkedId: string; extension: string; startedAt: number }): CallRecord {
  const s = over.startedAt;
  return {
    mergedLinkedIds: [], state: 'ended', source: 'ami', needsCdr: false, direction: 'inbound', origin: null, contactId: null, clientId: null, routedBy: null,
    externalNumber: e164(1), answeredAt: s + 4000, endedAt: s + 94_000, ringMs: 4000, talkMs: 90_000, disposition: 'answered',
    hangupCause: null, recordingFile: null, legs: [], ...over,
  };
}

async function post(path: string, body: object): Promise<string> {
  const r = await api(svc, path, sveta, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.id;
}

async function shot(p: Page, name: string): Promise<void> {
  const path = screenshotPath(name);
  if (path) await p.screenshot({ path, fullPage: true });
}

const rows = (p: Page) => p.locator('[data-testid="call-row"]');
/** The linkedids of the rows shown, once the list has settled on exactly `expected` (order kept). */
async function shownLinkedIds(p: Page): Promise<string[]> {
  return rows(p).evaluateAll((els) => els.map((e) => e.getAttribute('data-linked-id') ?? ''));
}

beforeAll(async () => {
  const dbFile = newDbFile();
  sveta = (await seedLoginUser(dbFile, 'sveta', 'supervisor', { password: PASSWORD, language: 'en' })).token;
  ids['anna'] = (await seedLoginUser(dbFile, 'anna', 'manager', { extension: '101', password: PASSWORD, language: 'en' })).id;
  ids['boris'] = (await seedLoginUser(dbFile, 'boris', 'manager', { extension: '102', password: PASSWORD, language: 'en' })).id;
  // Its rows are seeded, not placed: an empty CDR file keeps out the sandbox's calls of earlier tests, which
  // are newer and would push these off the list's first page in a full run.
  const cdrFile = `${dbFile}.cdr.csv`;
  writeFileSync(cdrFile, '');
  svc = await startService({ dbFile, env: { CTI_CEL_FILE: cdrFile } });
  const romashka = await post('/api/v1/clients', { name: `ООО «Ромашка» ${RUN}`, ownerId: ids['anna'], turnover: 250000, currency: 'RUB' });
  const ivan = await post('/api/v1/contacts', { clientId: romashka, name: 'Иван Петров', phones: [{ number: e164(1) }] });
  const north = await post('/api/v1/clients', { name: `Northwind ${RUN}`, ownerId: ids['boris'] });
  const john = await post('/api/v1/contacts', { clientId: north, name: 'John Smith', phones: [{ number: e164(2) }] });
  const now = Date.now();
  const h = await openTestDb(dbFile);
  try {
    const store = new CallStore(h.db);
    await store.save(`r1-${RUN}`, record({ linkedId: `R1-${RUN}`, extension: '101', startedAt: now - 50 * 60_000, contactId: ivan, clientId: romashka }));
    // Ромашка's call that boris took (anna was away).
    await store.save(`r2-${RUN}`, record({ linkedId: `R2-${RUN}`, extension: '102', startedAt: now - 40 * 60_000, contactId: ivan, clientId: romashka }));
    await store.save(`n1-${RUN}`, record({ linkedId: `N1-${RUN}`, extension: '102', startedAt: now - 30 * 60_000, externalNumber: e164(2), contactId: john, clientId: north }));
    // A number in nobody's contacts, missed on anna's phone.
    await store.save(`u1-${RUN}`, record({
      linkedId: `U1-${RUN}`, extension: '101', startedAt: now - 20 * 60_000, externalNumber: e164(3), answeredAt: null, talkMs: 0, disposition: 'no_answer', endedAt: now - 20 * 60_000 + 15_000,
    }));
  } finally {
    await h.close();
  }
  browser = await launchChromium();
  ctx = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'en-GB', timezoneId: 'Europe/Moscow' });
  page = await login(ctx, svc.url, 'sveta', PASSWORD);
});

afterAll(async () => {
  await browser?.close();
  await svc?.stop();
});

describe('the calls list for a supervisor', () => {
  it('names the contact, the client and the manager on every row; an unknown number says so', async () => {
    await page.getByRole('link', { name: 'Calls' }).click();
    const r1 = page.locator(`[data-testid="call-row"][data-linked-id="R1-${RUN}"]`);
    await r1.waitFor({ timeout: 10_000 });
    expect(await r1.getByTestId('call-contact').innerText()).toBe('Иван Петров');
    expect(await r1.getByTestId('call-client').innerText()).toBe(`ООО «Ромашка» ${RUN}`);
    expect(await r1.getByTestId('call-number').innerText()).toBe(shown(1));
    expect(await r1.getByTestId('call-manager').innerText()).toBe('anna (101)');
    const r2 = page.locator(`[data-testid="call-row"][data-linked-id="R2-${RUN}"]`);
    expect(await r2.getByTestId('call-manager').innerText()).toBe('boris (102)');
    const u1 = page.locator(`[data-testid="call-row"][data-linked-id="U1-${RUN}"]`);
    expect(await u1.getByTestId('call-no-contact').innerText()).toBe('Not in contacts');
    expect(await u1.getByTestId('call-number').innerText()).toBe(shown(3));
    // The contact's name leads to the card.
    expect(await r1.getByTestId('call-contact').getAttribute('href')).toMatch(/^#\/contacts\//);
    await shot(page, 'calls-supervisor-en.png');
    // The contact's card lists the same calls with the same names.
    await r1.getByTestId('call-contact').click();
    const card = page.getByTestId('contact-card');
    await card.locator(`[data-testid="call-row"][data-linked-id="R1-${RUN}"]`).waitFor({ timeout: 10_000 });
    expect(await card.getByTestId('call-row').count()).toBe(2);
    for (const text of await card.getByTestId('call-client').allInnerTexts()) expect(text).toBe(`ООО «Ромашка» ${RUN}`);
    expect(await card.getByTestId('call-manager').allInnerTexts()).toEqual(['boris (102)', 'anna (101)']);
    await shot(page, 'contact-card-calls-en.png');
    await page.getByRole('link', { name: 'Calls' }).click();
    await r1.waitFor({ timeout: 10_000 });
  });

  it("finds a client's calls by its name typed in lower case, and narrows them to one manager", async () => {
    await page.getByTestId('calls-search').fill('ромашка');
    await expect.poll(() => shownLinkedIds(page), { timeout: 10_000 }).toEqual([`R2-${RUN}`, `R1-${RUN}`]);
    await page.getByTestId('filter-manager').selectOption({ label: 'boris (102)' });
    await expect.poll(() => shownLinkedIds(page), { timeout: 10_000 }).toEqual([`R2-${RUN}`]);
    expect(await rows(page).first().getByTestId('call-manager').innerText()).toBe('boris (102)');
    await shot(page, 'calls-search-manager-en.png');
  });

  it('finds calls by a number written another way, and by a manager alone', async () => {
    await page.getByTestId('filter-manager').selectOption('');
    await page.getByTestId('calls-search').fill(written(2));
    await expect.poll(() => shownLinkedIds(page), { timeout: 10_000 }).toEqual([`N1-${RUN}`]);
    expect(await rows(page).first().getByTestId('call-contact').innerText()).toBe('John Smith');

    await page.getByTestId('calls-search').fill('');
    await page.getByTestId('filter-manager').selectOption({ label: 'anna (101)' });
    // anna's calls only (the sandbox's earlier calls on 101 are hers too, as the CDR import credits them).
    await expect.poll(async () => (await shownLinkedIds(page)).filter((id) => id.endsWith(`-${RUN}`)), { timeout: 10_000 }).toEqual([`U1-${RUN}`, `R1-${RUN}`]);
    for (const text of await rows(page).getByTestId('call-manager').allInnerTexts()) expect(text).toBe('anna (101)');
  });

  it('reads the same in Russian', async () => {
    await page.getByTestId('language-switch').selectOption('ru');
    await page.getByTestId('filter-manager').selectOption('');
    const u1 = page.locator(`[data-testid="call-row"][data-linked-id="U1-${RUN}"]`);
    await u1.waitFor({ timeout: 10_000 });
    expect(await u1.getByTestId('call-no-contact').innerText()).toBe('Нет в контактах');
    expect(await page.getByTestId('calls-search').getAttribute('placeholder')).toBe('Номер, клиент или контакт');
    await shot(page, 'calls-supervisor-ru.png');
    await page.getByTestId('language-switch').selectOption('en');
  });
});

describe('the calls list for a manager', () => {
  it('has no search box or manager filter, and shows only her own calls, with names', async () => {
    const mctx = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'en-GB', timezoneId: 'Europe/Moscow' });
    try {
      const p = await login(mctx, svc.url, 'anna', PASSWORD);
      await p.getByRole('link', { name: 'Calls' }).click();
      await p.locator(`[data-testid="call-row"][data-linked-id="R1-${RUN}"]`).waitFor({ timeout: 10_000 });
      expect(await p.getByTestId('calls-search').count()).toBe(0);
      expect(await p.getByTestId('filter-manager').count()).toBe(0);
      const mine = (await shownLinkedIds(p)).filter((id) => id.endsWith(`-${RUN}`));
      expect(mine).toEqual([`U1-${RUN}`, `R1-${RUN}`]);
      expect(await p.locator(`[data-testid="call-row"][data-linked-id="R1-${RUN}"]`).getByTestId('call-client').innerText()).toBe(`ООО «Ромашка» ${RUN}`);
      await shot(p, 'calls-manager-en.png');
    } finally {
      await mctx.close();
    }
  });
});
