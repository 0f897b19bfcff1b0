// The README's screenshots, taken from the real product: the built service (`npm run build` first) on a
// fresh temporary SQLite with the demo's people and clients, real calls through the sandbox Asterisk
// (so the calls list, the reports and the live board have rows), and Chromium at 1366x768 logged in as
// anna (manager: her pages, a pop and its wrap-up), sveta (supervisor: the live board and the reports)
// and admin (users, routing), in Russian and in English: docs/<page>-<lang>.png.
//
//   npm run build && npm run screenshots -- [--out DIR] [--only calls,pop,reports-en,...]
//
// Needs root for the sandbox (sandbox/pbx.sh up; started here when it is not up, and stopped again).
// While it runs the sandbox phones 101-103 answer by hand (this script answers them after a few seconds
// of ringing, like the demo); they are switched back to auto-answer at the end, on Ctrl-C too.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { originateOf } from '../src/cli/demo.js';
import { upsertClientByExternalId } from '../src/contacts/clients.js';
import { upsertContactByExternalId } from '../src/contacts/contacts.js';
import { SYSTEM_ACTOR } from '../src/contacts/context.js';
import { openDb } from '../src/db/client.js';
import { DEMO_CLIENTS, DEMO_PASSWORD, DEMO_USERS, type DemoClient } from '../src/demo/data.js';
import { addUser, createToken } from '../src/users/users.js';
import { launchChromium, login } from '../tests/support/browser.js';
import { amiAction, type AmiAction, closeSandbox, inboundCall, loadSandboxEnv, Phone, PROJECT_ROOT, sandboxAmi, sandboxDir, waitForCdr, waitUntil } from '../tests/support/sandbox.js';
import { api, loggedCall, startService, type ServiceProcess } from '../tests/support/service.js';

const LANGS = ['ru', 'en'] as const;
type Lang = (typeof LANGS)[number];
const PAGES = ['login', 'calls', 'contacts', 'contact-card', 'pop', 'wrapup', 'tasks', 'reports', 'reports-drill',
  'reports-by-hour', 'live', 'routing', 'users'] as const;
type PageName = (typeof PAGES)[number];
const VIEWPORT = { width: 1366, height: 768 };
const TZ = 'Europe/Moscow';
const started = Date.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class ShotError extends Error {}

// ------------------------------------------------------------------------------------------ options

function parseArgs(argv: string[]): { out: string; only: Set<string> | null } {
  let out = join(PROJECT_ROOT, 'docs');
  let only: Set<string> | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (!v) throw new ShotError(`${a} needs a value`);
      return v;
    };
    if (a === '--out') out = resolve(value());
    else if (a === '--only') only = new Set(value().split(',').map((s) => s.trim()).filter(Boolean));
    else if (a === '--help' || a === '-h') {
      console.log(`usage: npm run screenshots -- [--out DIR] [--only NAME,...]\n  pages: ${PAGES.join(', ')}\n  a name may carry its language: calls-en, pop-ru`);
      process.exit(0);
    } else throw new ShotError(`unknown option ${a} (try --help)`);
  }
  for (const n of only ?? []) {
    const page = n.replace(/-(ru|en)$/, '');
    if (!(PAGES as readonly string[]).includes(page)) throw new ShotError(`--only: no page "${n}" (pages: ${PAGES.join(', ')})`);
  }
  return { out, only };
}

const opts = (() => {
  try {
    return parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`screenshots: ${(err as Error).message}`);
    process.exit(2);
  }
})();
const wanted = (page: PageName, lang?: Lang) =>
  !opts.only || opts.only.has(page) || (lang ? opts.only.has(`${page}-${lang}`) : LANGS.some((l) => opts.only!.has(`${page}-${l}`)));
const wantedIn = (lang: Lang, ...pages: PageName[]) => pages.some((p) => wanted(p, lang));

// ------------------------------------------------------------------------------------------ the data

/**
 * A manager's book is more than the demo's one client each: anna's extra clients, so her contacts page
 * looks like a working manager's (the demo's four clients stay as they are; routing uses them).
 */
