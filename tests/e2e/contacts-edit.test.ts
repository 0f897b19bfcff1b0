// Clients and contacts made and changed in the browser (issue 11, item 7), in Debian's Chromium on the
// built web app served by the real service, with the API's access rules (src/contacts/context.ts): a
// manager creates a client (theirs: no owner field) and its contact, a bad number is refused under its
// field in plain words, then edits the contact's phone and the card shows it; another manager gets no
// edit button on that card (nor the card); a supervisor edits the client and gives it to another manager.
// Set CTI_E2E_SCREENSHOTS=/some/dir for screenshots in English and Russian.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { api, newDbFile, startService, type ServiceProcess } from '../support/service.js';
import { launchChromium, login, screenshotPath, seedLoginUser } from '../support/browser.js';

const PASSWORD = 'correct horse battery';
const RUN = String(Math.floor(Math.random() * 900) + 100);
const e164 = (n: number) => `+7925${RUN}${String(n).padStart(4, '0')}`;
const written = (n: number) => { const d = e164(n).slice(2); return `8 (${d.slice(0, 3)}) ${d.slice(3, 6)}-${d.slice(6, 8)}-${d.slice(8)}`; };
const CLIENT = `Северный ветер ${RUN}`;

let svc: ServiceProcess;
let sveta: string;
let browser: Browser;
const ids: Record<string, string> = {};
let contactId = '';
let clientId = '';

async function shot(p: Page, name: string): Promise<void> {
  const path = screenshotPath(name);
  if (path) await p.screenshot({ path, fullPage: true });
}

const newContext = (): Promise<BrowserContext> => browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'en-GB', timezoneId: 'Europe/Moscow' });

beforeAll(async () => {
  const dbFile = newDbFile();
  sveta = (await seedLoginUser(dbFile, 'sveta', 'supervisor', { password: PASSWORD, language: 'en' })).token;
  ids['anna'] = (await seedLoginUser(dbFile, 'anna', 'manager', { extension: '101', password: PASSWORD, language: 'en' })).id;
  ids['boris'] = (await seedLoginUser(dbFile, 'boris', 'manager', { extension: '102', password: PASSWORD, language: 'en' })).id;
  svc = await startService({ dbFile });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await svc?.stop();
});

