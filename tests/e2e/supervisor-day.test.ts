// The supervisor's and the manager's day in the browser (issue 11), end to end on the sandbox Asterisk:
// a callback task names the client and says when the call was missed, "overdue" stands as a word of its
// own, and the Call button is offered only to a user with a phone (items 8); the live board has a card
// only for users' phones, none for a phone nobody has (102, 103, the test phone 199), and a manager's
// card in a call shows the call's own talk time, the row's number (item 12). Each test stands alone: it
// makes its own calls and opens its own pages.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext } from 'playwright-core';
import { closeSandbox, inboundCall, sandboxAmi } from '../support/sandbox.js';
import { api, loggedCall, newDbFile, startService, type ServiceProcess } from '../support/service.js';
import { launchChromium, login, newUserContext, screenshotPath, seedLoginUser } from '../support/browser.js';

const PASSWORD = 'correct horse battery';
const RUN = String(Math.floor(Math.random() * 900) + 100);
const num = (n: number) => `+7927${RUN}${String(n).padStart(4, '0')}`;
const CLIENT = num(1);
const TZ = 'Europe/Moscow';

let svc: ServiceProcess;
let admin: string;
let browser: Browser;
const contexts: BrowserContext[] = [];

/** Seconds in a "talk time 1:05" text. */
const seconds = (text: string) => (/(\d+(?::\d\d)+)/.exec(text)?.[1] ?? '').split(':').reduce((a, p) => a * 60 + Number(p), 0);
/** A call's time as the English page writes it (format.ts dateTime: en-GB, the browser's zone). */
const enTime = (iso: string) => new Date(iso).toLocaleString('en-GB', { day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: TZ });

/** A logged-in page of NAME in LANG (switched in the header: another test may have saved the other one). */
async function pageOf(name: string, lang: 'ru' | 'en') {
  const ctx = await newUserContext(browser);
  contexts.push(ctx);
  const page = await login(ctx, svc.url, name, PASSWORD);
  await page.getByTestId('language-switch').selectOption(lang);
  await page.getByTestId('logout').filter({ hasText: lang === 'ru' ? 'Выйти' : 'Log out' }).waitFor();
  return page;
}

beforeAll(async () => {
  await sandboxAmi();
  const dbFile = newDbFile();
  admin = (await seedLoginUser(dbFile, 'root', 'admin', { password: PASSWORD })).token;
  // sveta has no phone; 102, 103 and 199 are phones nobody has.
  await seedLoginUser(dbFile, 'sveta', 'supervisor', { password: PASSWORD, language: 'ru' });
  await seedLoginUser(dbFile, 'anna', 'manager', { extension: '101', password: PASSWORD, language: 'en' });
  await seedLoginUser(dbFile, 'sleepy', 'manager', { extension: '198', password: PASSWORD, language: 'en' });
  // A missed call's callback is due at once: it is overdue as soon as it is made.
  svc = await startService({
    dbFile, env: { CTI_CALLBACK_DUE_MINUTES: '0' },
    rules: { defaultTarget: { extension: '101' }, managerRingSeconds: 5, targetRingSeconds: 5, tiers: [] },
  });
  const h = { 'content-type': 'application/json' };
  const c = await api(svc, '/api/v1/clients', admin, { method: 'POST', headers: h, body: JSON.stringify({ kind: 'company', name: 'Northwind Trading', ownerName: 'sleepy' }) });
  expect(c.status).toBe(201);
  const ct = await api(svc, '/api/v1/contacts', admin, {
    method: 'POST', headers: h, body: JSON.stringify({ clientId: c.body.id, name: 'Ivan Petrov', phones: [{ number: CLIENT, label: 'mobile' }] }),
  });
  expect(ct.status).toBe(201);
  browser = await launchChromium();
});

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await svc?.stop();
  await closeSandbox();
});

