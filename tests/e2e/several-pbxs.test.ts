// Several PBXs in one deployment (issue 14, part 4), as a head of sales sees them in Debian's Chromium on
// the built web app served by the real service: with a second PBX (CTI_PBXS_FILE: Казань beside main,
// Москва) the calls list, the calls report and the live board get a PBX selector; every call names its
// PBX; choosing a PBX lists only its calls, reports only its calls, and shows its own board (its
// managers, its counters); the users page shows each user's PBX, so extension 101 is two managers, one
// per PBX. With one PBX none of that is on the pages.
// Calls are written straight into the service's database (as each PBX's call log writes them, stamped
// with its PBX), so the rows are known. The second PBX is never reached (its AMI port is closed): its
// board says so, and shows its phones' owners and today's counters from the call log all the same.
// Set CTI_E2E_SCREENSHOTS=/some/dir for screenshots in English and Russian.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { CallStore } from '../../src/calls/store.js';
import type { CallRecord } from '../../src/calls/model.js';
import { openTestDb } from '../support/database.js';
import { freePort } from '../support/ports.js';
import { TEST_RULES, addClient, api, newDbFile, startService, type ServiceProcess } from '../support/service.js';
import { launchChromium, login, screenshotPath, seedLoginUser } from '../support/browser.js';

const PASSWORD = 'correct horse battery';
const RUN = String(Math.floor(Math.random() * 900) + 100);
const e164 = (n: number) => `+7925${RUN}${String(n).padStart(4, '0')}`;

function record(over: Partial<CallRecord> & { linkedId: string; extension: string; startedAt: number }): CallRecord {
  const s = over.startedAt;
  return {
    mergedLinkedIds: [], state: 'ended', source: 'ami', needsCdr: false, direction: 'inbound', origin: null, contactId: null, clientId: null, routedBy: null,
    externalNumber: e164(1), answeredAt: s + 4000, endedAt: s + 34_000, ringMs: 4000, talkMs: 30_000, disposition: 'answered',
    hangupCause: null, recordingFile: null, legs: [], ...over,
  };
}

async function shot(p: Page, name: string): Promise<void> {
  const path = screenshotPath(name);
  if (path) await p.screenshot({ path, fullPage: true });
}

const rows = (p: Page) => p.locator('[data-testid="call-row"]');
/** This run's calls shown, in order (the filter runs here: RUN is no variable of the page's). */
const shownLinkedIds = async (p: Page) => (await rows(p).evaluateAll((els) => els.map((e) => e.getAttribute('data-linked-id') ?? ''))).filter((id) => id.endsWith(RUN));
const go = async (p: Page, hash: string) => { await p.evaluate((h) => { location.hash = h; }, hash); };
const optionTexts = (p: Page, testid: string) => p.getByTestId(testid).locator('option').allInnerTexts();

