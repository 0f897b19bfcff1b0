// The routing rules form in Chromium: an admin changes a tier's threshold and a ring time, saves, and
// finds them after a reload and in the API; a value the service refuses is said at its field and nothing
// is saved; the JSON tab edits the same rules; a supervisor sees the form read-only, said as such.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { closeSandbox, sandboxAmi } from '../support/sandbox.js';
import { newDbFile, startService, type ServiceProcess } from '../support/service.js';
import { launchChromium, login, screenshotPath, seedLoginUser } from '../support/browser.js';

const PASSWORD = 'correct horse battery';
const RULES = {
  priorManager: { enabled: true, windowDays: 90, useOwner: true },
  managerRingSeconds: 20,
  targetRingSeconds: 60,
  currency: 'RUB',
  tiers: [
    { name: 'small', minTurnover: 0, target: { extension: '103' } },
    { name: 'key', minTurnover: 100_000, target: { group: ['101', '102'] } },
  ],
  defaultTarget: { extension: '101' },
  deadlineMs: 300,
};

let svc: ServiceProcess;
let browser: Browser;
let admin: Page;
let adminToken: string;
const rulesFile = () => `${svc.dbFile}.routing.json`;

async function rulesInForce(): Promise<typeof RULES> {
  const r = await fetch(`${svc.url}/api/v1/routing/rules`, { headers: { authorization: `Bearer ${adminToken}` } });
  return await r.json() as typeof RULES;
}

async function openForm(page: Page): Promise<void> {
  await page.goto(`${svc.url}/#/routing`);
  await page.reload(); // a fresh page: nothing left over from the test before
  await page.getByTestId('routing-form').waitFor();
}

async function shot(page: Page, name: string): Promise<void> {
  const path = screenshotPath(name);
  if (path) await page.screenshot({ path, fullPage: true });
}

beforeAll(async () => {
  await sandboxAmi();
  const dbFile = newDbFile();
  adminToken = (await seedLoginUser(dbFile, 'adm', 'admin', { password: PASSWORD, language: 'en' })).token;
  await seedLoginUser(dbFile, 'sveta', 'supervisor', { password: PASSWORD, language: 'ru' });
  for (const [name, ext] of [['anna', '101'], ['boris', '102'], ['olga', '103']] as const) {
    await seedLoginUser(dbFile, name, 'manager', { extension: ext, password: PASSWORD });
  }
  svc = await startService({ dbFile, rules: RULES });
  browser = await launchChromium();
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'en-GB', timezoneId: 'Europe/Moscow' });
  admin = await login(ctx, svc.url, 'adm', PASSWORD);
});

afterAll(async () => {
  await browser?.close();
  await svc?.stop();
  await closeSandbox();
});