const ANNA_EXTRA_CLIENTS: readonly (Omit<DemoClient, 'turnover'> & { turnover: number | null })[] = [
  {
    ext: 'shots-severny', name: 'ООО «Северный ветер»', turnover: 120_000, owner: 'anna', phone: '+79031234501',
    contacts: [
      { name: 'Дмитрий Волков', phones: [{ number: '+79031234501', label: 'мобильный' }] },
      { name: 'Ольга Павлова', phones: [{ number: '+74951234502', label: 'рабочий' }] },
    ],
  },
  {
    ext: 'shots-granit', name: 'АО «Гранит»', turnover: 310_000, owner: 'anna', phone: '+74951234504',
    contacts: [{ name: 'Наталья Егорова', phones: [{ number: '+74951234504', label: 'рабочий' }, { number: '+79031234505', label: 'мобильный' }] }],
  },
  {
    ext: 'shots-technosfera', name: 'ООО «ТехноСфера»', turnover: 85_000, owner: 'anna', phone: '+79031234503',
    contacts: [{ name: 'Алексей Новиков', phones: [{ number: '+79031234503', label: 'мобильный' }] }],
  },
  {
    ext: 'shots-fedorov', name: 'ИП Фёдоров', turnover: 9_500, owner: 'anna', phone: '+79031234506',
    contacts: [{ name: 'Павел Фёдоров', phones: [{ number: '+79031234506', label: 'мобильный' }] }],
  },
  {
    // No turnover yet, so no tier: its calls ring anna, then the dialled number's own phone.
    ext: 'shots-alfa', name: 'ООО «Альфа Строй»', turnover: null, owner: 'anna', phone: '+79031234508',
    contacts: [{ name: 'Виктор Зайцев', phones: [{ number: '+79031234508', label: 'рабочий' }] }],
  },
];

/** The demo's routing rules (config/routing.example.json with the demo's shorter rings). */
function demoRules(): object {
  const example = JSON.parse(readFileSync(join(PROJECT_ROOT, 'config/routing.example.json'), 'utf8')) as Record<string, unknown>;
  return { ...example, managerRingSeconds: 10, targetRingSeconds: 15 };
}

/** Seeds the users (password DEMO_PASSWORD), clients and contacts; returns the users' API tokens and contacts' ids by external id. */
async function seed(dbFile: string): Promise<{ tokens: Record<string, string>; contactIds: Record<string, string> }> {
  const h = openDb(dbFile);
  try {
    for (const u of DEMO_USERS) await addUser(h.db, { ...u, password: DEMO_PASSWORD, language: 'ru' });
    const ctx = { db: h.db, actor: SYSTEM_ACTOR, region: 'RU', rematchWindowMs: 30 * 86_400_000 };
    const contactIds: Record<string, string> = {};
    // As `cti demo` seeds them (src/cli/demo.ts).
    for (const c of [...DEMO_CLIENTS, ...ANNA_EXTRA_CLIENTS]) {
      await upsertClientByExternalId(ctx, c.ext, { kind: 'company', name: c.name, turnover: c.turnover, currency: c.turnover === null ? null : 'RUB', ownerName: c.owner });
      for (const [i, p] of c.contacts.entries()) {
        contactIds[`${c.ext}-${i + 1}`] = (await upsertContactByExternalId(ctx, `${c.ext}-${i + 1}`, { clientExternalId: c.ext, name: p.name, phones: p.phones })).contact.id;
      }
    }
    return { tokens: Object.fromEntries(DEMO_USERS.map((u) => [u.name, createToken(h.db, u.name)])), contactIds };
  } finally {
    h.close();
  }
}

// ------------------------------------------------------------------------------------------ calls

/**
 * The sandbox's CEL file from now on, copied as Asterisk writes it into the service's own CTI_CEL_FILE: the
 * service's reconciler imports every recent call of the file it reads, so on the sandbox's own file the
 * fresh database would fill with the calls of earlier runs (and of the tests). Returns the stop function.
 */
function mirrorLog(source: string, target: string): () => void {
  let offset = existsSync(source) ? statSync(source).size : 0;
  writeFileSync(target, '');
  const copy = () => {
    let size: number;
    try {
      size = statSync(source).size;
    } catch {
      return; // no file yet
    }
    if (size < offset) offset = 0; // rotated
    if (size === offset) return;
    const buf = Buffer.alloc(size - offset);
    const fd = openSync(source, 'r');
    try {
      readSync(fd, buf, 0, buf.length, offset);
    } finally {
      closeSync(fd);
    }
    appendFileSync(target, buf);
    offset = size;
  };
  const timer = setInterval(copy, 200);
  return () => clearInterval(timer);
}

