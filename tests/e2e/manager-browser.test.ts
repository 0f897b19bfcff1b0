// The manager's browser end to end: Debian's Chromium on the built web app, served by the real service,
// which is attached to the sandbox Asterisk; real calls between real SIP phones. Two managers are logged
// in, each in a browser context of their own. What rang and in which order is read from the PBX's side
// (the sandbox AMI user's DialBegin events and Asterisk's CDR), what the manager sees from the page.
// Set CTI_E2E_SCREENSHOTS=docs to refresh the README's screenshots.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  closeSandbox, coreShowChannels, hangupChannel, inboundCall, onAmiEvent, sandboxAmi, waitForCdr, waitUntil, type AmiMessage,
} from '../support/sandbox.js';
import { api, loggedCall, newDbFile, startService, type ServiceProcess } from '../support/service.js';
import { launchChromium, login, newUserContext, pageFetchStatus, popsSeen, screenshotPath, seedLoginUser } from '../support/browser.js';

const RULES = {
  managerRingSeconds: 4,
  targetRingSeconds: 4,
  currency: 'RUB',
  tiers: [
    { name: 'small', minTurnover: 0, target: { extension: '198' } },
    { name: 'key_accounts', minTurnover: 100_000, target: { extension: '103' } },
  ],
  defaultTarget: { extension: '101' },
  deadlineMs: 300,
};
const DID = '74950000000'; // no target of its own: the routing decides
const PASSWORD = 'correct horse battery';
// Numbers of this run only: the sandbox's CDR keeps earlier runs' calls, which a fresh database imports.
const RUN = String(Math.floor(Math.random() * 900) + 100);
const num = (n: number) => `+7925${RUN}${String(n).padStart(4, '0')}`;
const digits = (s: string) => s.replace(/\D/g, '');

let svc: ServiceProcess | null = null;
let admin: string;
const ids: Record<string, string> = {};
let dbFile: string;
let browser: Browser;
let ctxA: BrowserContext;
let ctxB: BrowserContext;
let pageA: Page;
let pageB: Page;
let ivanId: string; // anna's client's contact
let annasCallId = '';
let annasLinkedId = '';

/** AMI events of the sandbox user, kept for the whole file (with Asterisk's timestamps). */
const events: AmiMessage[] = [];
let off: (() => void) | null = null;
const at = (e: AmiMessage) => Number(e['timestamp']) * 1000;

async function createClient(name: string, turnover: number | null, owner: string | null, contact: string, phone: string): Promise<{ clientId: string; contactId: string }> {
  const c = await api(svc!, '/api/v1/clients', admin, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'company', name, turnover, currency: turnover === null ? null : 'RUB', ownerName: owner }),
  });
  expect(c.status, JSON.stringify(c.body)).toBe(201);
  const ct = await api(svc!, '/api/v1/contacts', admin, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ clientId: c.body.id, name: contact, email: `${contact.split(' ')[0]!.toLowerCase()}@example.com`, phones: [{ number: phone, label: 'mobile' }] }),
  });
  expect(ct.status, JSON.stringify(ct.body)).toBe(201);
  return { clientId: c.body.id, contactId: ct.body.id };
}

async function shot(page: Page, name: string): Promise<void> {
  const path = screenshotPath(name);
  if (path) await page.screenshot({ path });
}

/** Closes whatever pops are open on the page (a wrap-up left for later, for instance). */
async function closePops(page: Page): Promise<void> {
  for (const b of await page.locator('[data-testid="pop"] button.close').all()) await b.click().catch(() => undefined);
}

beforeAll(async () => {
  await sandboxAmi();
  off = onAmiEvent((e) => { if (e['event'] === 'DialBegin' || e['event'] === 'Newchannel') events.push(e); });
  dbFile = newDbFile();
  admin = (await seedLoginUser(dbFile, 'root', 'admin', { password: PASSWORD })).token;
  for (const [name, ext, language] of [['anna', '101', 'en'], ['boris', '102', 'ru'], ['sleepy', '198', 'en']] as const) {
    ids[name] = (await seedLoginUser(dbFile, name, 'manager', { extension: ext, password: PASSWORD, language })).id;
  }
  svc = await startService({ dbFile, rules: RULES });
  ivanId = (await createClient('Northwind Trading', 250_000, 'anna', 'Ivan Petrov', num(1))).contactId;
  await createClient('Boris Bikes', 40_000, 'boris', 'Oleg Sidorov', num(2));
  await createClient('Quiet Corner', 500, 'sleepy', 'Pavel Tikhonov', num(3));
  browser = await launchChromium();
  ctxA = await newUserContext(browser);
  ctxB = await newUserContext(browser);
});