describe('clients and contacts in the browser', () => {
  it('a manager creates a client (hers) and its contact; a bad number is refused under its field', async () => {
    const ctx = await newContext();
    try {
      const page = await login(ctx, svc.url, 'anna', PASSWORD);
      await page.getByTestId('new-client').click();
      const cf = page.getByTestId('client-form');
      await cf.waitFor();
      // A manager's client is hers: no owner to choose, said as such.
      expect(await cf.getByTestId('client-form-owner').count()).toBe(0);
      expect(await cf.getByTestId('client-form-owner-fixed').innerText()).toContain('You (anna)');
      await cf.getByTestId('client-form-name').fill(CLIENT);
      await cf.getByTestId('client-form-turnover').fill('250 000');
      await shot(page, 'contacts-new-client-en.png');
      await cf.getByTestId('client-form-save').click();

      // On to its contact, the new client chosen.
      await page.getByTestId('client-created').waitFor();
      const form = page.getByTestId('contact-form');
      expect(await form.getByTestId('contact-form-client').locator('option:checked').innerText()).toBe(CLIENT);
      await form.getByTestId('contact-form-name').fill('Мария Соколова');
      await form.getByTestId('contact-form-phone').first().fill('12-34 abc');
      await form.getByTestId('contact-form-phone-label').first().fill('mobile');
      await form.getByTestId('contact-form-save').click();
      const err = form.getByTestId('form-error-phones-0-number');
      await err.waitFor();
      expect(await err.innerText()).toBe('“12-34 abc” is not a phone number. Write it with the area code, e.g. 8 916 123-45-67 or +7 916 123-45-67.');
      expect(await form.getByTestId('contact-form-phone').first().getAttribute('aria-invalid')).toBe('true');
      await shot(page, 'contacts-new-contact-error-en.png');

      await form.getByTestId('contact-form-phone').first().fill(written(1));
      await form.getByTestId('contact-form-save').click();
      const card = page.getByTestId('contact-card');
      await card.waitFor();
      contactId = (await card.getAttribute('data-contact-id'))!;
      expect(await card.getByTestId('contact-name').innerText()).toBe('Мария Соколова');
      expect(await card.getByTestId('contact-client').innerText()).toBe(CLIENT);
      expect(await card.getByTestId('contact-owner').innerText()).toContain('anna');
      expect(await card.locator('ul.phones span.phone').allInnerTexts()).toEqual([written(1)]);

      // What the service stored: anna's client, the number in E.164.
      const c = await api(svc, `/api/v1/contacts/${contactId}`, sveta);
      expect(c.body.phones).toEqual([{ number: written(1), e164: e164(1), label: 'mobile' }]);
      clientId = c.body.clientId;
      const cl = await api(svc, `/api/v1/clients/${clientId}`, sveta);
      expect(cl.body).toMatchObject({ name: CLIENT, ownerId: ids['anna'], turnover: '250000.00', currency: 'RUB' });
    } finally {
      await ctx.close();
    }
  });

  it("the manager edits the contact's phone and the card shows it", async () => {
    const ctx = await newContext();
    try {
      const page = await login(ctx, svc.url, 'anna', PASSWORD);
      await page.goto(`${svc.url}/#/contacts/${contactId}`);
      const card = page.getByTestId('contact-card');
      await card.waitFor();
      await card.getByTestId('edit-contact').click();
      const form = page.getByTestId('contact-form');
      expect(await form.getByTestId('contact-form-phone').first().inputValue()).toBe(written(1));
      await form.getByTestId('contact-form-phone').first().fill(`+7 925 ${RUN} 00 02`);
      await form.getByTestId('contact-form-save').click();
      await card.getByTestId('card-saved').waitFor();
      expect(await card.getByTestId('card-saved').innerText()).toBe('Contact saved.');
      await expect.poll(() => card.locator('ul.phones span.phone').allInnerTexts(), { timeout: 10_000 }).toEqual([`+7 925 ${RUN} 00 02`]);
      expect(await page.getByTestId('contact-form').count()).toBe(0);
      const c = await api(svc, `/api/v1/contacts/${contactId}`, sveta);
      expect(c.body.phones.map((p: { e164: string }) => p.e164)).toEqual([e164(2)]);
      await shot(page, 'contact-card-edited-en.png');

      // The same card and the client form in Russian.
      await page.getByTestId('language-switch').selectOption('ru');
      await card.getByTestId('edit-client').click();
      const cf = page.getByTestId('client-form');
      await cf.waitFor();
      expect(await cf.locator('h3').innerText()).toBe('Изменить клиента');
      expect(await cf.getByTestId('client-form-owner-fixed').innerText()).toContain('Передать клиента другому менеджеру может только руководитель.');
      await shot(page, 'contact-card-client-form-ru.png');
      await page.getByTestId('language-switch').selectOption('en');
    } finally {
      await ctx.close();
    }
  });

  it('another manager is offered no edit (the card is not his), as the API has it', async () => {
    const ctx = await newContext();
    try {
      const page = await login(ctx, svc.url, 'boris', PASSWORD);
      await page.goto(`${svc.url}/#/contacts/${contactId}`);
      await page.getByRole('alert').waitFor();
      expect(await page.getByRole('alert').innerText()).toBe('You do not have access to this.');
      expect(await page.getByTestId('edit-contact').count()).toBe(0);
      expect(await page.getByTestId('edit-client').count()).toBe(0);
      const r = await api(svc, `/api/v1/contacts/${contactId}`, sveta);
      expect(r.body.name).toBe('Мария Соколова');
    } finally {
      await ctx.close();
    }
  });

  it('a supervisor edits the client and gives it to another manager', async () => {
    const ctx = await newContext();
    try {
      const page = await login(ctx, svc.url, 'sveta', PASSWORD);
      await page.goto(`${svc.url}/#/contacts/${contactId}`);
      const card = page.getByTestId('contact-card');
      await card.waitFor();
      await card.getByTestId('edit-client').click();
      const cf = page.getByTestId('client-form');
      const owner = cf.getByTestId('client-form-owner');
      await expect.poll(() => owner.locator('option:checked').innerText()).toBe('anna (101)');
      await owner.selectOption({ label: 'boris (102)' });
      await cf.getByTestId('client-form-turnover').fill('abc');
      await cf.getByTestId('client-form-save').click();
      await cf.getByTestId('form-error-turnover').waitFor();
      expect(await cf.getByTestId('form-error-turnover').innerText()).toBe('Write the turnover as a number, e.g. 250000 or 250 000,50.');
      await cf.getByTestId('client-form-turnover').fill('300 000');
      await shot(page, 'contact-card-supervisor-client-form-en.png');
      await cf.getByTestId('client-form-save').click();
      await card.getByTestId('card-saved').waitFor();
      await expect.poll(() => card.getByTestId('contact-owner').innerText(), { timeout: 10_000 }).toContain('boris');
      const cl = await api(svc, `/api/v1/clients/${clientId}`, sveta);
      expect(cl.body).toMatchObject({ ownerId: ids['boris'], turnover: '300000.00' });
    } finally {
      await ctx.close();
    }
  });
});