interface Wrapup { description: string; outcome: string; nextStep?: { inHours: number; description: string } }
type PlannedCall =
  | { kind: 'inbound'; from: string; did: string; talk: number; /** seconds the phone rings before it is answered; null: never */ ring: number | null; wrapup?: Wrapup }
  | { kind: 'click2call'; to: string; talk: number; ring: number; wrapup?: Wrapup };

const did = (ext: string) => `74950000${ext}`;

/** Each phone's calls, one after another; the phones in parallel. Routing sends each to that phone. */
const TRAFFIC: Record<string, PlannedCall[]> = {
  '101': [
    { kind: 'inbound', from: '+79160000001', did: did('101'), talk: 14, ring: 3, wrapup: { description: 'Уточнили объём поставки на март, отправила КП.', outcome: 'quote_sent', nextStep: { inHours: 20, description: 'Перезвонить Ирине: решение по КП' } } },
    { kind: 'click2call', to: '+79261110011', talk: 9, ring: 2, wrapup: { description: 'Договорились о встрече в офисе во вторник.', outcome: 'consultation' } },
    // Nobody answers: anna's client rings her first, then denis's phone, which never answers (a missed
    // call). 198 is free by then: its own lane's one call is over.
    { kind: 'inbound', from: '+79031234508', did: did('198'), talk: 0, ring: null },
    { kind: 'inbound', from: '+79261110001', did: did('101'), talk: 20, ring: 4, wrapup: { description: 'Подтвердила заказ, счёт выставлен.', outcome: 'sale' } },
  ],
  '102': [
    { kind: 'inbound', from: '+79160000002', did: did('102'), talk: 22, ring: 3, wrapup: { description: 'Запросил оптовый прайс и условия отсрочки.', outcome: 'quote_sent', nextStep: { inHours: 44, description: 'Согласовать отсрочку платежа с финансами' } } },
    { kind: 'inbound', from: '+79160000003', did: did('102'), talk: 11, ring: 2, wrapup: { description: 'Недовольна сроками доставки, передал в логистику.', outcome: 'complaint' } },
    { kind: 'inbound', from: '+79165550177', did: did('102'), talk: 6, ring: 5, wrapup: { description: 'Искали сервисный центр.', outcome: 'wrong_number' } },
  ],
  '103': [
    { kind: 'inbound', from: '+79160000004', did: did('103'), talk: 16, ring: 2, wrapup: { description: 'Консультация по новому ассортименту.', outcome: 'consultation' } },
    { kind: 'inbound', from: '+79165550119', did: did('103'), talk: 7, ring: 3, wrapup: { description: 'Новый клиент, просит перезвонить после обеда.', outcome: 'callback_requested', nextStep: { inHours: 3, description: 'Перезвонить по прайсу' } } },
    { kind: 'click2call', to: '+79160000004', talk: 12, ring: 2, wrapup: { description: 'Продлили договор на год.', outcome: 'sale' } },
  ],
  // denis's phone never answers (a missed call, a callback task); 199 is always busy. (An unknown
  // number on anna's DID would ring the whole default group: the dialplan cannot tell DID 101 from its
  // default target PJSIP/101, so every lane here rings its own phones only.)
  '198': [{ kind: 'inbound', from: '+79165550163', did: did('198'), talk: 0, ring: null }],
  '199': [{ kind: 'inbound', from: '+79165550101', did: did('199'), talk: 0, ring: null }],
};

/** The sandbox's phones 101-103, answered by hand (baresip's manual answer mode) while the script runs. */
const phones = new Map<string, Phone>();
async function manualPhones(): Promise<void> {
  for (const ext of ['101', '102', '103']) {
    const p = await new Phone(ext).open();
    const r = await p.command('answermode', 'manual');
    if (!r.ok) throw new ShotError(`phone ${ext}: answermode manual refused: ${r.data}`);
    phones.set(ext, p);
  }
}
async function autoPhones(): Promise<void> {
  for (const p of phones.values()) {
    await p.command('answermode', 'auto').catch(() => undefined);
    p.close();
  }
  phones.clear();
}