describe('the routing rules form', () => {
  it('an admin changes a tier threshold and a ring time, saves, reloads and sees them; the API has them', async () => {
    await openForm(admin);
    // Targets name the person on the phone, chosen from the users' phones.
    expect(await admin.getByTestId('routing-tiers.0.target-extension').evaluate((el) => (el as HTMLSelectElement).selectedOptions[0]!.text)).toBe('olga · 103');
    expect(await admin.getByTestId('routing-tier-to').first().innerText()).toBe('100,000 RUB');
    await shot(admin, 'routing-en.png');

    await admin.getByTestId('routing-tiers.1.minTurnover').fill('250 000');
    await admin.getByTestId('routing-targetRingSeconds').fill('45');
    await admin.getByTestId('routing-save').click();
    expect(await admin.getByTestId('routing-saved').innerText()).toBe('Saved. The rules are in force.');

    await admin.reload();
    await admin.getByTestId('routing-form').waitFor();
    expect(await admin.getByTestId('routing-tiers.1.minTurnover').inputValue()).toBe('250000');
    expect(await admin.getByTestId('routing-targetRingSeconds').inputValue()).toBe('45');
    expect(await admin.getByTestId('routing-tier-to').first().innerText()).toBe('250,000 RUB');
    const rules = await rulesInForce();
    expect(rules.tiers[1]).toEqual({ name: 'key', minTurnover: 250_000, target: { group: ['101', '102'] } });
    expect(rules.targetRingSeconds).toBe(45);
    expect(JSON.parse(readFileSync(rulesFile(), 'utf8'))).toEqual(rules);
  });

  it('a value the service refuses is said next to its field, and nothing is saved', async () => {
    const before = await rulesInForce();
    await openForm(admin);
    await admin.getByTestId('routing-managerRingSeconds').fill('500');
    await admin.getByTestId('routing-save').click();
    expect(await admin.getByTestId('routing-error').innerText()).toBe('Not saved: fix the fields marked in red.');
    const field = admin.locator('[data-field="managerRingSeconds"]');
    expect(await field.getByTestId('routing-problem').innerText()).toBe('At most 120.');
    expect(await field.locator('input').getAttribute('aria-invalid')).toBe('true');
    await shot(admin, 'routing-error-en.png');
    expect(await rulesInForce()).toEqual(before);

    // Thresholds out of order: said at the tier's threshold as it is typed (the service's check).
    await admin.getByTestId('routing-managerRingSeconds').fill('20');
    await admin.getByTestId('routing-tiers.1.minTurnover').fill('0');
    const threshold = admin.locator('[data-field="tiers.1.minTurnover"] [data-testid="routing-problem"]');
    await threshold.waitFor();
    expect(await threshold.innerText()).toBe('Must be above the previous tier\'s threshold (0): tiers go from the lowest turnover to the highest.');
    expect(await admin.locator('[data-field="managerRingSeconds"] [data-testid="routing-problem"]').count()).toBe(0);
    await admin.getByTestId('routing-save').click();
    await admin.getByTestId('routing-error').waitFor();
    expect(await rulesInForce()).toEqual(before);
  });

  it('the JSON tab edits the same rules as the form', async () => {
    await openForm(admin);
    await admin.getByTestId('routing-tiers.0.name').fill('retail');
    await admin.getByTestId('routing-tab-json').click();
    const json = JSON.parse(await admin.getByTestId('routing-rules').inputValue()) as typeof RULES;
    expect(json.tiers[0]!.name).toBe('retail');
    // JSON the service refuses goes into the form as typed, the problem at its field.
    await admin.getByTestId('routing-rules').fill(JSON.stringify({ ...json, managerRingSeconds: 500 }, null, 2));
    await admin.getByTestId('routing-tab-form').click();
    const ring = admin.locator('[data-field="managerRingSeconds"]');
    await ring.getByTestId('routing-problem').waitFor();
    expect(await ring.locator('input').inputValue()).toBe('500');
    expect(await ring.getByTestId('routing-problem').innerText()).toBe('At most 120.');
    await admin.getByTestId('routing-tab-json').click();
    await shot(admin, 'routing-json-en.png');
    await admin.getByTestId('routing-rules').fill(JSON.stringify({ ...json, defaultTarget: { queue: 'sales' } }, null, 2));
    await admin.getByTestId('routing-tab-form').click();
    expect(await admin.getByTestId('routing-defaultTarget-kind').inputValue()).toBe('queue');
    expect(await admin.getByTestId('routing-defaultTarget-queue').inputValue()).toBe('sales');
    expect(await admin.getByTestId('routing-tiers.0.name').inputValue()).toBe('retail');
    await admin.getByTestId('routing-save').click();
    await admin.getByTestId('routing-saved').waitFor();
    expect(await rulesInForce()).toMatchObject({ defaultTarget: { queue: 'sales' }, tiers: [{ name: 'retail' }, { name: 'key' }] });
  });

  it('a supervisor sees the rules read-only, said as such: no enabled field, no save', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'ru-RU', timezoneId: 'Europe/Moscow' });
    try {
      const page = await login(ctx, svc.url, 'sveta', PASSWORD);
      await openForm(page);
      expect(await page.getByTestId('routing-read-only').innerText()).toBe('Вы видите эти правила, но менять их может только администратор.');
      expect(await page.getByTestId('routing-tiers.0.name').inputValue()).not.toBe('');
      const enabled = await page.locator('main form').locator('input:enabled, select:enabled, textarea:enabled, button:enabled').count();
      expect(enabled).toBe(0);
      expect(await page.getByTestId('routing-save').count()).toBe(0);
      expect(await page.getByTestId('routing-tab-json').count()).toBe(0);
      await shot(page, 'routing-readonly-ru.png');
    } finally {
      await ctx.close();
    }
  });
});