describe('callback tasks (issue 11, item 8)', () => {
  it("a missed call's task names the contact and client and when it was missed; 'overdue' is a word of its own; Call only for a user with a phone", async () => {
    // The client calls; their owner sleepy's phone 198 rings and nobody answers.
    const h = await inboundCall({ from: CLIENT, did: '8005550198', timeoutSeconds: 40 });
    const call = await loggedCall(svc, admin, h.linkedid, 40_000);
    expect(call.disposition).toBe('no_answer');
    // Every open task, page after page: the sandbox's CDR may bring earlier runs' missed calls (imported at start).
    type T = { id: string; callId: string; missedAt: string };
    let task: T | undefined;
    let cursor = '';
    do {
      const r = await api(svc, `/api/v1/tasks?state=open&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, admin);
      task = (r.body.items as T[]).find((x) => x.callId === call.id);
      cursor = r.body.nextCursor ?? '';
    } while (!task && cursor);
    expect(task, 'the callback task of our missed call').toBeTruthy();
    expect(Date.parse(task!.missedAt)).toBeGreaterThanOrEqual(Date.parse(call.startedAt) - 1000);
    expect(Date.parse(task!.missedAt)).toBeLessThanOrEqual(Date.parse(call.endedAt));

    // sleepy (English, phone 198): their own task.
    const page = await pageOf('sleepy', 'en');
    await page.goto(`${svc.url}/#/tasks`);
    const row = page.locator(`[data-testid="task-row"][data-call-id="${call.id}"]`);
    await row.waitFor({ timeout: 10_000 });
    expect(await row.getByTestId('task-client').innerText()).toBe('Ivan Petrov, Northwind Trading');
    expect(await row.getByTestId('task-missed-at').innerText()).toBe(`missed at ${enTime(task!.missedAt)}`);
    expect(await row.getByTestId('task-overdue').innerText()).toBe('overdue');
    // A word of its own: a space between the due time and the badge, not "15:24overdue".
    expect(await row.innerText()).toMatch(/Due: \d\d\/\d\d\/\d{4}, \d\d:\d\d overdue/);
    expect(await row.getByTestId('c2c-button').count()).toBe(1);

    // sveta (Russian, a supervisor without a phone): the task among the overdue, with no Call button.
    const sup = await pageOf('sveta', 'ru');
    await sup.goto(`${svc.url}/#/tasks`);
    const overdue = sup.getByTestId('overdue-tasks').locator(`[data-testid="task-row"][data-call-id="${call.id}"]`);
    await overdue.waitFor({ timeout: 10_000 });
    expect(await overdue.getByTestId('task-client').innerText()).toBe('Ivan Petrov, Northwind Trading');
    expect(await overdue.getByTestId('task-missed-at').innerText()).toMatch(/^пропущен \d\d\.\d\d\.\d{4}, \d\d:\d\d$/);
    expect(await overdue.innerText()).toMatch(/Срок: \d\d\.\d\d\.\d{4}, \d\d:\d\d просрочена/);
    expect(await overdue.innerText()).toContain('Исполнитель: sleepy');
    expect(await overdue.getByTestId('c2c-button').count()).toBe(0);
    expect(await overdue.getByTestId('task-done').innerText()).toBe('Выполнено');
    const shot = screenshotPath('tasks-supervisor-ru.png');
    if (shot) await sup.screenshot({ path: shot, fullPage: true });
  });
});

describe("the live board's managers (issue 11, item 12)", () => {
  it('a card only for users\' phones: none for 102, 103 (nobody\'s) or the test phone 199, not even after a call to 199', async () => {
    const busy = await inboundCall({ from: num(2), did: '74950000199' });
    await loggedCall(svc, admin, busy.linkedid, 30_000);
    const page = await pageOf('sveta', 'ru');
    await page.goto(`${svc.url}/#/live`);
    await page.getByTestId('live-board').waitFor();
    const cards = page.getByTestId('live-manager');
    await expect.poll(() => cards.evaluateAll((els) => els.map((e) => e.getAttribute('data-extension')))).toEqual(['101', '198']);
    expect(await cards.allInnerTexts()).toEqual([expect.stringContaining('anna'), expect.stringContaining('sleepy')]);
    // Today's counters have no row for 199 either.
    expect(await page.locator('[data-testid="live-counters-row"][data-extension="199"]').count()).toBe(0);
    expect(await page.getByRole('heading', { name: /^Сегодня, \d\d\.\d\d\.\d{4}$/ }).count()).toBe(1);
  });

  it("a manager in a call: the card shows the call's talk time, the same as the call's row", async () => {
    const page = await pageOf('sveta', 'en');
    await page.goto(`${svc.url}/#/live`);
    await page.getByTestId('live-board').waitFor();
    const h = await inboundCall({ from: num(3), did: '74950000000', talkSeconds: 8, timeoutSeconds: 40 });
    const row = page.locator('[data-testid="live-call-row"][data-state="talking"]').filter({ hasText: num(3) });
    await row.waitFor({ timeout: 15_000 });
    const card = page.locator('[data-testid="live-manager"][data-extension="101"]');
    await expect.poll(() => card.getByTestId('live-manager-clock').getAttribute('data-clock'), { timeout: 10_000 }).toBe('talk');
    await expect.poll(() => row.getByTestId('live-call-duration').innerText().then(seconds), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    // Read both in one go (the page ticks once a second).
    const callId = await row.getAttribute('data-call-id');
    const [cardText, rowText] = await page.evaluate((id) => [
      document.querySelector('[data-testid="live-manager"][data-extension="101"] [data-testid="live-manager-clock"]')!.textContent!,
      document.querySelector(`[data-testid="live-call-row"][data-call-id="${id}"] [data-testid="live-call-duration"]`)!.textContent!,
    ], callId);
    expect(cardText).toMatch(/^talk time \d+:\d\d$/);
    expect(seconds(cardText)).toBe(seconds(rowText));
    expect(await page.locator('table[data-testid="live-calls"] thead').innerText()).toContain('Talk time');
    // A free phone says how long it has been free, in words.
    expect(await page.locator('[data-testid="live-manager"][data-extension="198"] [data-testid="live-manager-clock"]').innerText()).toMatch(/^for \d+:\d\d$/);
    await loggedCall(svc, admin, h.linkedid, 40_000);
  });
});