/**
 * Places one call that rings `ext` and answers it after `ring` seconds (never when null); resolves
 * once it is over and logged, with the logged call.
 */
async function placeCall(svc: ServiceProcess, token: string, ext: string, call: PlannedCall, onRinging?: () => Promise<void>): Promise<{ id: string; disposition: string }> {
  const phone = phones.get(ext);
  phone?.clearEvents();
  let linkedId: string;
  if (call.kind === 'inbound') {
    linkedId = (await inboundCall({ from: call.from, did: call.did, talkSeconds: call.talk || undefined, timeoutSeconds: 40 })).linkedid;
  } else {
    linkedId = randomUUID();
    await amiAction(originateOf({ kind: 'click2call', extension: ext, to: call.to, talkSeconds: call.talk, phones: [ext] }, linkedId) as AmiAction);
  }
  if (phone) {
    await phone.waitFor('CALL_INCOMING', 15_000);
    await onRinging?.();
    if (call.ring !== null) {
      await sleep(call.ring * 1000);
      await phone.answer();
    }
  }
  await waitForCdr(linkedId, 90_000);
  return loggedCall(svc, token, linkedId, 30_000);
}

async function writeWrapup(svc: ServiceProcess, token: string, callId: string, w: Wrapup): Promise<void> {
  const nextStep = w.nextStep ? { dueAt: new Date(Math.ceil((Date.now() + w.nextStep.inHours * 3_600_000) / 1_800_000) * 1_800_000).toISOString(), description: w.nextStep.description } : null;
  const r = await api(svc, `/api/v1/calls/${callId}/wrapup`, token, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ description: w.description, outcome: w.outcome, nextStep }),
  });
  if (r.status !== 200) throw new ShotError(`wrap-up of call ${callId}: ${r.status} ${JSON.stringify(r.body)}`);
}

const EXT_OF: Record<string, string> = Object.fromEntries(DEMO_USERS.filter((u) => u.extension).map((u) => [u.extension!, u.name]));

async function traffic(svc: ServiceProcess, tokens: Record<string, string>): Promise<void> {
  const t0 = Date.now();
  const n = Object.values(TRAFFIC).flat().length;
  console.log(`placing ${n} calls through the sandbox (about a minute and a half)...`);
  await Promise.all(Object.entries(TRAFFIC).map(async ([ext, lane]) => {
    for (const call of lane) {
      const logged = await placeCall(svc, tokens['admin']!, ext, call);
      if (!call.wrapup) continue;
      // Not answered after all (a phone that rang for another call meanwhile): no wrap-up, and it shows.
      if (logged.disposition !== 'answered') console.warn(`  warning: the call from ${ext} planned as answered ended ${logged.disposition}`);
      else await writeWrapup(svc, tokens[EXT_OF[ext]!]!, logged.id, call.wrapup);
    }
  }));
  console.log(`  ${n} calls logged in ${Math.round((Date.now() - t0) / 1000)} s`);
}

// ------------------------------------------------------------------------------------------ pages

const problems = new WeakMap<Page, string[]>();

async function newContext(browser: Browser, lang: Lang): Promise<BrowserContext> {
  return browser.newContext({ viewport: VIEWPORT, locale: lang === 'ru' ? 'ru-RU' : 'en-GB', timezoneId: TZ, deviceScaleFactor: 1 });
}

function watch(page: Page): Page {
  const list: string[] = [];
  problems.set(page, list);
  page.on('pageerror', (err) => list.push(`script error: ${err.message}`));
  page.on('response', (r) => { if (r.status() >= 500) list.push(`${r.status()} from ${r.url()}`); });
  return page;
}

async function loginAs(browser: Browser, url: string, lang: Lang, name: string): Promise<Page> {
  const ctx = await newContext(browser, lang);
  const page = await login(ctx, url, name, DEMO_PASSWORD);
  watch(page);
  const shown = await page.evaluate(() => document.documentElement.lang);
  if (shown !== lang) throw new ShotError(`${name}'s page is in "${shown}", not "${lang}"`);
  return page;
}

