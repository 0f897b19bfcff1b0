// Login, sessions, CSRF, tokens and the admin users API (docs/design/browser-contract.md).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sessions } from '../../src/db/schema/index.js';
import { createToken } from '../../src/users/users.js';
import { testApp, type TestApp } from '../support/app.js';
import { loginCookie, PASSWORD, seedPasswordUser } from '../support/session.js';

describe('sessions and login', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await testApp();
    await seedPasswordUser(t.app, 'anna', 'manager', '101');
    await seedPasswordUser(t.app, 'root', 'admin');
  });
  afterEach(async () => t.close());

  const login = (username: string, password: string, ip = '10.0.0.1') =>
    t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password }, remoteAddress: ip });

  it('logs in with the right password: HttpOnly SameSite=Lax cookie, user with language; me; logout ends the session', async () => {
    const r = await login('anna', PASSWORD);
    expect(r.statusCode).toBe(200);
    expect(r.json().user).toEqual({ id: expect.any(String), name: 'anna', role: 'manager', pbx: 'main', extension: '101', mobile: null, language: 'ru', phoneMode: 'desk' });
    const set = String(r.headers['set-cookie']);
    expect(set).toMatch(/^cti_session=[A-Za-z0-9_-]{40,};/);
    expect(set).toContain('HttpOnly');
    expect(set).toContain('SameSite=Lax');
    expect(set).toContain('Path=/');
    expect(set).not.toContain('Secure');
    const cookie = set.split(';')[0]!;
    // Only a hash of the session id is stored.
    const stored = await t.app.db.select().from(sessions);
    expect(stored).toHaveLength(1);
    expect(stored[0]!.idHash).not.toBe(cookie.split('=')[1]);
    const me = await t.app.inject({ url: '/api/v1/auth/me', headers: { cookie } });
    expect(me.statusCode).toBe(200);
    expect(me.json().user.name).toBe('anna');
    const out = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { cookie, 'x-cti-csrf': '1' } });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
    expect((await t.app.inject({ url: '/api/v1/auth/me', headers: { cookie } })).statusCode).toBe(401);
    expect((await t.app.inject({ url: '/api/v1/auth/me' })).statusCode).toBe(401);
  });

  it('sets Secure when CTI_COOKIE_SECURE=true', async () => {
    const s = await testApp({ CTI_COOKIE_SECURE: 'true' });
    try {
      await seedPasswordUser(s.app, 'x', 'admin');
      const r = await s.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'x', password: PASSWORD } });
      expect(String(r.headers['set-cookie'])).toContain('; Secure');
    } finally {
      await s.close();
    }
  });

  it('says the same for a wrong name and a wrong password (401 CTI_ERR_LOGIN_FAILED)', async () => {
    const a = await login('anna', 'wrong');
    const b = await login('nobody', PASSWORD);
    expect([a.statusCode, b.statusCode]).toEqual([401, 401]);
    expect(a.json().error).toEqual(b.json().error);
    expect(a.json().error.code).toBe('CTI_ERR_LOGIN_FAILED');
  });

  // The login limiter's rules (per user and address, per address, X-Forwarded-For, restarts): login-limiter.test.ts.

  it('needs X-CTI-CSRF: 1 for changes made with the cookie, not with a token, not for reads', async () => {
    const cookie = await loginCookie(t.app, 'anna');
    const noHeader = await t.app.inject({ method: 'PATCH', url: '/api/v1/auth/me', headers: { cookie }, payload: { language: 'en' } });
    expect(noHeader.statusCode).toBe(403);
    expect(noHeader.json().error.code).toBe('CTI_ERR_CSRF');
    const withHeader = await t.app.inject({ method: 'PATCH', url: '/api/v1/auth/me', headers: { cookie, 'x-cti-csrf': '1' }, payload: { language: 'en' } });
    expect(withHeader.statusCode).toBe(200);
    expect(withHeader.json().user.language).toBe('en');
    expect((await t.app.inject({ url: '/api/v1/calls', headers: { cookie } })).statusCode).toBe(200);
    const token = await createToken(t.app.db, 'anna');
    const viaToken = await t.app.inject({ method: 'PATCH', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}` }, payload: { language: 'ru' } });
    expect(viaToken.statusCode).toBe(200);
    expect(viaToken.json().user.language).toBe('ru');
  });

  it('accepts a Bearer token or the cookie on every /api/v1 route, and refuses a bad one of either', async () => {
    const cookie = await loginCookie(t.app, 'anna');
    const token = await createToken(t.app.db, 'anna');
    expect((await t.app.inject({ url: '/api/v1/clients', headers: { cookie } })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/api/v1/clients', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/api/v1/clients', headers: { cookie: 'cti_session=forged' } })).statusCode).toBe(401);
    expect((await t.app.inject({ url: '/api/v1/clients', headers: { authorization: 'Bearer cti_nope', cookie } })).statusCode).toBe(401);
  });

  it('admin users API: list, add (who can then log in), change, delete; 403 for others', async () => {
    const admin = await loginCookie(t.app, 'root');
    const anna = await loginCookie(t.app, 'anna');
    const h = (cookie: string) => ({ cookie, 'x-cti-csrf': '1' });
    expect((await t.app.inject({ url: '/api/v1/users', headers: h(anna) })).statusCode).toBe(403);
    const add = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: h(admin), payload: { name: 'boris', role: 'manager', extension: '102', language: 'en', password: 'another long one' } });
    expect(add.statusCode).toBe(201);
    expect(add.json()).toMatchObject({ name: 'boris', role: 'manager', extension: '102', language: 'en' });
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: h(admin), payload: { name: 'boris', role: 'manager', extension: '102', password: 'another long one' } })).statusCode).toBe(409);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: h(admin), payload: { name: 'nox', role: 'manager', password: 'another long one' } })).statusCode).toBe(400);
    expect((await loginCookie(t.app, 'boris', 'another long one'))).toMatch(/^cti_session=/);
    const id = add.json().id;
    const patch = await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${id}`, headers: h(admin), payload: { role: 'supervisor', extension: null, password: 'a third password' } });
    expect(patch.statusCode).toBe(200);
    expect(patch.json()).toMatchObject({ role: 'supervisor', extension: null });
    expect(await loginCookie(t.app, 'boris', 'a third password')).toMatch(/^cti_session=/);
    expect((await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${id}`, headers: h(anna), payload: { role: 'admin' } })).statusCode).toBe(403);
    const list = await t.app.inject({ url: '/api/v1/users', headers: h(admin) });
    expect(list.json().items.map((u: { name: string }) => u.name)).toEqual(['anna', 'boris', 'root']);
    expect(list.json().items[0]).not.toHaveProperty('passwordHash');
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/users/${id}`, headers: h(anna) })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/users/${id}`, headers: h(admin) })).statusCode).toBe(204);
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/users/${id}`, headers: h(admin) })).statusCode).toBe(404);
  });
});