/** A service with its own database; `pbxs`: CTI_PBXS_FILE's list (none: main only). Seeds the users and calls. */
let olgaToken = '';
async function start(pbxs: object[] | null, rules?: object): Promise<ServiceProcess> {
  const dbFile = newDbFile();
  const dir = mkdtempSync(join(tmpdir(), 'cti-pbxs-'));
  olgaToken = (await seedLoginUser(dbFile, 'olga', 'admin', { password: PASSWORD, language: 'en' })).token;
  await seedLoginUser(dbFile, 'anna', 'manager', { extension: '101', password: PASSWORD, language: 'en' });
  if (pbxs) await seedLoginUser(dbFile, 'kamil', 'manager', { extension: '101', password: PASSWORD, language: 'en', pbx: 'kzn' });
  const now = Date.now();
  const h = await openTestDb(dbFile);
  try {
    const msk = new CallStore(h.db);
    await msk.save(`m1-${RUN}`, record({ linkedId: `M1-${RUN}`, extension: '101', startedAt: now - 4 * 60_000 }));
    await msk.save(`m2-${RUN}`, record({ linkedId: `M2-${RUN}`, extension: '101', startedAt: now - 3 * 60_000, externalNumber: e164(2) }));
    if (pbxs) {
      // Kazan's Asterisk gives the same linkedid scheme: its 101 is kamil's phone, not anna's.
      const kzn = new CallStore(h.db, { pbxId: 'kzn' });
      await kzn.save(`k1-${RUN}`, record({ linkedId: `K1-${RUN}`, extension: '101', startedAt: now - 2 * 60_000, externalNumber: e164(3) }));
    }
  } finally {
    await h.close();
  }
  // Only this run's calls: an empty event log for each PBX (the sandbox's earlier calls stay out).
  const celFile = join(dir, 'main.csv');
  writeFileSync(celFile, '');
  const env: Record<string, string> = { CTI_CEL_FILE: celFile, CTI_PBX_NAME: 'Москва' };
  if (pbxs) {
    const file = join(dir, 'pbxs.json');
    writeFileSync(file, JSON.stringify(pbxs));
    env['CTI_PBXS_FILE'] = file;
    env['KZN_AMI_SECRET'] = 'not-used';
  }
  return startService({ dbFile, env, waitConnected: false, ...(rules ? { rules } : {}) });
}

/** Kazan's own rules: its desk by default, and a DID of its trunk to a queue. */
const BY_PBX = { kzn: { defaultTarget: { extension: '101' }, dids: { '78435550100': { queue: 'kzn_sales' } } } };

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