/** Fails when the page shows an error, a "no access" page, the PBX down, or the login form instead. */
async function assertNoError(page: Page, name: string, expectLogin = false): Promise<void> {
  const found: string[] = [...(problems.get(page) ?? [])];
  for (const el of await page.locator('[role="alert"]:visible, [data-testid="no-access"]:visible, [data-testid="live-pbx-down"]:visible').all()) {
    found.push((await el.innerText()).trim().replace(/\s+/g, ' ').slice(0, 200));
  }
  if (!expectLogin && (await page.getByTestId('login-username').count()) > 0) found.push('the login page is shown (logged out?)');
  if (found.length) throw new ShotError(`${name}: the page shows an error: ${found.join(' | ')}`);
}

const written: string[] = [];
async function shoot(page: Page, pageName: PageName, lang: Lang, opts2: { fullPage?: boolean; expectLogin?: boolean } = {}): Promise<void> {
  const name = `${pageName}-${lang}`;
  await page.evaluate(() => document.fonts.ready);
  await page.waitForFunction(() => document.querySelectorAll('[aria-busy="true"]').length === 0, undefined, { timeout: 10_000 })
    .catch(() => { throw new ShotError(`${name}: still loading after 10 s`); });
  await sleep(300); // charts and late rows settle
  await assertNoError(page, name, opts2.expectLogin);
  mkdirSync(opts.out, { recursive: true });
  const path = join(opts.out, `${name}.png`);
  await page.screenshot({ path, fullPage: opts2.fullPage ?? false });
  written.push(path);
  console.log(`  wrote ${path}`);
}

/** Waits for what makes a page that page (its rows), with a clear message when it never comes. */
async function ready(page: Page, what: string, selector: string, timeoutMs = 15_000): Promise<void> {
  await page.locator(selector).first().waitFor({ timeout: timeoutMs }).catch(async () => {
    await assertNoError(page, what);
    throw new ShotError(`${what}: ${selector} never appeared (the page has: ${(await page.locator('main, body').first().innerText()).slice(0, 300).replace(/\s+/g, ' ')})`);
  });
}

const go = (page: Page, url: string, hash: string) => page.goto(`${url}/#${hash}`);

const WRAPUP_TEXT: Record<Lang, string> = {
  ru: 'Ирина уточнила сроки отгрузки, отправлю обновлённое КП до конца дня.',
  en: 'Irina asked about delivery dates; sending the updated quote by the end of the day.',
};

