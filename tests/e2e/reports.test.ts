// The supervisors' report end to end: real calls on the sandbox Asterisk (two answered by anna's phone 101,
// recorded; one to the busy phone 199), then Debian's Chromium on the built web app: a supervisor opens
// the report, sees the charts drawn, anna's row with the answered count, drills into the cell, plays a
// recording, exports the table and the list as CSV; a manager gets "no access" and the API's 403.
// The sandbox's CDR keeps earlier runs' calls, which a fresh database imports at start (before the
// service answers /healthz): the expected figures are the report's before our calls plus our calls,
// each checked against Asterisk's CDR.
// Set CTI_E2E_SCREENSHOTS=docs to refresh the README's screenshots.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { closeSandbox, inboundCall, sandboxAmi, waitForCdr, waitUntil } from '../support/sandbox.js';
import { api, loggedCall, newDbFile, startService, type ServiceProcess } from '../support/service.js';
import { launchChromium, login, newUserContext, pageFetchStatus, screenshotPath, seedLoginUser } from '../support/browser.js';
import { dayAfter, quickRange, todayIn } from '../../web/src/reports-model.js';

const PASSWORD = 'correct horse battery';
const TZ = 'Europe/Moscow'; // CTI_TIMEZONE's default: the page's "this month" is Moscow's
const RUN = String(Math.floor(Math.random() * 900) + 100);
const num = (n: number) => `+7926${RUN}${String(n).padStart(4, '0')}`;

let svc: ServiceProcess;
let supervisorToken: string;
let browser: Browser;
let ctx: BrowserContext;
let page: Page;
/** The page's default range (this month in Moscow), as the API takes it. */
const month = quickRange('thisMonth', todayIn(TZ));
const range = `from=${month.from}&to=${dayAfter(month.to)}`;
let before = { answered101: 0, missed199: 0 };
const answeredLinkedIds: string[] = [];

type Row = { extension: string | null; metrics: Record<string, { value: number | null }> };
async function reportRows(): Promise<Row[]> {
  const r = await api(svc, `/api/v1/reports/calls?${range}&groupBy=manager`, supervisorToken);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.rows;
}
const metric = (rows: Row[], ext: string, m: string) => rows.find((r) => r.extension === ext)?.metrics[m]?.value ?? 0;

async function shot(p: Page, name: string, fullPage = true): Promise<void> {
  const path = screenshotPath(name);
  if (path) await p.screenshot({ path, fullPage });
}

beforeAll(async () => {
  await sandboxAmi();
  const dbFile = newDbFile();
  supervisorToken = (await seedLoginUser(dbFile, 'sveta', 'supervisor', { password: PASSWORD, language: 'en' })).token;
  await seedLoginUser(dbFile, 'anna', 'manager', { extension: '101', password: PASSWORD, language: 'en' });
  svc = await startService({ dbFile });
  const rows = await reportRows();
  before = { answered101: metric(rows, '101', 'answered'), missed199: 0 };

  // Two calls anna answers (the client talks 5 s: recorded), one to the busy phone 199 (missed).
  for (const n of [1, 2]) {
    const h = await inboundCall({ from: num(n), did: '74950000101', talkSeconds: 5 });
    const cdr = await waitForCdr(h.linkedid, 30_000);
    expect(cdr.filter((r) => r.lastapp === 'Dial' && r.dstchannel.startsWith('PJSIP/')).map((r) => [r.dstchannel.slice(6, 9), r.disposition]))
      .toEqual([['101', 'ANSWERED']]);
    answeredLinkedIds.push(h.linkedid);
  }
  const busy = await inboundCall({ from: num(3), did: '74950000199' });
  expect((await waitForCdr(busy.linkedid, 30_000)).some((r) => r.lastapp === 'Dial' && r.dstchannel.startsWith('PJSIP/199') && r.disposition === 'BUSY')).toBe(true);
  for (const id of [...answeredLinkedIds, busy.linkedid]) await loggedCall(svc, supervisorToken, id, 30_000);
  const last = await loggedCall(svc, supervisorToken, answeredLinkedIds[1]!);
  await waitUntil(async () => (await api(svc, `/api/v1/calls/${last.id}`, supervisorToken)).body?.recording, 20_000, 'the recording');

  browser = await launchChromium();
  ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'en-GB', timezoneId: TZ, acceptDownloads: true });
  page = await login(ctx, svc.url, 'sveta', PASSWORD);
});

