// POST /api/v1/calls/click-to-call under the dial policy (src/calls/dial-policy.ts): a refused
// destination is 403 CTI_ERR_DESTINATION_DENIED with its reason, before anything reaches the PBX; an
// allowed one goes on to the PBX (503 here: the service tier has no PBX); too many in a minute is 429.
import { afterEach, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../support/app.js';
import { loginCookie, seedPasswordUser } from '../support/session.js';

let t: TestApp | undefined;
afterEach(async () => { await t?.close(); t = undefined; });

async function manager(env: Record<string, string> = {}) {
  t = await testApp(env);
  await seedPasswordUser(t.app, 'anna', 'manager', '101');
  const cookie = await loginCookie(t.app, 'anna');
  const app = t.app;
  return (number: string) => app.inject({
    method: 'POST', url: '/api/v1/calls/click-to-call', headers: { cookie, 'x-cti-csrf': '1' }, payload: { number },
  });
}

describe('click-to-call: which numbers may be dialled', () => {
  it.each([
    ['+1 900 555-1234', 'premium', 'premium-rate'],
    ['+979 123 456 789', 'premium', 'premium-rate'],
    ['8 809 123-45-67', 'premium', 'premium-rate'],
    ['+882 16 1234 5678', 'international_network', 'international network'],
    ['+881 6 1234 5678', 'international_network', 'satellite'],
    ['+375 29 123-45-67', 'region', 'country'],
    ['+7 701 123 45 67', 'region', 'country'],
  ])('the default policy refuses %s: 403, reason %s', async (number, reason, words) => {
    const c2c = await manager();
    const r = await c2c(number);
    expect(r.statusCode, r.body).toBe(403);
    expect(r.json().error).toMatchObject({ code: 'CTI_ERR_DESTINATION_DENIED', details: { reason } });
    expect(r.json().error.message).toContain(words);
  });

  it('a number of the home country goes on to the PBX (503 without one)', async () => {
    const c2c = await manager();
    for (const n of ['+7 916 123-45-67', '8 (495) 123-45-67', '8 800 123-45-67']) {
      const r = await c2c(n);
      expect(r.statusCode, `${n}: ${r.body}`).toBe(503);
      expect(r.json().error.code).toBe('CTI_ERR_PBX_UNAVAILABLE');
    }
  });

  it('CTI_DIAL_ALLOW and CTI_DIAL_DENY change it: a denied prefix is 403 reason prefix', async () => {
    const c2c = await manager({ CTI_DIAL_ALLOW: 'RU,+375', CTI_DIAL_DENY: '+7495' });
    expect((await c2c('+375 29 123-45-67')).statusCode).toBe(503);
    const r = await c2c('+7 495 123-45-67');
    expect(r.statusCode).toBe(403);
    expect(r.json().error).toMatchObject({ code: 'CTI_ERR_DESTINATION_DENIED', details: { reason: 'prefix' } });
  });

  it('more than CTI_DIAL_RATE_PER_MINUTE requests in a minute: 429 with Retry-After', async () => {
    const c2c = await manager({ CTI_DIAL_RATE_PER_MINUTE: '2' });
    expect((await c2c('+79161234567')).statusCode).toBe(503);
    expect((await c2c('+79161234568')).statusCode).toBe(503);
    const r = await c2c('+79161234569');
    expect(r.statusCode).toBe(429);
    expect(r.json().error).toMatchObject({ code: 'CTI_ERR_DIAL_RATE_LIMITED', details: { max: 2 } });
    expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    // A refused destination is not a call: it does not count, and it is still said as such.
    expect((await c2c('+19005551234')).json().error.code).toBe('CTI_ERR_DESTINATION_DENIED');
  });
});
