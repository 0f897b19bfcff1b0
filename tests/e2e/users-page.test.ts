// The admin's users page in Russian at 1400 px (the review's window): every select and input shows its
// value or placeholder whole ("Администратор", "Настольный", "Новый, чтобы сменить"), in the
// table and in the new-user form; the page itself does not scroll sideways. A user's mobile (issue 12).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { closeSandbox, sandboxAmi } from '../support/sandbox.js';
import { newDbFile, startService, type ServiceProcess } from '../support/service.js';
import { launchChromium, login, screenshotPath, seedLoginUser } from '../support/browser.js';

const PASSWORD = 'correct horse battery';
let svc: ServiceProcess;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  await sandboxAmi();
  const dbFile = newDbFile();
  await seedLoginUser(dbFile, 'adm', 'admin', { password: PASSWORD, language: 'ru' });
  await seedLoginUser(dbFile, 'anna', 'manager', { extension: '101', password: PASSWORD, language: 'ru' });
  await seedLoginUser(dbFile, 'sveta', 'supervisor', { password: PASSWORD, language: 'ru' });
  svc = await startService({ dbFile });
  browser = await launchChromium();
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'ru-RU', timezoneId: 'Europe/Moscow' });
  page = await login(ctx, svc.url, 'adm', PASSWORD);
});

afterAll(async () => {
  await browser?.close();
  await svc?.stop();
  await closeSandbox();
});

/** Fields whose shown text (the chosen option, the value, else the placeholder) is wider than their text box. */
function cutFields(p: Page): Promise<string[]> {
  return p.evaluate(() => {
    const ctx = document.createElement('canvas').getContext('2d')!;
    const cut: string[] = [];
    for (const el of document.querySelectorAll<HTMLInputElement | HTMLSelectElement>('main select, main input')) {
      const s = getComputedStyle(el);
      ctx.font = `${s.fontWeight} ${s.fontSize} ${s.fontFamily}`;
      const text = el instanceof HTMLSelectElement ? el.selectedOptions[0]?.text ?? '' : el.value || el.placeholder;
      const room = el.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
      if (ctx.measureText(text).width > room + 1) cut.push(`${text} (${Math.round(ctx.measureText(text).width)} > ${Math.round(room)})`);
    }
    return cut;
  });
}

describe('the users page', () => {
  it('shows every field whole at 1400 px, in Russian', async () => {
    await page.goto(`${svc.url}/#/users`);
    await page.locator('[data-testid="user-row"][data-user="sveta"]').waitFor();
    const role = page.locator('[data-testid="user-row"][data-user="adm"] select').first();
    expect(await role.evaluate((el) => (el as HTMLSelectElement).selectedOptions[0]!.text)).toBe('Администратор');
    expect(await cutFields(page)).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    // The table fits its box at this width: the Save and Delete buttons are not scrolled away.
    expect(await page.locator('table.users').evaluate((el) => el.parentElement!.scrollWidth <= el.parentElement!.clientWidth)).toBe(true);
    const shot = screenshotPath('users.png');
    if (shot) await page.screenshot({ path: shot, fullPage: true });
  });

  it("giving sveta anna's extension says whose it is on a line of the table's width, and the field keeps the saved value", async () => {
    await page.goto(`${svc.url}/#/users`);
    const row = page.locator('[data-testid="user-row"][data-user="sveta"]');
    await row.locator('input.extension').fill('101');
    await row.getByRole('button', { name: 'Сохранить' }).click();
    const err = page.getByTestId('user-row-error');
    await err.waitFor();
    expect(await err.innerText()).toBe('Внутренний номер 101 уже у пользователя anna: у одного номера один владелец. Сначала дайте anna другой номер (или уберите его).');
    expect(await row.locator('input.extension').inputValue()).toBe('');
    // Its own row, as wide as the table, right under sveta's.
    const [table, line] = [await page.locator('table.users').boundingBox(), await err.boundingBox()];
    expect(line!.width).toBeGreaterThan(table!.width / 2);
    expect(await page.locator('tr.row-error').evaluate((el) => (el.previousElementSibling as HTMLElement).dataset['user'])).toBe('sveta');
  });

  it("an admin gives anna her mobile in the national form: it is saved in E.164 and stays after a reload; sveta cannot have the same, a non-number is refused", async () => {
    await page.goto(`${svc.url}/#/users`);
    const anna = page.locator('[data-testid="user-row"][data-user="anna"]');
    await anna.getByTestId('user-mobile').fill('8 916 000-01-01');
    await anna.getByRole('button', { name: 'Сохранить' }).click();
    await anna.getByText('Сохранено').waitFor();
    expect(await anna.getByTestId('user-mobile').inputValue()).toBe('+79160000101');
    await page.reload();
    await page.locator('[data-testid="user-row"][data-user="anna"]').waitFor();
    expect(await page.locator('[data-testid="user-row"][data-user="anna"]').getByTestId('user-mobile').inputValue()).toBe('+79160000101');
    expect(await cutFields(page)).toEqual([]);

    const sveta = page.locator('[data-testid="user-row"][data-user="sveta"]');
    await sveta.getByTestId('user-mobile').fill('+7 916 000 01 01');
    await sveta.getByRole('button', { name: 'Сохранить' }).click();
    const err = page.getByTestId('user-row-error');
    await err.waitFor();
    expect(await err.innerText()).toBe('Мобильный +79160000101 уже указан у пользователя anna: один номер — один человек.');
    expect(await sveta.getByTestId('user-mobile').inputValue()).toBe('');

    await sveta.getByTestId('user-mobile').fill('позвоните мне');
    await sveta.getByRole('button', { name: 'Сохранить' }).click();
    await page.getByText('Это не номер телефона. Введите его как +7 916 123-45-67 или 8 916 123-45-67.').waitFor();
  });
});
