// Every response carries the security headers (@fastify/helmet): a Content-Security-Policy that fits the
// web app (socket.io and the browser phone's SIP websocket in connect-src, recordings in media-src),
// nosniff, no framing at all, and a Referrer-Policy. The CSP seen by a real Chromium:
// tests/e2e/content-security-policy.test.ts.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../support/app.js';

/** 'connect-src' -> ["'self'", ...] */
function directives(csp: string | undefined): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const part of (csp ?? '').split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) m.set(name, values);
  }
  return m;
}

describe('security headers', () => {
  let t: TestApp;
  let web: string;
  beforeEach(() => {
    web = mkdtempSync(join(tmpdir(), 'cti-web-'));
    mkdirSync(join(web, 'assets'));
    writeFileSync(join(web, 'index.html'), '<!doctype html><title>CTI</title>');
    writeFileSync(join(web, 'assets', 'app.js'), 'console.log(1)');
  });
  afterEach(async () => {
    await t?.close();
    rmSync(web, { recursive: true, force: true });
  });

  it('the page, its files, the API, its errors and /healthz carry CSP, nosniff, no framing and a Referrer-Policy', async () => {
    t = await testApp({ CTI_WEB_DIR: web, CTI_SOFTPHONE_WS_URL: 'wss://pbx.example.com:8089/ws' });
    for (const url of ['/', '/contacts/1', '/assets/app.js', '/api/v1/calls', '/api/v2/nothing', '/healthz']) {
      const r = await t.app.inject({ url });
      expect(r.headers['x-content-type-options'], url).toBe('nosniff');
      expect(r.headers['referrer-policy'], url).toBe('no-referrer');
      expect(r.headers['x-frame-options'], url).toBe('DENY');
      const csp = directives(r.headers['content-security-policy'] as string);
      expect(csp.get('frame-ancestors'), url).toEqual(["'none'"]);
      expect(csp.get('default-src'), url).toEqual(["'self'"]);
      expect(csp.get('script-src'), url).toEqual(["'self'"]);
      expect(csp.get('object-src'), url).toEqual(["'none'"]);
    }
  });

  it('the policy fits the app: socket.io and the SIP websocket, recordings, data: images; nothing inline, no upgrade on plain HTTP', async () => {
    t = await testApp({ CTI_WEB_DIR: web, CTI_SOFTPHONE_WS_URL: 'wss://pbx.example.com:8089/ws', CTI_PUBLIC_URL: 'http://cti.example.com:3000' });
    const r = await t.app.inject({ url: '/' });
    const csp = directives(r.headers['content-security-policy'] as string);
    // 'self' covers ws: to the same origin in CSP Level 3; the public origin's ws: is named for browsers before it.
    expect(csp.get('connect-src')).toEqual(["'self'", 'ws://cti.example.com:3000', 'wss://pbx.example.com:8089']);
    expect(csp.get('media-src')).toEqual(["'self'"]);
    expect(csp.get('img-src')).toEqual(["'self'", 'data:']);
    expect(csp.get('style-src')).toEqual(["'self'"]);
    expect(csp.get('script-src-attr')).toEqual(["'none'"]);
    expect(csp.get('form-action')).toEqual(["'self'"]);
    expect(csp.has('upgrade-insecure-requests')).toBe(false);
    expect(r.headers['strict-transport-security']).toBeUndefined();
  });

  it('behind HTTPS (an https CTI_PUBLIC_URL): upgrade-insecure-requests, HSTS and wss: to the public origin', async () => {
    t = await testApp({ CTI_WEB_DIR: web, CTI_PUBLIC_URL: 'https://cti.example.com' });
    const r = await t.app.inject({ url: '/' });
    const csp = directives(r.headers['content-security-policy'] as string);
    expect(csp.has('upgrade-insecure-requests')).toBe(true);
    // The default browser-phone websocket: ws:// on the ARI host (127.0.0.1:8088).
    expect(csp.get('connect-src')).toEqual(["'self'", 'wss://cti.example.com', 'ws://127.0.0.1:8088']);
    expect(r.headers['strict-transport-security']).toMatch(/max-age=\d+/);
  });

  it('/api/docs (Swagger UI) is framed by nobody and runs no inline script; inline styles there only', async () => {
    t = await testApp({ CTI_WEB_DIR: web });
    for (const url of ['/api/docs/', '/api/docs/static/swagger-ui.css', '/api/docs/static/swagger-initializer.js', '/api/docs/json']) {
      const r = await t.app.inject({ url });
      expect(r.statusCode, url).toBe(200);
      expect(r.headers['x-content-type-options'], url).toBe('nosniff');
      const csp = directives(r.headers['content-security-policy'] as string);
      expect(csp.get('frame-ancestors'), url).toEqual(["'none'"]);
      expect(csp.get('script-src'), url).toEqual(["'self'"]);
      // Its bundle injects a <style> element (tests/e2e/content-security-policy.test.ts saw it blocked).
      expect(csp.get('style-src'), url).toEqual(["'self'", "'unsafe-inline'"]);
    }
    // The web app keeps style-src 'self' alone.
    expect(directives((await t.app.inject({ url: '/' })).headers['content-security-policy'] as string).get('style-src')).toEqual(["'self'"]);
  });
});
