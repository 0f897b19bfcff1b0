// Revocation and API tokens (issue 10, item 5): a password reset, a role change or deleting a user ends
// that user's sessions and API tokens at once; tokens may expire; admins list, create and revoke them
// over /api/v1/tokens (403 for everyone else), and the list never shows a secret or its hash.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiTokens } from '../../src/db/schema/index.js';
import { createToken } from '../../src/users/users.js';
import { testApp, type TestApp } from '../support/app.js';
import { loginCookie, seedPasswordUser } from '../support/session.js';

describe('revocation and API tokens', () => {
  let t: TestApp;
  let ids: Record<string, string>;
  let admin: string;
  beforeEach(async () => {
    t = await testApp();
    ids = {
      anna: await seedPasswordUser(t.app, 'anna', 'manager', '101'),
      boris: await seedPasswordUser(t.app, 'boris', 'manager', '102'),
      sveta: await seedPasswordUser(t.app, 'sveta', 'supervisor'),
      root: await seedPasswordUser(t.app, 'root', 'admin'),
    };
    admin = await loginCookie(t.app, 'root');
  });
  afterEach(async () => t.close());

  const asAdmin = { cookie: '', 'x-cti-csrf': '1' };
  const byCookie = (cookie: string) => t.app.inject({ url: '/api/v1/auth/me', headers: { cookie } });
  const byToken = (token: string) => t.app.inject({ url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}` } });
  const adminReq = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    t.app.inject({ method, url, headers: { ...asAdmin, cookie: admin }, ...(payload ? { payload } : {}) });

  /** anna logged in twice, with two tokens, and boris logged in with a token: only anna's may go. */
  async function seedAccess() {
    const a = { cookies: [await loginCookie(t.app, 'anna'), await loginCookie(t.app, 'anna')], tokens: [await createToken(t.app.db, 'anna'), await createToken(t.app.db, 'anna')] };
    const b = { cookies: [await loginCookie(t.app, 'boris')], tokens: [await createToken(t.app.db, 'boris')] };
    for (const c of [...a.cookies, ...b.cookies]) expect((await byCookie(c)).statusCode).toBe(200);
    for (const k of [...a.tokens, ...b.tokens]) expect((await byToken(k)).statusCode).toBe(200);
    return { a, b };
  }
  async function expectRevoked(a: { cookies: string[]; tokens: string[] }, b: { cookies: string[]; tokens: string[] }) {
    for (const c of a.cookies) expect((await byCookie(c)).statusCode).toBe(401);
    for (const k of a.tokens) expect((await byToken(k)).statusCode).toBe(401);
    for (const c of b.cookies) expect((await byCookie(c)).statusCode).toBe(200);
    for (const k of b.tokens) expect((await byToken(k)).statusCode).toBe(200);
  }

  it("a password reset ends the user's sessions and API tokens (401 at once), nobody else's; the new password logs in", async () => {
    const { a, b } = await seedAccess();
    expect((await adminReq('PATCH', `/api/v1/users/${ids.anna}`, { password: 'a brand new password' })).statusCode).toBe(200);
    await expectRevoked(a, b);
    expect(await loginCookie(t.app, 'anna', 'a brand new password')).toMatch(/^cti_session=/);
  });

  it("a role change ends the user's sessions and API tokens", async () => {
    const { a, b } = await seedAccess();
    expect((await adminReq('PATCH', `/api/v1/users/${ids.anna}`, { role: 'supervisor' })).statusCode).toBe(200);
    await expectRevoked(a, b);
  });

  it("a language or phone change keeps them; deleting the user ends them", async () => {
    const { a, b } = await seedAccess();
    expect((await adminReq('PATCH', `/api/v1/users/${ids.anna}`, { language: 'en' })).statusCode).toBe(200);
    for (const c of a.cookies) expect((await byCookie(c)).statusCode).toBe(200);
    for (const k of a.tokens) expect((await byToken(k)).statusCode).toBe(200);
    expect((await adminReq('DELETE', `/api/v1/users/${ids.anna}`)).statusCode).toBe(204);
    await expectRevoked(a, b);
  });

  it('an expired token gets 401; one that has not expired works', async () => {
    const soon = await createToken(t.app.db, 'anna', { expiresAt: Date.now() + 300 });
    const later = await createToken(t.app.db, 'anna', { expiresAt: Date.now() + 3_600_000 });
    expect((await byToken(soon)).statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 400));
    const r = await byToken(soon);
    expect(r.statusCode).toBe(401);
    expect(r.json().error.code).toBe('CTI_ERR_UNAUTHORIZED');
    expect((await byToken(later)).statusCode).toBe(200);
  });

  it('admin API: create (the secret once), list (no secret or hash), revoke (401 at once); bad input 400, unknown 404', async () => {
    const created = await adminReq('POST', '/api/v1/tokens', { userName: 'anna', label: 'CRM sync', expiresAt: '2099-01-01T00:00:00Z' });
    expect(created.statusCode, created.body).toBe(201);
    const c = created.json();
    expect(c).toMatchObject({ id: expect.any(String), userId: ids.anna, userName: 'anna', label: 'CRM sync', expiresAt: '2099-01-01T00:00:00.000Z', token: expect.stringMatching(/^cti_/) });
    expect((await byToken(c.token)).json().user.name).toBe('anna');
    const byId = await adminReq('POST', '/api/v1/tokens', { userId: ids.sveta });
    expect(byId.statusCode, byId.body).toBe(201);
    expect(byId.json()).toMatchObject({ userName: 'sveta', label: null, expiresAt: null });

    const list = await adminReq('GET', '/api/v1/tokens');
    expect(list.statusCode).toBe(200);
    const items = list.json().items;
    expect(items).toHaveLength(2);
    const anna = items.find((i: { id: string }) => i.id === c.id);
    expect(anna).toEqual({
      id: c.id, userId: ids.anna, userName: 'anna', label: 'CRM sync', createdAt: expect.any(String), expiresAt: '2099-01-01T00:00:00.000Z',
      lastUsedAt: expect.any(String),
    });
    const stored = await t.app.db.select().from(apiTokens);
    const body = list.body;
    expect(body).not.toContain(c.token);
    for (const s of stored) expect(body).not.toContain(s.tokenHash);
    expect((await adminReq('GET', `/api/v1/tokens?userName=sveta`)).json().items.map((i: { userName: string }) => i.userName)).toEqual(['sveta']);

    expect((await adminReq('DELETE', `/api/v1/tokens/${c.id}`)).statusCode).toBe(204);
    expect((await byToken(c.token)).statusCode).toBe(401);
    const gone = await adminReq('DELETE', `/api/v1/tokens/${c.id}`);
    expect(gone.statusCode).toBe(404);
    expect(gone.json().error.code).toBe('CTI_ERR_TOKEN_NOT_FOUND');

    const past = await adminReq('POST', '/api/v1/tokens', { userName: 'anna', expiresAt: '2001-01-01T00:00:00Z' });
    expect(past.statusCode).toBe(400);
    expect(past.json().error.message).toMatch(/^expiresAt/);
    expect((await adminReq('POST', '/api/v1/tokens', { userName: 'anna', expiresAt: 'soon' })).statusCode).toBe(400);
    expect((await adminReq('POST', '/api/v1/tokens', {})).statusCode).toBe(400);
    expect((await adminReq('POST', '/api/v1/tokens', { userName: 'nobody' })).statusCode).toBe(404);
  });

  it('the tokens API is for admins: 403 for a manager and a supervisor, by cookie or token; 401 without a login', async () => {
    const tok = await createToken(t.app.db, 'anna');
    for (const name of ['anna', 'sveta']) {
      const cookie = await loginCookie(t.app, name);
      const h = { cookie, 'x-cti-csrf': '1' };
      const bearer = { authorization: `Bearer ${await createToken(t.app.db, name)}` };
      for (const headers of [h, bearer]) {
        expect((await t.app.inject({ url: '/api/v1/tokens', headers })).statusCode).toBe(403);
        expect((await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers, payload: { userName: name } })).statusCode).toBe(403);
        const id = (await t.app.db.select().from(apiTokens))[0]!.id;
        const del = await t.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${id}`, headers });
        expect(del.statusCode).toBe(403);
        expect(del.json().error.code).toBe('CTI_ERR_FORBIDDEN');
      }
    }
    expect((await t.app.inject({ url: '/api/v1/tokens' })).statusCode).toBe(401);
    expect((await byToken(tok)).statusCode).toBe(200);
  });
});