afterAll(async () => {
  off?.();
  await browser?.close();
  await svc?.stop();
  await closeSandbox();
});

describe("the manager's browser", () => {
  it('logs in with a password (a wrong one is refused plainly) and speaks the user\'s language', async () => {
    const p = await ctxB.newPage();
    await p.goto(`${svc!.url}/`);
    await p.getByTestId('login-username').fill('boris');
    await p.getByTestId('login-password').fill('wrong password');
    await p.getByTestId('login-submit').click();
    await p.getByTestId('login-error').waitFor();
    await p.close();

    pageA = await login(ctxA, svc!.url, 'anna', PASSWORD);
    pageB = await login(ctxB, svc!.url, 'boris', PASSWORD);
    await pageB.getByRole('link', { name: 'Контакты' }).waitFor();
    await pageB.getByTestId('language-switch').selectOption('en');
    await pageB.getByRole('link', { name: 'Contacts' }).waitFor();
    await pageB.reload();
    await pageB.getByRole('link', { name: 'Contacts' }).waitFor(); // remembered by the service
    await pageB.waitForSelector('body[data-realtime="connected"]');
    // Each manager sees their own clients' contacts only.
    await pageA.getByTestId('contact-row').first().waitFor();
    expect(await pageA.getByTestId('contact-row').allInnerTexts()).toEqual([expect.stringContaining('Ivan Petrov')]);
    expect(await pageB.getByTestId('contact-row').allInnerTexts()).toEqual([expect.stringContaining('Oleg Sidorov')]);
  });

  it("a call from anna's client pops her card within a second, on her page only; answered, ended, wrapped up", async () => {
    const since = Date.now();
    const h = await inboundCall({ from: num(1), did: DID, talkSeconds: 8, timeoutSeconds: 40 });
    annasLinkedId = h.linkedid;
    const pop = pageA.getByTestId('pop');
    await pop.waitFor({ timeout: 10_000 });

    // Within a second of Asterisk starting to ring anna's phone (its DialBegin timestamp).
    const dial = await waitUntil(() => events.find((e) => e['event'] === 'DialBegin' && e['linkedid'] === h.linkedid && String(e['destchannel']).startsWith('PJSIP/101')), 5000, 'DialBegin to 101');
    const seen = (await popsSeen(pageA)).filter((p) => p.at >= since);
    expect(seen.length).toBeGreaterThan(0);
    const latency = seen[0]!.at - at(dial);
    expect(latency, `pop ${latency} ms after the phone started ringing`).toBeLessThan(1000);

    // The right card.
    await expect.poll(() => pop.getByTestId('pop-contact-name').innerText()).toContain('Ivan Petrov');
    expect(await pop.getByTestId('pop-client-name').innerText()).toBe('Northwind Trading');
    expect(digits(await pop.getByTestId('pop-turnover').innerText())).toContain('250000');
    expect(await pop.getByTestId('pop-owner').innerText()).toContain('anna');
    expect(await pop.getByTestId('pop-routed-by').getAttribute('data-routed-by')).toBe('owner');
    await pop.getByTestId('pop-last-calls').waitFor();
    await pop.getByTestId('pop-open-tasks').waitFor();

    // Answered on anna's own phone: a talk timer.
    await pop.getByTestId('talk-timer').waitFor({ timeout: 10_000 });
    await pageA.waitForTimeout(1200);
    await shot(pageA, 'browser-pop.png');

    // Ended: the wrap-up form, with the configured outcomes.
    const form = pageA.getByTestId('wrapup-form');
    await form.waitFor({ timeout: 20_000 });
    annasCallId = (await pop.getAttribute('data-call-id'))!;
    await form.getByTestId('wrapup-description').fill('Wants 40 pallets in March; sending a quote.');
    await expect.poll(() => form.locator('[data-testid="wrapup-outcome"] option').count()).toBeGreaterThan(1);
    await form.getByTestId('wrapup-outcome').selectOption('quote_sent');
    // Tomorrow 10:00, typed as the English page writes dates (dd/mm/yyyy), whatever the browser's locale.
    const tomorrow = await pageA.evaluate(() => {
      const d = new Date(Date.now() + 86_400_000);
      const p = (n: number) => String(n).padStart(2, '0');
      return `${p(d.getDate())}/${p(d.getMonth() + 1)}/${d.getFullYear()}`;
    });
    expect(await form.getByTestId('wrapup-next-due').getAttribute('placeholder')).toBe('dd/mm/yyyy');
    await form.getByTestId('wrapup-next-due').fill(tomorrow);
    await form.getByTestId('wrapup-next-due-time').fill('10:00');
    await form.getByTestId('wrapup-submit').click();
    await pageA.getByTestId('wrapup-form').waitFor({ state: 'detached', timeout: 10_000 });

    // Boris's page got nothing at all, not even a pop that closed again.
    expect(await popsSeen(pageB)).toEqual([]);

    // Asterisk's side: anna's phone rang and answered.
    const rows = await waitForCdr(h.linkedid, 30_000);
    expect(rows.filter((r) => r.lastapp === 'Dial' && r.dstchannel.startsWith('PJSIP/')).map((r) => [r.dstchannel.slice(6, 9), r.disposition]))
      .toEqual([['101', 'ANSWERED']]);

    // The wrap-up is on the contact's card, and the next step is anna's task.
    await pageA.goto(`${svc!.url}/#/contacts/${ivanId}`);
    const card = pageA.getByTestId('contact-card');
    await card.waitFor();
    const row = card.locator(`[data-testid="call-row"][data-linked-id="${h.linkedid}"]`);
    await expect.poll(async () => (await row.count()) ? row.getByTestId('call-wrapup').innerText() : '', { timeout: 15_000 })
      .toContain('Wants 40 pallets in March');
    expect(await card.getByTestId('contact-client').innerText()).toBe('Northwind Trading');
    expect(await card.getByTestId('contact-owner').innerText()).toContain('anna');
    // The number shows under "Phones", inside the card's list (a class shared with the browser phone's
    // panel once pinned it to the window's bottom-left corner).
    const list = (await card.locator('ul.phones').boundingBox())!;
    const shown = (await card.locator('ul.phones span.phone').first().boundingBox())!;
    expect(await card.locator('ul.phones span.phone').first().innerText()).toContain(num(1).slice(-7));
    expect(shown.x).toBeGreaterThanOrEqual(list.x);
    expect(shown.y).toBeGreaterThanOrEqual(list.y);
    expect(shown.x + shown.width).toBeLessThanOrEqual(list.x + list.width);
    expect(shown.y + shown.height).toBeLessThanOrEqual(list.y + list.height);
    await closePops(pageA);
    await shot(pageA, 'browser-contact-card.png');
    const tasks = await api(svc!, `/api/v1/tasks?assignee=${ids['anna']}&state=open`, admin);
    expect(tasks.status).toBe(200);
    expect(tasks.body.items.some((t: { callId: string | null }) => t.callId === annasCallId)).toBe(true);
  });

  it('an unknown number pops a prefilled "create contact" form', async () => {
    await pageA.goto(`${svc!.url}/#/contacts`);
    const h = await inboundCall({ from: num(8), did: DID, talkSeconds: 4, timeoutSeconds: 40 });
    const pop = pageA.locator('[data-testid="pop"]').last();
    const form = pop.getByTestId('pop-create-contact');
    await form.waitFor({ timeout: 10_000 });
    expect(digits(await form.getByTestId('pop-create-contact-number').inputValue())).toContain(digits(num(8)).slice(-10));
    await form.getByTestId('pop-create-contact-name').fill('Maria Novak');
    await form.getByTestId('pop-create-client-name').fill('Novak Logistics');
    await form.locator('button[type="submit"]').click();
    await pop.getByText(/Contact created/).waitFor();
    await waitForCdr(h.linkedid, 30_000);
    await pageA.getByTestId('wrapup-form').waitFor({ timeout: 15_000 });
    await closePops(pageA);
    await pageA.reload();
    await pageA.getByTestId('contacts-search').fill('novak');
    await expect.poll(() => pageA.getByTestId('contact-row').allInnerTexts()).toEqual([expect.stringContaining('Maria Novak')]);
  });

  it("a number of another manager's client rung on anna's phone pops its card (the call grant): client and owner, no create-contact form", async () => {
    // Olga's phone 104 is not registered and the client has no turnover: the routing falls to the
    // default target, anna's 101.
    await seedLoginUser(dbFile, 'olga', 'manager', { extension: '104', password: PASSWORD });
    const c = await api(svc!, '/api/v1/clients', admin, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'company', name: 'Orlova Freight', ownerName: 'olga' }),
    });
    expect(c.status, JSON.stringify(c.body)).toBe(201);
    const ct = await api(svc!, '/api/v1/contacts', admin, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ clientId: c.body.id, name: 'Nina Orlova', phones: [{ number: num(9), label: null }] }),
    });
    expect(ct.status, JSON.stringify(ct.body)).toBe(201);
    await pageA.goto(`${svc!.url}/#/contacts`);
    const h = await inboundCall({ from: num(9), did: DID, talkSeconds: 3, timeoutSeconds: 40 });
    const pop = pageA.locator('[data-testid="pop"]').last();
    await expect.poll(() => pop.getByTestId('pop-contact-name').innerText(), { timeout: 10_000 }).toBe('Nina Orlova');
    await pop.getByTestId('pop-status').waitFor();
    expect(await pop.getByTestId('pop-create-contact').count()).toBe(0);
    expect(await pop.getByTestId('pop-client-name').innerText()).toBe('Orlova Freight');
    expect(await pop.getByTestId('pop-owner').innerText()).toBe('olga (104)');
    expect(await pop.innerText()).not.toMatch(/Unknown number/);
    await waitForCdr(h.linkedid, 30_000);
    // Still no create-contact form while it was answered and talked (checked again at the end).
    expect(await pop.getByTestId('pop-create-contact').count()).toBe(0);
    await closePops(pageA);
  });

  it("click-to-call from the card rings the manager's phone, then the client; the call plays back from the history", async () => {
    await pageA.goto(`${svc!.url}/#/contacts/${ivanId}`);
    const card = pageA.getByTestId('contact-card');
    await card.waitFor();
    await pageA.evaluate(() => {
      const w = window as unknown as { __stages: string[] };
      w.__stages = [];
      new MutationObserver(() => {
        const s = document.querySelector('[data-testid="c2c-status"]')?.getAttribute('data-stage');
        if (s && w.__stages[w.__stages.length - 1] !== s) w.__stages.push(s);
      }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-stage'] });
    });
    const since = Date.now() - 500;
    await card.getByTestId('c2c-button').first().click();
    await card.locator('[data-testid="c2c-status"][data-stage="talking"]').waitFor({ timeout: 30_000 });

    // The PBX's side: anna's phone first, then (once she answered) the client's number.
    const phone = await waitUntil(() => events.find((e) => e['event'] === 'Newchannel' && at(e) >= since && String(e['channel']).startsWith('PJSIP/101-')), 5000, "anna's phone channel");
    const linkedId = String(phone['linkedid']);
    const toClient = await waitUntil(() => events.find((e) => e['event'] === 'DialBegin' && e['linkedid'] === linkedId && String(e['destchannel']).includes(digits(num(1)))), 5000, 'DialBegin to the client');
    expect(at(toClient)).toBeGreaterThan(at(phone));

    await pageA.waitForTimeout(3000); // some talk, for the recording
    const ch = (await coreShowChannels()).find((c) => c.linkedid === linkedId && c.channel.startsWith('PJSIP/101-'));
    expect(ch, "anna's leg of the click-to-call").toBeTruthy();
    await hangupChannel(ch!.channel);
    await card.locator('[data-testid="c2c-status"][data-stage="ended"]').waitFor({ timeout: 15_000 });
    const stages = await pageA.evaluate(() => (window as unknown as { __stages: string[] }).__stages);
    // Live progress, in order (an auto-answering phone may pass "calling you" before the page hears of the request).
    const order = ['requested', 'calling_you', 'calling_client', 'talking', 'ended'];
    expect(stages.map((s) => order.indexOf(s))).toEqual([...stages.map((s) => order.indexOf(s))].sort((a, b) => a - b));
    expect(stages).toEqual(expect.arrayContaining(['calling_client', 'talking', 'ended']));

    const rows = await waitForCdr(linkedId, 30_000);
    const dialRow = rows.find((r) => r.channel.startsWith('PJSIP/101-') && r.lastapp === 'Dial');
    expect(dialRow?.dst).toBe(digits(num(1)));
    expect(dialRow?.disposition).toBe('ANSWERED');

    // In the history, with a recording that plays and downloads.
    const logged = await loggedCall(svc!, admin, linkedId, 30_000);
    expect(logged.origin).toBe('click2call');
    await waitUntil(async () => (await api(svc!, `/api/v1/calls/${logged.id}`, admin)).body?.recording, 20_000, 'the recording');
    await closePops(pageA); // the wrap-up of the click-to-call can wait
    await pageA.goto(`${svc!.url}/#/calls`);
    const row = pageA.locator(`[data-testid="call-row"][data-linked-id="${linkedId}"]`);
    await row.waitFor({ timeout: 15_000 });
    const player = row.getByTestId('recording-player');
    await player.waitFor();
    const played = await player.evaluate(async (el) => {
      const a = el as unknown as { play(): Promise<void>; currentTime: number; duration: number; readyState: number };
      await a.play().catch(() => undefined);
      const until = Date.now() + 8000;
      while (Date.now() < until && a.currentTime <= 0) await new Promise((r) => setTimeout(r, 100));
      return { currentTime: a.currentTime, duration: a.duration, readyState: a.readyState };
    });
    expect(played.currentTime > 0 || (played.readyState >= 1 && played.duration > 0), JSON.stringify(played)).toBe(true);
    const href = (await row.getByTestId('recording-download').getAttribute('href'))!;
    expect(await pageFetchStatus(pageA, href)).toBe(200);
    expect(await pageFetchStatus(pageA, href, { range: 'bytes=0-99' })).toBe(206);
    await player.evaluate((el) => (el as unknown as { pause(): void }).pause());
    await closePops(pageA);
    await shot(pageA, 'browser-calls.png');
  });

  it('a missed call creates a callback task for the responsible manager', async () => {
    const ctx = await newUserContext(browser);
    try {
      const page = await login(ctx, svc!.url, 'sleepy', PASSWORD);
      const h = await inboundCall({ from: num(3), did: DID, timeoutSeconds: 40 });
      const rows = await waitForCdr(h.linkedid, 40_000);
      expect(rows.filter((r) => r.lastapp === 'Dial' && r.dstchannel.startsWith('PJSIP/')).every((r) => r.disposition !== 'ANSWERED')).toBe(true);
      const call = await loggedCall(svc!, admin, h.linkedid, 30_000);
      expect(call.disposition).toBe('no_answer');
      await page.goto(`${svc!.url}/#/tasks`);
      const task = page.locator(`[data-testid="task-row"][data-kind="callback"][data-call-id="${call.id}"]`);
      await expect.poll(async () => {
        if (await task.count()) return true;
        await page.reload();
        return false;
      }, { timeout: 20_000, interval: 1000 }).toBe(true);
      expect(digits(await task.innerText())).toContain(digits(num(3)).slice(-10));
      // The client tries again and misses again: the same task counts it (live), no second task.
      const again = await inboundCall({ from: num(3), did: DID, timeoutSeconds: 40 });
      const second = await loggedCall(svc!, admin, again.linkedid, 60_000);
      expect(second.disposition).toBe('no_answer');
      await expect.poll(async () => (await task.getByTestId('task-missed').count()) ? await task.getByTestId('task-missed').innerText() : '', { timeout: 20_000 })
        .toMatch(/missed 2 times/);
      expect(await page.locator(`[data-testid="task-row"][data-kind="callback"][data-call-id="${second.id}"]`).count()).toBe(0);
    } finally {
      await ctx.close();
    }
  });

  it("manager B gets 403 for A's call and A's recording, and does not see it in the log", async () => {
    const call = await loggedCall(svc!, admin, annasLinkedId);
    expect(call.recording, "anna's call was recorded").toBeTruthy();
    expect(await pageFetchStatus(pageB, `/api/v1/calls/${call.id}`)).toBe(403);
    expect(await pageFetchStatus(pageB, call.recording.url)).toBe(403);
    expect(await pageFetchStatus(pageA, `/api/v1/calls/${call.id}`)).toBe(200);
    await pageB.goto(`${svc!.url}/#/calls`);
    await pageB.getByTestId('calls-table').waitFor();
    expect(await pageB.locator(`[data-testid="call-row"][data-linked-id="${annasLinkedId}"]`).count()).toBe(0);
  });
});
