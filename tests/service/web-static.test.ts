// The built web app is served at / with the SPA's routes falling back to index.html; the API keeps
// its JSON 404s.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../support/app.js';

describe('web app at /', () => {
  let t: TestApp;
  let web: string;
  beforeEach(async () => {
    web = mkdtempSync(join(tmpdir(), 'cti-web-'));
    mkdirSync(join(web, 'assets'));
    writeFileSync(join(web, 'index.html'), '<!doctype html><title>CTI</title>');
    writeFileSync(join(web, 'assets', 'app.js'), 'console.log(1)');
    t = await testApp({ CTI_WEB_DIR: web });
  });
  afterEach(async () => {
    await t.close();
    rmSync(web, { recursive: true, force: true });
  });

  it('serves files, falls back to index.html for page routes, and keeps API 404s as JSON', async () => {
    const index = await t.app.inject({ url: '/' });
    expect(index.statusCode).toBe(200);
    expect(index.body).toContain('<title>CTI</title>');
    expect((await t.app.inject({ url: '/assets/app.js' })).body).toBe('console.log(1)');
    const page = await t.app.inject({ url: '/contacts/123?tab=calls' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect((await t.app.inject({ url: '/assets/missing.js' })).statusCode).toBe(404);
    const api = await t.app.inject({ url: '/api/v2/nothing' });
    expect(api.statusCode).toBe(404);
    expect(api.json().error.code).toBe('CTI_ERR_NOT_FOUND');
  });
});