describe('two PBXs: Москва (main) and Казань', () => {
  let svc: ServiceProcess;
  let ctx: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cti-kzn-'));
    writeFileSync(join(dir, 'cel.csv'), '');
    // A loopback port nothing listens on: the second PBX stays unreached, its board says so.
    const port = await freePort();
    svc = await start([{
      id: 'kzn', name: 'Казань',
      ami: { host: '127.0.0.1', port, user: 'cti', secretEnv: 'KZN_AMI_SECRET' },
      cel: { file: join(dir, 'cel.csv') }, recordings: { dir },
    }], { ...TEST_RULES, byPbx: BY_PBX });
    ctx = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'en-GB', timezoneId: 'Europe/Moscow' });
    page = await login(ctx, svc.url, 'olga', PASSWORD);
  });
  afterAll(async () => {
    await ctx?.close();
    await svc?.stop();
  });

  it('the calls list names each call\'s PBX and filters by PBX', async () => {
    await go(page, '#/calls');
    await expect.poll(() => shownLinkedIds(page), { timeout: 10_000 }).toEqual([`K1-${RUN}`, `M2-${RUN}`, `M1-${RUN}`]);
    expect(await optionTexts(page, 'filter-pbx')).toEqual(['All PBXs', 'Москва', 'Казань']);
    const pbxOf = (id: string) => page.locator(`[data-testid="call-row"][data-linked-id="${id}"]`).getByTestId('call-pbx').innerText();
    expect(await pbxOf(`K1-${RUN}`)).toBe('Казань');
    expect(await pbxOf(`M1-${RUN}`)).toBe('Москва');
    // 101 is two people: each call is credited to the 101 of its own PBX.
    expect(await page.locator(`[data-testid="call-row"][data-linked-id="K1-${RUN}"]`).getByTestId('call-manager').innerText()).toMatch(/^kamil \(101\)/);
    expect(await page.locator(`[data-testid="call-row"][data-linked-id="M1-${RUN}"]`).getByTestId('call-manager').innerText()).toMatch(/^anna \(101\)/);
    await shot(page, 'calls-two-pbxs-en.png');

    await page.getByTestId('filter-pbx').selectOption({ label: 'Казань' });
    await expect.poll(() => shownLinkedIds(page), { timeout: 10_000 }).toEqual([`K1-${RUN}`]);
    await page.getByTestId('filter-pbx').selectOption({ label: 'Москва' });
    await expect.poll(() => shownLinkedIds(page), { timeout: 10_000 }).toEqual([`M2-${RUN}`, `M1-${RUN}`]);
    await page.getByTestId('filter-pbx').selectOption('');
    await expect.poll(() => shownLinkedIds(page), { timeout: 10_000 }).toHaveLength(3);

    await page.getByTestId('language-switch').selectOption('ru');
    await expect.poll(() => optionTexts(page, 'filter-pbx'), { timeout: 10_000 }).toEqual(['Все АТС', 'Москва', 'Казань']);
    await page.getByTestId('filter-pbx').selectOption({ label: 'Казань' });
    await expect.poll(() => shownLinkedIds(page), { timeout: 10_000 }).toEqual([`K1-${RUN}`]);
    await shot(page, 'calls-kzn-ru.png');
    await page.getByTestId('filter-pbx').selectOption('');
    await expect.poll(() => shownLinkedIds(page), { timeout: 10_000 }).toHaveLength(3);
    await shot(page, 'calls-two-pbxs-ru.png');
    await page.getByTestId('language-switch').selectOption('en');
  });

  it('a manager on Kazan\'s 101 sees only his own call, and no PBX selector', async () => {
    const mctx = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'en-GB', timezoneId: 'Europe/Moscow' });
    try {
      const p = await login(mctx, svc.url, 'kamil', PASSWORD);
      await go(p, '#/calls');
      await expect.poll(() => shownLinkedIds(p), { timeout: 10_000 }).toEqual([`K1-${RUN}`]);
      expect(await p.getByTestId('filter-pbx').count()).toBe(0);
    } finally {
      await mctx.close();
    }
  });

  it('the live board shows main\'s board first and switches to Kazan\'s', async () => {
    await go(page, '#/live');
    const board = page.getByTestId('live-board');
    await board.waitFor({ timeout: 10_000 });
    expect(await board.getAttribute('data-pbx')).toBe('main');
    expect(await optionTexts(page, 'live-pbx')).toEqual(['Москва', 'Казань']);
    expect(await page.getByTestId('live-pbx').inputValue()).toBe('main');
    await expect.poll(() => page.getByTestId('live-manager').allInnerTexts(), { timeout: 10_000 }).toEqual([expect.stringMatching(/^anna/)]);
    await expect.poll(() => page.getByTestId('live-counters-total').getByTestId('counter-calls').innerText(), { timeout: 10_000 }).toBe('2');
    await shot(page, 'live-main-en.png');

    await page.getByTestId('live-pbx').selectOption({ label: 'Казань' });
    await page.locator('[data-testid="live-board"][data-pbx="kzn"]').waitFor({ timeout: 10_000 });
    await expect.poll(() => page.getByTestId('live-manager').allInnerTexts(), { timeout: 10_000 }).toEqual([expect.stringMatching(/^kamil/)]);
    await expect.poll(() => page.getByTestId('live-counters-total').getByTestId('counter-calls').innerText(), { timeout: 10_000 }).toBe('1');
    // Kazan's Asterisk is not reached: its board says so (main's link is another matter).
    await page.getByTestId('live-pbx-down').waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('live-pbx-down').innerText()).toContain('Казань');
    await shot(page, 'live-kzn-en.png');

    await page.getByTestId('language-switch').selectOption('ru');
    // The page is drawn anew in Russian, on the board chosen.
    await expect.poll(() => page.getByTestId('live-pbx-down').innerText(), { timeout: 10_000 }).toContain('АТС «Казань» не подключена');
    expect(await page.locator('[data-testid="live-board"]').getAttribute('data-pbx')).toBe('kzn');
    expect(await page.getByTestId('live-pbx').inputValue()).toBe('kzn');
    await shot(page, 'live-kzn-ru.png');
    await page.getByTestId('live-pbx').selectOption({ label: 'Москва' });
    await page.locator('[data-testid="live-board"][data-pbx="main"]').waitFor({ timeout: 10_000 });
    await expect.poll(() => page.getByTestId('live-manager').allInnerTexts(), { timeout: 10_000 }).toEqual([expect.stringMatching(/^anna/)]);
    await shot(page, 'live-main-ru.png');
    await page.getByTestId('language-switch').selectOption('en');
  });

  it('the calls report counts one PBX\'s calls when one is chosen', async () => {
    await go(page, '#/reports');
    const calls = () => page.getByTestId('report-totals').locator('[data-metric="calls"]').getAttribute('data-value');
    await expect.poll(calls, { timeout: 10_000 }).toBe('3');
    expect(await optionTexts(page, 'report-pbx')).toEqual(['All PBXs', 'Москва', 'Казань']);
    // All PBXs, by manager: the two 101s are told apart as on the cards.
    const managers = () => page.getByTestId('report-row').locator('th').allInnerTexts();
    await expect.poll(managers, { timeout: 10_000 }).toEqual(['anna (101 · Москва)', 'kamil (101 · Казань)']);
    await shot(page, 'report-two-pbxs-en.png');
    await page.getByTestId('language-switch').selectOption('ru');
    await expect.poll(() => optionTexts(page, 'report-pbx'), { timeout: 10_000 }).toEqual(['Все АТС', 'Москва', 'Казань']);
    expect(await managers()).toEqual(['anna (101 · Москва)', 'kamil (101 · Казань)']);
    await shot(page, 'report-two-pbxs-ru.png');
    await page.getByTestId('language-switch').selectOption('en');
    await expect.poll(() => optionTexts(page, 'report-pbx'), { timeout: 10_000 }).toEqual(['All PBXs', 'Москва', 'Казань']);
    await page.getByTestId('report-pbx').selectOption({ label: 'Казань' });
    await expect.poll(calls, { timeout: 10_000 }).toBe('1');
    // The calls behind the number are Kazan's.
    await page.getByTestId('report-totals').locator('[data-metric="calls"] button').click();
    await expect.poll(() => page.getByTestId('drill').locator('[data-testid="call-row"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-linked-id'))), { timeout: 10_000 })
      .toEqual([`K1-${RUN}`]);
    await shot(page, 'report-kzn-en.png');
    await page.getByTestId('report-pbx').selectOption({ label: 'Москва' });
    await expect.poll(calls, { timeout: 10_000 }).toBe('2');
  });

  it('the routing form says Kazan has rules of its own and keeps them when an admin saves it', async () => {
    await go(page, '#/routing');
    const note = page.getByTestId('routing-by-pbx');
    await note.waitFor({ timeout: 10_000 });
    expect(await note.getAttribute('data-count')).toBe('1');
    expect(await note.innerText()).toContain('Казань');
    // A field of the form changes and is saved: Kazan's rules are still there, as they were.
    await page.getByTestId('routing-managerRingSeconds').fill('8');
    await page.getByTestId('routing-save').click();
    await page.getByTestId('routing-saved').waitFor({ timeout: 10_000 });
    const r = await api(svc, '/api/v1/routing/rules', olgaToken);
    expect(r.body.managerRingSeconds).toBe(8);
    expect(r.body.byPbx).toEqual(BY_PBX);
    await shot(page, 'routing-by-pbx-en.png');
  });

  it('a contact card names its owner with the PBX of the owner\'s 101', async () => {
    const number = e164(7);
    await addClient(svc, olgaToken, { name: `Казанский опт ${RUN}`, owner: 'kamil', phone: number });
    const contactId = (await api(svc, `/api/v1/contacts/lookup?number=${encodeURIComponent(number)}`, olgaToken)).body.contact.id as string;
    await go(page, `#/contacts/${contactId}`);
    const owner = page.getByTestId('contact-owner');
    await expect.poll(() => owner.innerText(), { timeout: 10_000 }).toBe('kamil (101 · Казань)');
    await shot(page, 'contact-owner-kzn-en.png');
    // The client form's owner selector tells the two 101s apart the same way.
    const ownerChoice = async (lang: string) => {
      await page.getByTestId('edit-client').click();
      const select = page.getByTestId('client-form').getByTestId('client-form-owner');
      await expect.poll(() => select.locator('option:checked').innerText(), { timeout: 10_000 }).toBe('kamil (101 · Казань)');
      expect((await select.locator('option').allInnerTexts()).filter((o) => o.includes('101'))).toEqual(['anna (101 · Москва)', 'kamil (101 · Казань)']);
      await shot(page, `client-form-owner-kzn-${lang}.png`);
      await page.getByTestId('client-form').getByRole('button', { name: lang === 'ru' ? 'Отмена' : 'Cancel' }).click();
    };
    await ownerChoice('en');
    await page.getByTestId('language-switch').selectOption('ru');
    await expect.poll(() => page.getByTestId('contact-owner').innerText(), { timeout: 10_000 }).toBe('kamil (101 · Казань)');
    await shot(page, 'contact-owner-kzn-ru.png');
    await ownerChoice('ru');
    await page.getByTestId('language-switch').selectOption('en');
  });

  it('the users page shows each user\'s PBX: 101 on each PBX is someone else', async () => {
    await go(page, '#/users');
    const row = (name: string) => page.locator(`[data-testid="user-row"][data-user="${name}"]`);
    await row('kamil').waitFor({ timeout: 10_000 });
    expect(await row('kamil').getByTestId('user-pbx').inputValue()).toBe('kzn');
    expect(await row('anna').getByTestId('user-pbx').inputValue()).toBe('main');
    // Moving kamil's 101 to Москва: that 101 is anna's.
    await row('kamil').getByTestId('user-pbx').selectOption('main');
    await row('kamil').getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('user-row-error').waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('user-row-error').innerText()).toContain('anna');
    expect(await row('kamil').getByTestId('user-pbx').inputValue()).toBe('kzn');
    await shot(page, 'users-two-pbxs-en.png');
  });
});

