// E2E helpers: Debian's Chromium driven by playwright-core (never a downloaded browser build), users with
// passwords for the login page, and page probes that note when a pop first appears (page clock = host clock).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { openTestDb } from './database.js';
import { addUser, createToken } from '../../src/users/users.js';
import { PROJECT_ROOT } from './sandbox.js';

export const CHROMIUM = process.env['CTI_CHROMIUM'] ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync',
      // The test starts playback from a script, not from a click.
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

/** A user with a password (for the login page) and an API token (for the test's own setup calls). */
export async function seedLoginUser(dbFile: string, name: string, role: 'manager' | 'supervisor' | 'admin', opts: { extension?: string; password: string; language?: 'ru' | 'en'; pbx?: string }): Promise<{ id: string; token: string }> {
  const h = await openTestDb(dbFile);
  try {
    const row = await addUser(h.db, { name, role, extension: opts.extension ?? null, password: opts.password, language: opts.language, ...(opts.pbx ? { pbxId: opts.pbx } : {}) });
    return { id: row.id, token: await createToken(h.db, name) };
  } finally {
    await h.close();
  }
}

/**
 * A fresh browser context (its own cookies: one logged-in user) whose pages record, in window.__pops,
 * every pop element that ever appears (callId and the time it was added), even one that closes again.
 */
export async function newUserContext(browser: Browser): Promise<BrowserContext> {
  const ctx = await browser.newContext({ viewport: { width: 1360, height: 860 }, locale: 'en-GB', timezoneId: 'Europe/Moscow' });
  await ctx.addInitScript(() => {
    const w = window as unknown as { __pops: { callId: string | null; at: number }[] };
    w.__pops = [];
    new MutationObserver((records) => {
      for (const r of records) {
        for (const n of Array.from(r.addedNodes)) {
          if (!(n instanceof Element)) continue;
          const found = n.matches('[data-testid="pop"]') ? [n] : Array.from(n.querySelectorAll('[data-testid="pop"]'));
          for (const el of found) w.__pops.push({ callId: el.getAttribute('data-call-id'), at: Date.now() });
        }
      }
    }).observe(document, { childList: true, subtree: true });
  });
  return ctx;
}

/** Logs in through the login page; resolves once the app is in and its socket is connected. */
export async function login(ctx: BrowserContext, baseUrl: string, name: string, password: string): Promise<Page> {
  const page = await ctx.newPage();
  await page.goto(`${baseUrl}/`);
  await page.getByTestId('login-username').fill(name);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('logout').waitFor({ timeout: 10_000 });
  await page.waitForSelector('body[data-realtime="connected"]', { timeout: 10_000 });
  return page;
}

/** The pops a page has shown so far (see newUserContext). */
export function popsSeen(page: Page): Promise<{ callId: string | null; at: number }[]> {
  return page.evaluate(() => (window as unknown as { __pops: { callId: string | null; at: number }[] }).__pops);
}

/** HTTP status of a GET made by the page itself (its session cookie, as the app would). */
export function pageFetchStatus(page: Page, url: string, headers: Record<string, string> = {}): Promise<number> {
  return page.evaluate(async ([u, h]) => (await fetch(u as string, { headers: h as Record<string, string> })).status, [url, headers] as const);
}

/** Where screenshots go: CTI_E2E_SCREENSHOTS (e.g. `docs`, relative to the project), or nowhere. */
export function screenshotPath(name: string): string | null {
  const dir = process.env['CTI_E2E_SCREENSHOTS'];
  if (!dir) return null;
  const abs = dir.startsWith('/') ? dir : join(PROJECT_ROOT, dir);
  mkdirSync(abs, { recursive: true });
  return join(abs, name);
}