async function shootLanguage(browser: Browser, svc: ServiceProcess, { tokens, contactIds }: Awaited<ReturnType<typeof seed>>, lang: Lang): Promise<void> {
  console.log(`${lang}:`);
  const url = svc.url;
  // Everyone speaks this language now (their own setting, as the header's switch saves it).
  const users = (await api<{ items: { id: string; name: string }[] }>(svc, '/api/v1/users', tokens['admin']!)).body.items;
  for (const u of users) {
    const r = await api(svc, `/api/v1/users/${u.id}`, tokens['admin']!, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ language: lang }) });
    if (r.status !== 200) throw new ShotError(`language of ${u.name}: ${r.status} ${JSON.stringify(r.body)}`);
  }

  if (wanted('login', lang)) {
    const page = watch(await (await newContext(browser, lang)).newPage());
    await page.goto(`${url}/`);
    await ready(page, 'login', '[data-testid="login-username"]');
    await shoot(page, 'login', lang, { expectLogin: true });
    await page.context().close();
  }

  if (wantedIn(lang, 'calls', 'contacts', 'contact-card', 'pop', 'wrapup', 'tasks')) {
    const anna = await loginAs(browser, url, lang, 'anna');
    if (wanted('contacts', lang)) {
      await go(anna, url, '/contacts');
      await ready(anna, 'contacts', '[data-testid="contact-row"]');
      await shoot(anna, 'contacts', lang);
    }
    if (wantedIn(lang, 'pop', 'wrapup')) {
      // A real call from Irina (anna's client) rings anna's phone while her page is open.
      await go(anna, url, '/contacts');
      await ready(anna, 'contacts', '[data-testid="contact-row"]');
      const pop = anna.locator('[data-testid="pop"]').first();
      await placeCall(svc, tokens['admin']!, '101', { kind: 'inbound', from: '+79160000001', did: did('101'), talk: 6, ring: 6 }, async () => {
        await pop.waitFor({ timeout: 10_000 });
        await ready(anna, 'pop', '[data-testid="pop"] [data-testid="pop-contact-name"]', 5000);
        await ready(anna, 'pop', '[data-testid="pop"] [data-testid="pop-last-calls"]', 5000).catch(() => undefined);
        if (wanted('pop', lang)) await shoot(anna, 'pop', lang);
      });
      const wrap = anna.locator('[data-testid="pop"][data-phase="wrapup"]');
      await ready(anna, 'wrapup', '[data-testid="pop"][data-phase="wrapup"] [data-testid="wrapup-form"]');
      await wrap.getByTestId('wrapup-description').fill(WRAPUP_TEXT[lang]);
      await wrap.getByTestId('wrapup-outcome').selectOption('quote_sent');
      if (wanted('wrapup', lang)) await shoot(anna, 'wrapup', lang);
      await wrap.getByTestId('wrapup-submit').click();
      await wrap.waitFor({ state: 'detached', timeout: 10_000 });
      // "Saved" closes by itself after a few seconds; the next pages are shot without it.
      await anna.locator('[data-testid="pop"]').waitFor({ state: 'detached', timeout: 15_000 });
    }
    if (wanted('contact-card', lang)) {
      await go(anna, url, `/contacts/${contactIds['demo-romashka-1']}`);
      await ready(anna, 'contact-card', '[data-testid="contact-card"] [data-testid="call-row"]');
      await shoot(anna, 'contact-card', lang, { fullPage: true });
    }
    if (wanted('calls', lang)) {
      await go(anna, url, '/calls');
      await ready(anna, 'calls', '[data-testid="call-row"]');
      await shoot(anna, 'calls', lang, { fullPage: true });
    }
    if (wanted('tasks', lang)) {
      await go(anna, url, '/tasks');
      await ready(anna, 'tasks', '[data-testid="task-row"]');
      await shoot(anna, 'tasks', lang);
    }
    await anna.context().close();
  }

  let liveCalls: Promise<unknown> = Promise.resolve();
  if (wantedIn(lang, 'live', 'reports', 'reports-drill', 'reports-by-hour')) {
    const sveta = await loginAs(browser, url, lang, 'sveta');
    if (wanted('live', lang)) {
      await go(sveta, url, '/live');
      await ready(sveta, 'live', '[data-testid="live-board"]');
      // Two calls in progress and one caller waiting on denis's phone, which never answers.
      liveCalls = Promise.all([
        placeCall(svc, tokens['admin']!, '102', { kind: 'inbound', from: '+79160000002', did: did('102'), talk: 20, ring: 2 }),
        placeCall(svc, tokens['admin']!, '103', { kind: 'inbound', from: '+79160000004', did: did('103'), talk: 20, ring: 3 }),
        sleep(4000).then(() => placeCall(svc, tokens['admin']!, '198', { kind: 'inbound', from: '+79165550155', did: did('198'), talk: 0, ring: null })),
      ]);
      liveCalls.catch(() => undefined);
      await waitUntil(async () => (await sveta.locator('[data-testid="live-call-row"][data-state="talking"]').count()) >= 2
        && (await sveta.getByTestId('live-waiting-row').count()) >= 1, 20_000, 'two calls in progress and one waiting on the live board', 200)
        .catch((err: Error) => { throw new ShotError(`live: ${err.message}`); });
      await sleep(7000); // the durations run (the calls talk 20 s)
      await shoot(sveta, 'live', lang, { fullPage: true });
    }
    if (wantedIn(lang, 'reports', 'reports-drill', 'reports-by-hour')) {
      await go(sveta, url, '/reports');
      const annaRow = '[data-testid="report-row"][data-extension="101"]';
      await ready(sveta, 'reports', annaRow);
      if (wanted('reports', lang)) await shoot(sveta, 'reports', lang, { fullPage: true });
      if (wanted('reports-drill', lang)) {
        await sveta.locator(`${annaRow} [data-testid="report-cell"][data-metric="answered"] button`).click();
        await ready(sveta, 'reports-drill', '[data-testid="drill"] [data-testid="call-row"]');
        await sleep(800); // the page scrolls to the list (smoothly); then its top is put at the window's
        await sveta.getByTestId('drill').evaluate((el) => el.scrollIntoView({ block: 'start', behavior: 'instant' }));
        await shoot(sveta, 'reports-drill', lang);
        await sveta.getByTestId('drill-close').click();
      }
      if (wanted('reports-by-hour', lang)) {
        await sveta.getByTestId('report-group').selectOption('manager,hour');
        await ready(sveta, 'reports-by-hour', `${annaRow}[data-period]:not([data-period=""])`);
        await shoot(sveta, 'reports-by-hour', lang, { fullPage: true });
      }
    }
    await sveta.context().close();
  }

  // The admin's pages (a supervisor sees the rules read-only).
  if (wantedIn(lang, 'users', 'routing')) {
    const admin = await loginAs(browser, url, lang, 'admin');
    if (wanted('users', lang)) {
      await go(admin, url, '/users');
      await ready(admin, 'users', '[data-testid="user-row"]');
      await shoot(admin, 'users', lang);
    }
    if (wanted('routing', lang)) {
      await go(admin, url, '/routing');
      await ready(admin, 'routing', '[data-testid^="routing-"]');
      await shoot(admin, 'routing', lang);
    }
    await admin.context().close();
  }
  await liveCalls; // the phones are free again for the next language
}