describe('one PBX', () => {
  let svc: ServiceProcess;
  let ctx: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    svc = await start(null);
    ctx = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'en-GB', timezoneId: 'Europe/Moscow' });
    page = await login(ctx, svc.url, 'olga', PASSWORD);
  });
  afterAll(async () => {
    await ctx?.close();
    await svc?.stop();
  });

  it('says nothing of PBXs: no selector, no PBX on the calls, the live board or the users', async () => {
    await go(page, '#/calls');
    await expect.poll(() => shownLinkedIds(page), { timeout: 10_000 }).toEqual([`M2-${RUN}`, `M1-${RUN}`]);
    expect(await page.getByTestId('filter-pbx').count()).toBe(0);
    expect(await page.getByTestId('call-pbx').count()).toBe(0);
    await go(page, '#/live');
    await page.locator('[data-testid="live-board"][data-pbx="main"]').waitFor({ timeout: 10_000 });
    await expect.poll(() => page.getByTestId('live-manager').count(), { timeout: 10_000 }).toBe(1);
    expect(await page.getByTestId('live-pbx').count()).toBe(0);
    await go(page, '#/reports');
    await expect.poll(() => page.getByTestId('report-totals').locator('[data-metric="calls"]').getAttribute('data-value'), { timeout: 10_000 }).toBe('2');
    expect(await page.getByTestId('report-pbx').count()).toBe(0);
    await go(page, '#/users');
    await page.locator('[data-testid="user-row"][data-user="anna"]').waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('user-pbx').count()).toBe(0);
    await shot(page, 'users-one-pbx-en.png');
    // An owner's extension alone: no PBX to tell apart.
    const number = e164(8);
    await addClient(svc, olgaToken, { name: `Опт ${RUN}`, owner: 'anna', phone: number });
    const contactId = (await api(svc, `/api/v1/contacts/lookup?number=${encodeURIComponent(number)}`, olgaToken)).body.contact.id as string;
    await go(page, `#/contacts/${contactId}`);
    await expect.poll(() => page.getByTestId('contact-owner').innerText(), { timeout: 10_000 }).toBe('anna (101)');
  });
});