afterAll(async () => {
  await browser?.close();
  await svc?.stop();
  await closeSandbox();
});

/** Pixels of the canvas drawn in exactly this colour (a bar's fill), and all non-transparent ones. */
function canvasPixels(p: Page, testid: string, color: string): Promise<{ match: number; drawn: number; width: number }> {
  return p.getByTestId(testid).evaluate((el, want) => {
    const c = el as HTMLCanvasElement;
    const probe = document.createElement('canvas').getContext('2d')!;
    probe.fillStyle = want;
    probe.fillRect(0, 0, 1, 1);
    const [r, g, b] = probe.getImageData(0, 0, 1, 1).data;
    const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let match = 0;
    let drawn = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3]! > 0) drawn++;
      if (data[i] === r && data[i + 1] === g && data[i + 2] === b && data[i + 3] === 255) match++;
    }
    return { match, drawn, width: c.width };
  }, color);
}

describe("the supervisors' report", () => {
  it("shows anna's answered calls in the table and the chart, in KPI band colours", async () => {
    await page.getByRole('link', { name: 'Reports' }).click();
    const row = page.locator('[data-testid="report-row"][data-extension="101"]');
    await row.waitFor({ timeout: 10_000 });
    const answered = row.locator('[data-testid="report-cell"][data-metric="answered"]');
    expect(Number(await answered.getAttribute('data-value'))).toBe(before.answered101 + 2);
    expect(await answered.innerText()).toBe(String(before.answered101 + 2));
    expect(await row.locator('th').innerText()).toBe('anna (101)');
    // 199 is the sandbox's test phone, nobody's: no row (issue 11, item 12).
    expect(await page.locator('[data-testid="report-row"][data-extension="199"]').count()).toBe(0);
    // Counts are not banded; anna's answer rate stands on fewer than 5 calls: not red, no band.
    expect(await answered.getAttribute('data-band')).toBeNull();
    expect(await row.locator('[data-testid="report-cell"][data-metric="answerRate"]').getAttribute('data-band')).not.toBe('red');
    expect(await page.getByTestId('report-kpi-legend').innerText()).toContain('90 %');
    // No previous data is no fall: no change painted down, no red cell in the previous row; the change
    // row says there is nothing to compare with (the sandbox's CDR may hold calls of last month: then numbers).
    expect(await page.locator('[data-testid="report-previous"] td.band-red').count()).toBe(0);
    const previousCalls = (await api(svc, `/api/v1/reports/calls?${range}&groupBy=manager`, supervisorToken)).body.previous.metrics.calls.value;
    if (previousCalls === 0) {
      expect(await page.getByTestId('report-no-previous').innerText()).toBe('No calls in the previous period: nothing to compare with.');
      expect(await page.locator('[data-testid="report-change"] td.worse').count()).toBe(0);
    } else {
      expect(await page.getByTestId('report-no-previous').count()).toBe(0);
    }
    // The period compared with is written as the page writes dates (dd/mm/yyyy in English).
    expect(await page.getByTestId('report-compared').innerText()).toMatch(/^Compared with \d\d\/\d\d\/\d{4} – \d\d\/\d\d\/\d{4}\./);

    // The chart is drawn: anna's bar in the answered colour, the legend's too.
    const color = await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--chart-answered').trim() || '#2f9e44');
    await expect.poll(async () => (await canvasPixels(page, 'chart-calls', color)).match, { timeout: 10_000 }).toBeGreaterThan(200);
    const talk = await canvasPixels(page, 'chart-talk', await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--chart-talk').trim()));
    expect(talk.drawn).toBeGreaterThan(1000);

    // The wide table scrolls in its own box, not the page; scrolled, the manager column stays in view.
    // (A narrow window, so that it is wider than its box whatever the outcomes configured.)
    await page.setViewportSize({ width: 900, height: 900 });
    const box = page.getByTestId('report-scroll');
    expect(await box.evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(true);
    // The page itself does not scroll sideways once the charts have followed the new width (Chart.js
    // resizes its canvases a frame or two after the window: on a loaded machine the first look came first).
    await expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), { timeout: 5000 }).toBe(true);
    expect(await row.locator('th').evaluate((el) => getComputedStyle(el).position)).toBe('sticky');
    // It shows that it scrolls: a line that says so, a fade on the right edge while columns are behind it.
    const frame = page.locator('.scroll-frame').filter({ has: box });
    await expect.poll(() => frame.getAttribute('data-more-right')).toBe('');
    expect(await page.getByTestId('report-scroll-hint').innerText()).toContain('scroll it sideways');
    expect(await frame.evaluate((el) => getComputedStyle(el, '::after').backgroundImage)).toContain('gradient');
    const flatShadow = await row.locator('th').evaluate((el) => getComputedStyle(el).boxShadow);
    await box.evaluate((el) => { el.scrollLeft = el.scrollWidth; });
    const [boxAt, nameAt] = [(await box.boundingBox())!, (await row.locator('th').boundingBox())!];
    expect(Math.abs(nameAt.x - boxAt.x)).toBeLessThan(2);
    // Scrolled to the end: no fade on the right, a shadow under the sticky column instead.
    await expect.poll(() => frame.getAttribute('data-more-right')).toBeNull();
    expect(await frame.getAttribute('data-more-left')).toBe('');
    const shadow = await row.locator('th').evaluate((el) => getComputedStyle(el).boxShadow);
    expect(shadow).not.toBe(flatShadow);
    expect(shadow).toMatch(/ 8px 0px 10px -4px/);
    await box.evaluate((el) => { el.scrollLeft = 0; });
    await page.setViewportSize({ width: 1440, height: 900 });
    await shot(page, 'reports.png');
  });

  it('drills into the cell: exactly its calls, with recordings that play', async () => {
    const row = page.locator('[data-testid="report-row"][data-extension="101"]');
    await row.locator('[data-testid="report-cell"][data-metric="answered"] button').click();
    const drill = page.getByTestId('drill');
    await drill.waitFor();
    expect(await drill.getByTestId('drill-title').innerText()).toBe('Answered: anna (101)');
    const total = before.answered101 + 2;
    await expect.poll(() => drill.getByTestId('call-row').count()).toBe(Math.min(total, 50));
    expect(await drill.getByTestId('drill-count').innerText()).toBe(`${Math.min(total, 50)} of ${total} calls`);
    // Only anna's answered calls.
    for (const text of await drill.getByTestId('call-row').allInnerTexts()) {
      expect(text).toContain('101');
      expect(text).toContain('Answered');
    }
    const ours = drill.locator(`[data-testid="call-row"][data-linked-id="${answeredLinkedIds[1]}"]`);
    const player = ours.getByTestId('recording-player');
    await player.waitFor();
    const played = await player.evaluate(async (el) => {
      const a = el as HTMLAudioElement;
      await a.play().catch(() => undefined);
      const until = Date.now() + 8000;
      while (Date.now() < until && a.currentTime < 0.5) await new Promise((r) => setTimeout(r, 100));
      const t = a.currentTime;
      a.pause();
      return { currentTime: t, duration: a.duration };
    });
    expect(played.currentTime, JSON.stringify(played)).toBeGreaterThan(0.4);
    expect(played.duration).toBeGreaterThan(3);
    // The download link is whole inside the panel, not cut at its edge, also in a narrower window.
    await page.setViewportSize({ width: 1100, height: 900 });
    const [panelAt, linkAt] = [(await drill.boundingBox())!, (await ours.getByTestId('recording-download').boundingBox())!];
    expect(linkAt.x + linkAt.width).toBeLessThanOrEqual(panelAt.x + panelAt.width);
    await page.setViewportSize({ width: 1440, height: 900 });
    await drill.evaluate((el) => window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 320)); // the table's foot too
    await shot(page, 'reports-drill.png', false); // the panel's top: the list goes on below

    // The list as CSV: BOM, then our call.
    const [download] = await Promise.all([page.waitForEvent('download'), drill.getByTestId('drill-csv').click()]);
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv.charCodeAt(0)).toBe(0xfeff);
    const call = await loggedCall(svc, supervisorToken, answeredLinkedIds[1]!);
    expect(csv).toContain(call.id);
    expect(csv.split('\r\n').filter(Boolean)).toHaveLength(1 + total);
  });

  it('exports the table as CSV for Excel', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('report-csv').click()]);
    expect(download.suggestedFilename()).toBe('calls-report.csv');
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv.charCodeAt(0)).toBe(0xfeff);
    const lines = csv.slice(1).split('\r\n').map((l) => l.split(';'));
    const header = lines[0]!;
    const anna = lines.find((l) => l[0] === '101');
    expect(anna, csv).toBeTruthy();
    expect(anna![1]).toBe('anna');
    expect(Number(anna![header.indexOf('Answered')])).toBe(before.answered101 + 2);
  });

  it('exports the calls page as CSV with its filters', async () => {
    await page.goto(`${svc.url}/#/calls`);
    await page.getByTestId('filter-direction').selectOption('inbound');
    await page.getByTestId('filter-disposition').selectOption('busy');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('calls-csv').click()]);
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv.charCodeAt(0)).toBe(0xfeff);
    const rows = csv.slice(1).split('\r\n').filter(Boolean).slice(1).map((l) => l.split(';'));
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r[1] === 'Inbound' && r[4] === 'Busy'), csv).toBe(true);
    expect(rows.some((r) => r[2] === num(3))).toBe(true); // our call to the busy 199
    await page.goto(`${svc.url}/#/reports`);
    await page.locator('[data-testid="report-row"][data-extension="101"]').waitFor();
  });

  it('takes quick periods, groups by manager and day, filters by direction', async () => {
    const today = todayIn(TZ);
    const dmy = (ymd: string, sep: string) => ymd.split('-').reverse().join(sep);
    await page.getByTestId('quick-today').click();
    // Dates as the page's language writes them (dd/mm/yyyy in English), not the browser's.
    // The field shows a new value once the page has drawn it (an effect): polled, not read at once.
    await expect.poll(() => page.getByTestId('report-from').inputValue()).toBe(dmy(today, '/'));
    await expect.poll(() => page.getByTestId('report-to').inputValue()).toBe(dmy(today, '/'));
    // A date typed that is no day is refused, and the field says what it wants; the range stays.
    await page.getByTestId('report-from').fill('31/02/2026');
    await page.getByTestId('report-from').press('Enter');
    expect(await page.getByTestId('report-from-problem').innerText()).toBe('Type a date as dd/mm/yyyy.');
    expect(await page.getByTestId('report-from').getAttribute('aria-invalid')).toBe('true');
    // A real one is taken: the first of this month, typed with dots, reads back as the page writes it.
    await page.getByTestId('report-from').fill(dmy(month.from, '.'));
    await page.getByTestId('report-from').press('Enter');
    await expect.poll(() => page.getByTestId('report-from').inputValue()).toBe(dmy(month.from, '/'));
    expect(await page.getByTestId('report-from-problem').count()).toBe(0);
    await page.getByTestId('quick-today').click();
    await expect.poll(() => page.getByTestId('report-from').inputValue()).toBe(dmy(today, '/'));
    await page.getByTestId('report-group').selectOption('manager,day');
    const row = page.locator(`[data-testid="report-row"][data-extension="101"][data-period="${today}"]`);
    await row.waitFor();
    const cell = (m: string) => row.locator(`[data-testid="report-cell"][data-metric="${m}"]`);
    const fromApi = async (extra: string) => {
      const r = await api(svc, `/api/v1/reports/calls?from=${today}&to=${dayAfter(today)}&groupBy=manager,day${extra}`, supervisorToken);
      return (r.body.rows as Row[]).find((x) => x.extension === '101')?.metrics;
    };
    const all = (await fromApi(''))!;
    expect(all['answered']!.value).toBeGreaterThanOrEqual(2);
    await expect.poll(async () => Number(await cell('answered').getAttribute('data-value'))).toBe(all['answered']!.value);
    // One line per manager over the days, drawn.
    await expect.poll(async () => (await canvasPixels(page, 'chart-calls', '#000')).drawn, { timeout: 10_000 }).toBeGreaterThan(1000);

    // By manager and hour: one line per manager when the calls span several hours, else bars; drawn either way.
    await page.getByTestId('report-group').selectOption('manager,hour');
    await page.locator(`[data-testid="report-row"][data-extension="101"][data-period^="${today}T"]`).first().waitFor();
    await expect.poll(async () => (await canvasPixels(page, 'chart-talk', '#000')).drawn, { timeout: 10_000 }).toBeGreaterThan(1000);
    await shot(page, 'reports-by-hour.png');
    await page.getByTestId('report-group').selectOption('manager,day');
    await row.waitFor();

    await page.getByTestId('report-direction').selectOption('inbound');
    const inbound = (await fromApi('&direction=inbound'))!;
    await expect.poll(async () => Number(await cell('callsOut').getAttribute('data-value'))).toBe(0);
    expect(Number(await cell('calls').getAttribute('data-value'))).toBe(inbound['calls']!.value);
    // The export carries the filters the page shows.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('report-csv').click()]);
    const csv = readFileSync((await download.path())!, 'utf8');
    const lines = csv.slice(1).split('\r\n').map((l) => l.split(';'));
    expect(lines.find((l) => l[0] === '101')![lines[0]!.indexOf('Outbound')]).toBe('0');

    await page.getByTestId('report-direction').selectOption('');
    await page.getByTestId('quick-thisMonth').click();
    await page.getByTestId('report-group').selectOption('manager');
    await page.locator('[data-testid="report-row"][data-extension="101"][data-period=""]').waitFor();
  });

  it('speaks Russian', async () => {
    if (await page.getByTestId('drill').count()) await page.getByTestId('drill-close').click();
    await page.getByTestId('language-switch').selectOption('ru');
    await page.getByRole('heading', { name: 'Отчёт по звонкам' }).waitFor();
    await page.getByRole('link', { name: 'Отчёты' }).waitFor();
    await page.locator('[data-testid="report-row"][data-extension="101"]').waitFor();
    expect(await page.locator('table[data-testid="report-table"] thead').innerText()).toContain('Отвечено');
    // Russian dates in the date fields too, whatever the browser's locale (en-GB here).
    await expect.poll(() => page.getByTestId('report-from').inputValue()).toMatch(/^\d\d\.\d\d\.\d{4}$/);
    expect(await page.getByTestId('report-from').getAttribute('placeholder')).toBe('дд.мм.гггг');
    await expect.poll(async () => (await canvasPixels(page, 'chart-calls', '#000')).drawn, { timeout: 10_000 }).toBeGreaterThan(1000);
    await shot(page, 'reports-ru.png');
    await page.getByTestId('language-switch').selectOption('en');
  });

  it('a manager gets "no access", and the API answers 403', async () => {
    const mctx = await newUserContext(browser);
    try {
      const m = await login(mctx, svc.url, 'anna', PASSWORD);
      // The tab's icon is inline in index.html and draws (without one Chromium asks for /favicon.ico,
      // a 404 on every load; that request is the browser's own, not seen by page events).
      const iconWidth = await m.evaluate(async () => {
        const link = document.querySelector<HTMLLinkElement>('link[rel="icon"]');
        if (!link) return 0;
        const img = new Image();
        img.src = link.href;
        await img.decode();
        return img.naturalWidth;
      });
      expect(iconWidth).toBeGreaterThan(0);
      expect(await m.getByRole('link', { name: 'Reports' }).count()).toBe(0);
      await m.goto(`${svc.url}/#/reports`);
      await m.getByTestId('no-access').waitFor();
      const noAccess = 'Only supervisors and administrators may open this page.';
      expect(await m.getByTestId('no-access').innerText()).toContain(noAccess);
      expect(await m.getByTestId('report-table').count()).toBe(0);
      // Every page a manager may not open says the same, with its own title: no silent redirect.
      for (const [hash, title, who] of [['routing', 'Routing rules', noAccess], ['live', 'Live board', noAccess], ['users', 'Users', 'Only administrators may open this page.']] as const) {
        await m.goto(`${svc.url}/#/${hash}`);
        await expect.poll(() => m.getByTestId('no-access').locator('h2').innerText().catch(() => '')).toBe(title);
        expect(await m.getByTestId('no-access').getByRole('alert').innerText()).toContain(who);
        expect(await m.getByTestId('contacts-search').count()).toBe(0);
      }
      expect(await pageFetchStatus(m, `/api/v1/reports/calls?${range}`)).toBe(403);
      expect(await pageFetchStatus(m, `/api/v1/reports/calls?${range}&format=csv`)).toBe(403);
    } finally {
      await mctx.close();
    }
  });
});
