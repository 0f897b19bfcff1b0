// The login limiter (issue 10, item 6): failures count per (user name, client address), with a much
// higher limit per address across names; the client address honours X-Forwarded-For only with
// CTI_TRUST_PROXY; the counters are in the database, so a restart keeps a lock.
import { rmSync } from 'node:fs';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { LoginLimiter } from '../../src/users/login-limiter.js';
import { testApp, type TestApp } from '../support/app.js';
import { PASSWORD, seedPasswordUser } from '../support/session.js';

const A = '10.0.0.1';
const B = '10.0.0.2';
const C = '10.0.0.3';
const PROXY = '10.0.0.9';

// Every failure is a real argon2 verify: slow on a shared machine.
describe('login limiter', { timeout: 60_000 }, () => {
  let t: TestApp | null = null;
  afterEach(async () => {
    await t?.close();
    t = null;
  });

  async function start(env: Record<string, string> = {}): Promise<TestApp> {
    t = await testApp({ CTI_LOGIN_ADDRESS_MAX_FAILURES: '12', ...env });
    for (const name of ['anna', 'boris']) await seedPasswordUser(t.app, name, 'manager', name === 'anna' ? '101' : '102');
    await seedPasswordUser(t.app, 'root', 'admin');
    return t;
  }
  const login = (s: TestApp, username: string, password: string, remoteAddress: string, forwardedFor?: string) =>
    s.app.inject({
      method: 'POST', url: '/api/v1/auth/login', payload: { username, password }, remoteAddress,
      ...(forwardedFor ? { headers: { 'x-forwarded-for': forwardedFor } } : {}),
    });
  async function failFive(s: TestApp, username: string, address: string, forwardedFor?: string) {
    for (let i = 0; i < 5; i++) expect((await login(s, username, 'wrong', address, forwardedFor)).statusCode).toBe(401);
  }

  it('five wrong passwords for anna from address A do not stop boris from A, nor anna from B', async () => {
    const s = await start();
    await failFive(s, 'anna', A);
    const locked = await login(s, 'anna', PASSWORD, A);
    expect(locked.statusCode).toBe(429);
    expect(locked.json().error.code).toBe('CTI_ERR_TOO_MANY_ATTEMPTS');
    expect((await login(s, 'boris', PASSWORD, A)).statusCode).toBe(200);
    expect((await login(s, 'anna', 'wrong', B)).statusCode).toBe(401);
    expect((await login(s, 'anna', PASSWORD, B)).statusCode).toBe(200);
  });

  it('the right password of anna from B works while a stranger at A is locked out of her account', async () => {
    const s = await start();
    // The stranger goes on trying after the lock: still no effect on anna elsewhere.
    for (let i = 0; i < 8; i++) expect([401, 429]).toContain((await login(s, 'anna', 'wrong', A)).statusCode);
    expect((await login(s, 'anna', PASSWORD, A)).statusCode).toBe(429);
    expect((await login(s, 'anna', PASSWORD, B)).statusCode).toBe(200);
    expect((await login(s, 'Anna ', PASSWORD, A)).statusCode).toBe(429); // the name's case and spaces do not escape the lock
  });

  it('a right password clears the pair: five more mistakes are allowed after it', async () => {
    const s = await start();
    for (let i = 0; i < 4; i++) expect((await login(s, 'anna', 'wrong', A)).statusCode).toBe(401);
    expect((await login(s, 'anna', PASSWORD, A)).statusCode).toBe(200);
    await failFive(s, 'anna', A);
    expect((await login(s, 'anna', PASSWORD, A)).statusCode).toBe(429);
  });

  it('the per-address limit trips after many names (CTI_LOGIN_ADDRESS_MAX_FAILURES), for every name at that address only', async () => {
    const s = await start();
    for (let i = 0; i < 12; i++) expect((await login(s, `guess${i}`, 'wrong', A)).statusCode).toBe(401);
    expect((await login(s, 'root', PASSWORD, A)).statusCode).toBe(429);
    expect((await login(s, 'root', PASSWORD, C)).statusCode).toBe(200);
  });

  it('ignores X-Forwarded-For without CTI_TRUST_PROXY: a forged header neither escapes a lock nor spreads it', async () => {
    const s = await start();
    await failFive(s, 'anna', PROXY, '203.0.113.1');
    // The address is the proxy's (the socket's), whatever the header claims.
    expect((await login(s, 'anna', PASSWORD, PROXY, '203.0.113.2')).statusCode).toBe(429);
    expect((await login(s, 'boris', PASSWORD, PROXY, '203.0.113.1')).statusCode).toBe(200);
  });

  it('uses X-Forwarded-For from a trusted proxy (CTI_TRUST_PROXY), and only from it', async () => {
    const s = await start({ CTI_TRUST_PROXY: `${PROXY}/32` });
    await failFive(s, 'anna', PROXY, '203.0.113.1');
    expect((await login(s, 'anna', PASSWORD, PROXY, '203.0.113.1')).statusCode).toBe(429);
    expect((await login(s, 'anna', PASSWORD, PROXY, '203.0.113.2')).statusCode).toBe(200);
    // A client that is not the trusted proxy cannot pick its address with the header.
    await failFive(s, 'boris', C, '203.0.113.3');
    expect((await login(s, 'boris', PASSWORD, C, '203.0.113.4')).statusCode).toBe(429);
  });

  it('keeps a lock across a restart (the app built again on the same database file)', async () => {
    const s = await start();
    await failFive(s, 'anna', A);
    await s.app.close();
    const again = await buildApp(s.config, { connectPbx: false, logger: pino({ level: 'silent' }) });
    t = null;
    try {
      await again.ready();
      const s2 = { ...s, app: again };
      expect((await login(s2, 'anna', PASSWORD, A)).statusCode).toBe(429);
      expect((await login(s2, 'anna', PASSWORD, B)).statusCode).toBe(200);
    } finally {
      await again.close();
      rmSync(s.dir, { recursive: true, force: true });
    }
  });

  it('counts exactly when logins race: of twelve wrong passwords sent at once, five get 401 and seven 429', async () => {
    const s = await start();
    const codes = await Promise.all(Array.from({ length: 12 }, () => login(s, 'anna', 'wrong', A)));
    expect(codes.map((r) => r.statusCode).sort()).toEqual([...Array(5).fill(401), ...Array(7).fill(429)]);
    expect((await login(s, 'anna', PASSWORD, A)).statusCode).toBe(429);
  });

  it('lets exactly the limit through when attempts race on one limiter (check and count in one transaction)', async () => {
    const s = await start();
    const limiter = new LoginLimiter(s.app.db, { maxPerUser: 5, maxPerAddress: 100, windowMs: 60_000 });
    const passed = await Promise.all(Array.from({ length: 20 }, () => limiter.attempt('boris', C)));
    expect(passed.filter(Boolean)).toHaveLength(5);
    expect(await limiter.storedFailures()).toBe(5);
    expect(await limiter.blocked('boris', C)).toBe(true);
  });

  it('forgets failures older than the window and prunes their rows', async () => {
    const s = await start();
    let now = 1_000_000;
    const limiter = new LoginLimiter(s.app.db, { maxPerUser: 5, maxPerAddress: 100, windowMs: 60_000, clock: () => now });
    for (let i = 0; i < 5; i++) await limiter.fail('anna', A);
    expect(await limiter.blocked('anna', A)).toBe(true);
    expect(await limiter.blocked('boris', A)).toBe(false);
    expect(await limiter.blocked('anna', B)).toBe(false);
    now += 60_001;
    expect(await limiter.blocked('anna', A)).toBe(false);
    await limiter.fail('boris', A);
    expect(await limiter.storedFailures()).toBe(1);
  });
});