// ------------------------------------------------------------------------------------------ main

function checkBuilt(): void {
  for (const f of ['dist/src/server.js', 'web/dist/index.html']) {
    if (!existsSync(join(PROJECT_ROOT, f))) throw new ShotError(`${f} is missing: run \`npm run build\` first (this script builds nothing)`);
  }
}

/** Starts the sandbox when it is not up; returns whether it did (then it is stopped at the end). */
function ensureSandbox(): boolean {
  const pbx = join(PROJECT_ROOT, 'sandbox/pbx.sh');
  if (spawnSync('bash', [pbx, 'status'], { stdio: 'ignore' }).status === 0 && existsSync(join(sandboxDir(), 'sandbox.env'))) return false;
  console.log('the sandbox PBX is not up: starting it (sandbox/pbx.sh up, needs root)');
  const up = spawnSync('bash', [pbx, 'up'], { stdio: 'inherit' });
  if (up.status !== 0) throw new ShotError('the sandbox PBX did not come up (see above); it needs root and scripts/install-deps.sh');
  return true;
}

let cleanup: () => Promise<void> = async () => {};
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    console.error(`\nscreenshots: ${sig}, cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

async function main(): Promise<void> {
  checkBuilt();
  const startedPbx = ensureSandbox();
  const dir = mkdtempSync(join(tmpdir(), 'cti-shots-'));
  const dbFile = join(dir, 'cti.sqlite');
  let svc: ServiceProcess | null = null;
  let browser: Browser | null = null;
  let ok = false;
  let stopMirror = () => {};
  cleanup = async () => {
    cleanup = async () => {};
    stopMirror();
    await autoPhones();
    await browser?.close().catch(() => undefined);
    await svc?.stop().catch(() => undefined);
    await closeSandbox().catch(() => undefined);
    if (startedPbx) spawnSync('bash', [join(PROJECT_ROOT, 'sandbox/pbx.sh'), 'down'], { stdio: 'inherit' });
    if (ok) rmSync(dir, { recursive: true, force: true });
    else console.error(`screenshots: the service's log and database are kept in ${dir}`);
  };
  try {
    await sandboxAmi();
    const seeded = await seed(dbFile);
    const { tokens } = seeded;
    const celFile = join(dir, 'cel.csv');
    stopMirror = mirrorLog(loadSandboxEnv().CTI_CEL_FILE, celFile);
    svc = await startService({ dbFile, rules: demoRules(), env: { CTI_LOG_LEVEL: 'info', CTI_CEL_FILE: celFile } });
    console.log(`service on ${svc.url} (database ${dbFile})`);
    await manualPhones();
    const needsTraffic = LANGS.some((l) => wantedIn(l, 'calls', 'contact-card', 'tasks', 'reports', 'reports-drill', 'reports-by-hour'));
    if (needsTraffic) await traffic(svc, tokens);
    browser = await launchChromium();
    for (const lang of LANGS) await shootLanguage(browser, svc, seeded, lang);
    ok = true;
  } finally {
    await cleanup();
  }
  console.log(`${written.length} screenshots in ${Math.round((Date.now() - started) / 1000)} s`);
}

main().catch((err: Error) => {
  console.error(`screenshots: ${err instanceof ShotError ? err.message : err.stack ?? err.message}`);
  process.exit(1);
});
