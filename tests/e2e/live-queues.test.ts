// The live board's queue panel in Chromium against the sandbox Asterisk (issue 12, item 3): a supervisor
// sees the queues sales and night with their members named by the users on their phones; a member paused
// over AMI with a reason reads "Paused: <reason>" on the page within a moment, in English and in Russian,
// and free again once unpaused. Set CTI_E2E_SCREENSHOTS=/some/dir for screenshots.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { amiAction, closeSandbox } from '../support/sandbox.js';
import { newDbFile, startService, type ServiceProcess } from '../support/service.js';
import { launchChromium, login, screenshotPath, seedLoginUser } from '../support/browser.js';

const PASSWORD = 'correct horse battery';
let svc: ServiceProcess;
let browser: Browser;
let page: Page;

const pause = (paused: boolean, reason?: string) => amiAction({
  action: 'QueuePause', queue: 'sales', interface: 'PJSIP/101', paused: paused ? 'true' : 'false', ...(reason ? { reason } : {}),
});
const member = (queue: string, ext: string) => page.locator(`[data-testid="live-queue"][data-queue="${queue}"] [data-testid="live-queue-member"][data-extension="${ext}"]`);

beforeAll(async () => {
  const dbFile = newDbFile();
  await seedLoginUser(dbFile, 'sveta', 'supervisor', { password: PASSWORD, language: 'en' });
  await seedLoginUser(dbFile, 'anna', 'manager', { extension: '101', password: PASSWORD });
  await seedLoginUser(dbFile, 'boris', 'manager', { extension: '102', password: PASSWORD });
  await seedLoginUser(dbFile, 'vera', 'manager', { extension: '198', password: PASSWORD });
  svc = await startService({ dbFile });
  browser = await launchChromium();
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'en-GB', timezoneId: 'Europe/Moscow' });
  page = await login(ctx, svc.url, 'sveta', PASSWORD);
});

afterAll(async () => {
  await pause(false).catch(() => undefined);
  await browser?.close();
  await svc?.stop();
  await closeSandbox();
});

describe('queues on the live board', () => {
  it('lists each queue with its members by name; a pause with a reason reads as such, in English and Russian', async () => {
    await page.getByRole('link', { name: 'Live board' }).click();
    await member('sales', '101').waitFor({ timeout: 15_000 });
    expect(await page.locator('[data-testid="live-queue"][data-queue="sales"] [data-testid="live-queue-member"]').evaluateAll(
      (els) => els.map((e) => e.getAttribute('data-extension')),
    )).toEqual(['101', '102']);
    expect(await member('sales', '101').innerText()).toContain('anna');
    expect(await member('night', '198').innerText()).toContain('vera');
    expect(await page.locator('[data-testid="live-queue"][data-queue="sales"] [data-testid="live-queue-waiting"]').innerText()).toBe('waiting: 0');

    await pause(true, 'lunch');
    await expect.poll(() => member('sales', '101').getAttribute('data-state'), { timeout: 10_000 }).toBe('paused');
    expect(await member('sales', '101').getByTestId('live-queue-member-state').innerText()).toBe('Paused: lunch');
    // A pause is no call: app_queue's pause device (Queue:sales_pause_PJSIP/101, INUSE) leaves anna's phone as it was.
    expect(await page.locator('[data-testid="live-manager"][data-extension="101"]').getAttribute('data-state')).not.toBe('talking');
    // Paused in sales only: 101 in no other queue, 102 untouched.
    expect(await member('sales', '102').getAttribute('data-state')).not.toBe('paused');
    await page.getByTestId('live-queues').scrollIntoViewIfNeeded();
    const shot = screenshotPath('live-queues-en.png');
    if (shot) await page.screenshot({ path: shot });

    await page.getByTestId('language-switch').selectOption('ru');
    await pause(true, 'обед');
    await expect.poll(() => member('sales', '101').getByTestId('live-queue-member-state').innerText(), { timeout: 10_000 }).toBe('Пауза: обед');
    const shotRu = screenshotPath('live-queues-ru.png');
    if (shotRu) await page.screenshot({ path: shotRu });

    await pause(false);
    await expect.poll(() => member('sales', '101').getAttribute('data-state'), { timeout: 10_000 }).not.toBe('paused');
    expect(await member('sales', '101').getByTestId('live-queue-member-state').innerText()).not.toContain('Пауза');
    await page.getByTestId('language-switch').selectOption('en');
  });
});
