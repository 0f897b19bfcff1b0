// The built web app is served at / with the SPA's routes falling back to index.html; the API keeps
// its JSON 404s. No source map is served, and a path that climbs out of the folder (../, %2e%2e, encoded
// slashes, a NUL) is a plain 404: no 500, nothing at error level in the log.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadServiceConfig } from '../../src/config/config.js';
import { buildApp } from '../../src/app.js';

/** GET with the path exactly as given (inject() and fetch() normalise ../ away before the server sees it). */
function rawGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    r.on('error', reject);
    r.end();
  });
}

describe('web app at /', () => {
  let dir: string;
  let app: FastifyInstance;
  let port: number;
  let logLines: string[];
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cti-web-'));
    const web = join(dir, 'web');
    mkdirSync(join(web, 'assets'), { recursive: true });
    writeFileSync(join(web, 'index.html'), '<!doctype html><title>CTI</title>');
    writeFileSync(join(web, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(join(web, 'assets', 'app.js.map'), '{"version":3,"sources":["../src/secret.ts"]}');
    writeFileSync(join(dir, 'secret.txt'), 'SECRET');
    logLines = [];
    const config = loadServiceConfig({
      CTI_DB_FILE: join(dir, 'cti.sqlite'), CTI_RECORDINGS_DIR: join(dir, 'recordings'), CTI_CEL_FILE: join(dir, 'cti.csv'),
      CTI_AMI_USER: 'unused', CTI_AMI_SECRET: 'unused', CTI_ARI_USER: 'unused', CTI_ARI_PASSWORD: 'unused',
      CTI_WEB_DIR: web,
    });
    app = await buildApp(config, { connectPbx: false, logger: pino({ level: 'info' }, { write: (s: string) => { logLines.push(s); } }) });
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as { port: number }).port;
  });
  afterEach(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves files, falls back to index.html for page routes, and keeps API 404s as JSON', async () => {
    const index = await app.inject({ url: '/' });
    expect(index.statusCode).toBe(200);
    expect(index.body).toContain('<title>CTI</title>');
    expect((await app.inject({ url: '/assets/app.js' })).body).toBe('console.log(1)');
    const page = await app.inject({ url: '/contacts/123?tab=calls' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect((await app.inject({ url: '/assets/missing.js' })).statusCode).toBe(404);
    const api = await app.inject({ url: '/api/v2/nothing' });
    expect(api.statusCode).toBe(404);
    expect(api.json().error.code).toBe('CTI_ERR_NOT_FOUND');
  });

  it('never serves a source map, even one left in the folder', async () => {
    for (const path of ['/assets/app.js.map', '/assets/APP.JS.MAP', '/assets/app.js.map?x=1']) {
      const r = await rawGet(port, path);
      expect(r.status, path).toBe(404);
      expect(r.body, path).not.toContain('sources');
    }
  });

  it('a path that climbs out of the folder is a 404, with no 500 and no stack in the log', async () => {
    const paths = [
      '/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/assets/%2e%2e/%2E%2E/secret.txt',
      '/..%2fsecret.txt', '/assets/..%2F..%2Fsecret.txt', '/%2e%2e%2fsecret.txt', '/..%5csecret.txt', '/assets/..\\..\\secret.txt',
      '/assets/%00.js', '/..', '/assets/../..', '/%2e%2e',
    ];
    for (const path of paths) {
      const r = await rawGet(port, path);
      expect(r.status, path).toBe(404);
      expect(r.body, path).not.toContain('SECRET');
      expect(JSON.parse(r.body).error.code, path).toBe('CTI_ERR_NOT_FOUND');
    }
    const bad = logLines.map((l) => JSON.parse(l) as { level: number; err?: { stack?: string } }).filter((l) => l.level >= 50 || l.err?.stack);
    expect(bad).toEqual([]);
  });
});
