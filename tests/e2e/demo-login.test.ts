// The demo's login page (a service started as the demo, CTI_DEMO=true): its logins are listed beside the
// form, whole on a 1366x768 screen, in Russian and in English; a click on a name signs in, and the demo
// user then speaks the browser's language whatever was saved for them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { DEMO_PASSWORD, DEMO_USERS } from '../../src/demo/data.js';
import { newDbFile, startService, type ServiceProcess } from '../support/service.js';
import { launchChromium, screenshotPath, seedLoginUser } from '../support/browser.js';

let svc: ServiceProcess;
let browser: Browser;

beforeAll(async () => {
  const dbFile = newDbFile();
  // Saved languages opposite to the browsers below: the browser's must win.
  for (const u of DEMO_USERS) {
    await seedLoginUser(dbFile, u.name, u.role, { extension: u.extension ?? undefined, password: DEMO_PASSWORD, language: u.name === 'sveta' ? 'en' : 'ru' });
  }
  svc = await startService({ dbFile, env: { CTI_DEMO: 'true' }, waitConnected: false });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await svc?.stop();
});

const screen = (locale: string) => browser.newContext({ viewport: { width: 1366, height: 768 }, locale, timezoneId: 'Europe/Moscow' });

describe('the demo login page', () => {
  for (const [locale, lines] of [
    ['ru-RU', ['Менеджер, телефон 101 — клиенты звонят каждые полминуты', 'Менеджер, телефон 198 — не отвечает: пропущенные звонки и задачи перезвонить', 'Руководитель: отчёты и табло', 'Администратор: пользователи и маршрутизация']],
    ['en-US', ['Manager, phone 101 — a client calls every half minute', 'Manager, phone 198 — never answers: missed calls and callback tasks', 'Supervisor: reports and the live board', 'Administrator: users and routing']],
  ] as const) {
    it(`names every demo login beside the form, whole at 1366x768 (${locale})`, async () => {
      const ctx = await screen(locale);
      const page = await ctx.newPage();
      await page.goto(`${svc.url}/`);
      const list = page.getByTestId('demo-logins');
      await list.waitFor();
      const text = await list.innerText();
      for (const u of DEMO_USERS) expect(text).toContain(u.name);
      for (const l of lines) expect(text).toContain(l);
      expect(text).toContain(DEMO_PASSWORD);
      const box = (await list.boundingBox())!;
      expect(box.y + box.height, 'the list ends on the screen').toBeLessThanOrEqual(768);
      expect(await page.evaluate(() => document.documentElement.scrollHeight <= window.innerHeight), 'no scrolling').toBe(true);
      const form = (await page.getByTestId('login-submit').boundingBox())!;
      expect(form.y + form.height).toBeLessThanOrEqual(768);
      const shot = screenshotPath(`demo-login-${locale.slice(0, 2)}.png`);
      if (shot) await page.screenshot({ path: shot });
      await ctx.close();
    });
  }

  it("signs in with one click on a name, in the browser's language (and saves it as the user's)", async () => {
    for (const [locale, name, lang, nav] of [['ru-RU', 'sveta', 'ru', 'Отчёты'], ['en-US', 'anna', 'en', 'Contacts']] as const) {
      const ctx = await screen(locale);
      const page = await ctx.newPage();
      await page.goto(`${svc.url}/`);
      await page.getByTestId(`demo-login-${name}`).click();
      await page.getByTestId('logout').waitFor({ timeout: 10_000 });
      expect(await page.evaluate(() => document.documentElement.lang)).toBe(lang);
      expect(await page.locator('nav').first().innerText()).toContain(nav);
      const me = await page.evaluate(async () => (await (await fetch('/api/v1/auth/me')).json()) as { user: { name: string; language: string } });
      expect(me.user).toMatchObject({ name, language: lang });
      await ctx.close();
    }
  });
});
