// The browser phone's SIP credentials (issue 6): only the logged-in browser of the user themself gets
// them; nobody can reach another user's, not through ids, admin paths, API tokens or socket events; an
// admin sets the phone mode; a new login password changes the SIP password.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sipPassword } from '../../src/softphone/credentials.js';
import { users } from '../../src/db/schema/index.js';
import { createToken } from '../../src/users/users.js';
import { testApp, type TestApp } from '../support/app.js';
import { loginCookie, seedPasswordUser, socketFor } from '../support/session.js';

const SECRET = 'a-test-secret-of-32-characters!!';

describe('browser phone credentials', () => {
  let t: TestApp;
  let annaId: string;
  let borisId: string;
  let anna: string;
  let boris: string;
  let root: string;
  const json = (cookie: string) => ({ cookie, 'x-cti-csrf': '1', 'content-type': 'application/json' });
  const mySip = (cookie: string, url = '/api/v1/auth/me/sip') => t.app.inject({ url, headers: { cookie } });
  const setMode = (id: string, body: object) =>
    t.app.inject({ method: 'PATCH', url: `/api/v1/users/${id}`, headers: json(root), payload: body });

  beforeEach(async () => {
    t = await testApp({ CTI_SIP_SECRET: SECRET, CTI_SOFTPHONE_WS_URL: 'wss://pbx.example.com:8089/ws', CTI_SOFTPHONE_ICE_SERVERS: '[{"urls":"stun:stun.example.com:3478"}]' });
    annaId = await seedPasswordUser(t.app, 'anna', 'manager', '105');
    borisId = await seedPasswordUser(t.app, 'boris', 'manager', '106');
    await seedPasswordUser(t.app, 'root', 'admin');
    [anna, boris, root] = [await loginCookie(t.app, 'anna'), await loginCookie(t.app, 'boris'), await loginCookie(t.app, 'root')];
    for (const id of [annaId, borisId]) expect((await setMode(id, { phoneMode: 'browser' })).json().phoneMode).toBe('browser');
  });
  afterEach(async () => t.close());

  it('gives a browser user their own credentials, never cached, each user a different password', async () => {
    const a = await mySip(anna);
    expect(a.statusCode).toBe(200);
    expect(a.headers['cache-control']).toBe('no-store');
    expect(a.json()).toEqual({
      extension: '105', username: '105', password: sipPassword(SECRET, annaId, 0), aor: 'sip:105@pbx.example.com', domain: 'pbx.example.com',
      wsUrl: 'wss://pbx.example.com:8089/ws', displayName: 'anna', iceServers: [{ urls: 'stun:stun.example.com:3478' }],
    });
    const b = (await mySip(boris)).json();
    expect(b.extension).toBe('106');
    expect(b.password).not.toBe(a.json().password);
    expect(a.json().password).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it("cannot reach another user's credentials: no id to name, admin paths 403, API tokens refused, nothing in lists or socket events", async () => {
    const annasPassword = (await mySip(anna)).json().password as string;
    const leaks = (body: string) => body.includes(annasPassword);
    // Naming someone else is not possible: the route takes no parameters, extra ones are refused.
    for (const url of [`/api/v1/auth/me/sip?userId=${annaId}`, '/api/v1/auth/me/sip?extension=105', `/api/v1/auth/me/sip/${annaId}`, `/api/v1/users/${annaId}/sip`]) {
      const r = await mySip(boris, url);
      expect(r.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(leaks(r.body), url).toBe(false);
    }
    // Admin-only paths are closed to a manager; an admin's own view of users carries no SIP password.
    expect((await t.app.inject({ url: '/api/v1/users', headers: { cookie: boris } })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${annaId}`, headers: json(boris), payload: { phoneMode: 'desk' } })).statusCode).toBe(403);
    const list = await t.app.inject({ url: '/api/v1/users', headers: { cookie: root } });
    expect(list.statusCode).toBe(200);
    expect(leaks(list.body)).toBe(false);
    expect(list.json().items.find((u: { name: string }) => u.name === 'anna').phoneMode).toBe('browser');
    // An admin gets their own credentials only (an admin without a browser phone: 409), not anna's.
    const adminOwn = await mySip(root);
    expect(adminOwn.statusCode).toBe(409);
    expect(adminOwn.json().error.code).toBe('CTI_ERR_NOT_BROWSER_PHONE');
    // An API token, even anna's own, gets nothing: SIP credentials go to the logged-in browser only.
    const token = await createToken(t.app.db, 'anna');
    const byToken = await t.app.inject({ url: '/api/v1/auth/me/sip', headers: { authorization: `Bearer ${token}` } });
    expect(byToken.statusCode).toBe(403);
    expect(leaks(byToken.body)).toBe(false);
    // No session, no credentials.
    expect((await t.app.inject({ url: '/api/v1/auth/me/sip' })).statusCode).toBe(401);
    // What boris's socket receives while anna is changed and logs in again carries none of it.
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const addr = t.app.server.address() as { port: number };
    const sock = await socketFor(`http://127.0.0.1:${addr.port}`, boris);
    const seen: string[] = [];
    sock.onAny((event: string, ...args: unknown[]) => seen.push(JSON.stringify([event, args])));
    await setMode(annaId, { language: 'en' });
    await loginCookie(t.app, 'anna');
    await new Promise((r) => setTimeout(r, 300));
    sock.close();
    expect(seen.some(leaks)).toBe(false);
    // Nor is it anywhere in the database or the web app's files.
    expect(leaks(JSON.stringify(await t.app.db.select().from(users)))).toBe(false);
    const files = (dir: string): string[] => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));
    for (const f of files(join(process.cwd(), 'web', 'src'))) expect(leaks(readFileSync(f, 'utf8')), f).toBe(false);
  });

  it('a desk user gets 409; switching modes is an admin matter and needs an extension', async () => {
    expect((await setMode(borisId, { phoneMode: 'desk' })).statusCode).toBe(200);
    const r = await mySip(boris);
    expect(r.statusCode).toBe(409);
    expect(r.json().error.code).toBe('CTI_ERR_NOT_BROWSER_PHONE');
    const bad = await setMode(borisId, { phoneMode: 'phone' });
    expect(bad.statusCode).toBe(400);
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: json(root), payload: { name: 'vera', role: 'supervisor', password: 'long enough pw', phoneMode: 'browser' } });
    expect(created.statusCode).toBe(400);
    expect(created.json().error.message).toMatch(/phoneMode/);
  });

  it('a new login password (or extension) changes the SIP password; the old one is gone', async () => {
    const before = (await mySip(anna)).json().password;
    expect((await setMode(annaId, { password: 'another password' })).statusCode).toBe(200);
    const annaAgain = await loginCookie(t.app, 'anna', 'another password');
    const after = (await mySip(annaAgain)).json().password;
    expect(after).not.toBe(before);
    expect(after).toBe(sipPassword(SECRET, annaId, 1));
    expect((await setMode(annaId, { extension: '107' })).statusCode).toBe(200);
    const moved = (await mySip(annaAgain)).json();
    expect(moved.extension).toBe('107');
    expect(moved.password).toBe(sipPassword(SECRET, annaId, 2));
  });

  it('without CTI_SIP_SECRET the browser phone is off: 503 saying so', async () => {
    const t2 = await testApp();
    try {
      const id = await seedPasswordUser(t2.app, 'gleb', 'manager', '108');
      const adm = await seedPasswordUser(t2.app, 'adm', 'admin');
      expect(adm).toBeTruthy();
      const admCookie = await loginCookie(t2.app, 'adm');
      await t2.app.inject({ method: 'PATCH', url: `/api/v1/users/${id}`, headers: json(admCookie), payload: { phoneMode: 'browser' } });
      const r = await t2.app.inject({ url: '/api/v1/auth/me/sip', headers: { cookie: await loginCookie(t2.app, 'gleb') } });
      expect(r.statusCode).toBe(503);
      expect(r.json().error.code).toBe('CTI_ERR_SOFTPHONE_DISABLED');
    } finally {
      await t2.close();
    }
  });
});
