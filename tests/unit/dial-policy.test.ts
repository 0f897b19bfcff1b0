// Which numbers may be dialled (src/calls/dial-policy.ts): the destination rules on E.164 numbers and
// the per-user limits of click-to-call, on a fake clock. The numbers are those of the incident (issue 10,
// item 9: +1 900, +979 and +882 dialled at once from one manager) and the home country's own ranges.
import { describe, expect, it } from 'vitest';
import { loadBaseConfig } from '../../src/config/config.js';
import { checkDestination, dialPolicyOf, DialLimiter } from '../../src/calls/dial-policy.js';

const policy = (env: Record<string, string> = {}) => dialPolicyOf(loadBaseConfig(env));

describe('destination policy: the safe default (the home country only)', () => {
  const p = policy();

  it.each([
    ['+79161234567', 'a Russian mobile'],
    ['+74951234567', 'a Moscow landline'],
    ['+78001234567', 'Russian freephone 8-800'],
  ])('allows %s (%s)', (n) => {
    expect(checkDestination(p, n)).toEqual({ allowed: true, e164: n });
  });

  it.each([
    ['+19005551234', 'premium', 'US premium rate +1 900'],
    ['+979123456789', 'premium', 'International Premium Rate Service +979'],
    ['+78091234567', 'premium', 'Russian premium rate 8-809'],
    ['+78031234567', 'premium', 'Russian premium rate 8-803'],
    ['+448712345678', 'premium', 'UK premium rate 0871'],
    ['+882161234567', 'international_network', 'international networks +882'],
    ['+883510012345', 'international_network', 'international networks +883'],
    ['+881612345678', 'international_network', 'satellite (GMSS) +881'],
    ['+870773111632', 'international_network', 'Inmarsat +870'],
    ['+80012345678', 'international_network', 'international freephone +800'],
    ['+77011234567', 'region', 'Kazakhstan, which shares +7'],
    ['+375291234567', 'region', 'Belarus'],
    ['+12025550123', 'region', 'the US'],
  ])('refuses %s: %s (%s)', (n, reason) => {
    expect(checkDestination(p, n)).toEqual({ allowed: false, e164: n, reason });
  });

  it('follows CTI_DEFAULT_REGION when CTI_DIAL_ALLOW is not set', () => {
    const kz = policy({ CTI_DEFAULT_REGION: 'KZ' });
    expect(checkDestination(kz, '+77011234567').allowed).toBe(true);
    expect(checkDestination(kz, '+79161234567')).toMatchObject({ allowed: false, reason: 'region' });
  });
});

describe('destination policy: CTI_DIAL_ALLOW and CTI_DIAL_DENY', () => {
  it('an allow list of regions and prefixes', () => {
    const p = policy({ CTI_DIAL_ALLOW: 'RU, KZ,+375' });
    for (const n of ['+79161234567', '+77011234567', '+375291234567']) expect(checkDestination(p, n).allowed).toBe(true);
    expect(checkDestination(p, '+380441234567')).toMatchObject({ allowed: false, reason: 'region' });
  });

  it('premium rate stays refused inside an allowed region or prefix', () => {
    const p = policy({ CTI_DIAL_ALLOW: 'RU,US,+375' });
    expect(checkDestination(p, '+12025550123').allowed).toBe(true);
    expect(checkDestination(p, '+19005551234')).toMatchObject({ allowed: false, reason: 'premium' });
    expect(checkDestination(p, '+3759021234567')).toMatchObject({ allowed: false, reason: 'premium' });
  });

  it('a deny prefix wins over the allow list', () => {
    const p = policy({ CTI_DIAL_ALLOW: 'RU', CTI_DIAL_DENY: '+7495,+7812' });
    expect(checkDestination(p, '+74951234567')).toMatchObject({ allowed: false, reason: 'prefix' });
    expect(checkDestination(p, '+78121234567')).toMatchObject({ allowed: false, reason: 'prefix' });
    expect(checkDestination(p, '+74991234567').allowed).toBe(true);
  });

  it('an international network is allowed only by an explicit prefix', () => {
    const p = policy({ CTI_DIAL_ALLOW: 'RU,+800' });
    expect(checkDestination(p, '+80012345678').allowed).toBe(true);
    expect(checkDestination(p, '+882161234567')).toMatchObject({ allowed: false, reason: 'international_network' });
    expect(checkDestination(policy({ CTI_DIAL_ALLOW: '*' }), '+882161234567')).toMatchObject({ allowed: false, reason: 'international_network' });
  });

  it('* allows every country, still not premium rate', () => {
    const p = policy({ CTI_DIAL_ALLOW: '*' });
    expect(checkDestination(p, '+12025550123').allowed).toBe(true);
    expect(checkDestination(p, '+19005551234')).toMatchObject({ allowed: false, reason: 'premium' });
  });

  it.each([
    ['CTI_DIAL_ALLOW', 'Russia'],
    ['CTI_DIAL_ALLOW', 'XX'],
    ['CTI_DIAL_ALLOW', '7495'],
    ['CTI_DIAL_ALLOW', 'RU,,KZ'],
    ['CTI_DIAL_DENY', 'RU'],
    ['CTI_DIAL_DENY', '+'],
    ['CTI_DIAL_RATE_PER_MINUTE', '-1'],
    ['CTI_DIAL_MAX_CONCURRENT', 'two'],
  ])('a bad %s (%s) stops the start, naming the variable', (name, value) => {
    expect(() => loadBaseConfig({ [name]: value })).toThrow(new RegExp(`${name}:`));
  });
});

describe('click-to-call limits per user (fake clock)', () => {
  function limiter(perMinute: number, concurrent: number) {
    let now = 1_000_000;
    const l = new DialLimiter({ perMinute, concurrent }, () => now);
    return { l, tick: (ms: number) => { now += ms; } };
  }

  it('at most N a minute, counted over the last 60 s; says when the next one may go', () => {
    const { l, tick } = limiter(3, 10);
    for (let i = 0; i < 3; i++) { expect(l.admit('anna')).toMatchObject({ ok: true }); tick(10_000); }
    expect(l.admit('anna')).toEqual({ ok: false, limit: 'rate', max: 3, retryAfterSeconds: 30 });
    expect(l.admit('boris')).toMatchObject({ ok: true });
    tick(29_999);
    expect(l.admit('anna')).toMatchObject({ ok: false, limit: 'rate', retryAfterSeconds: 1 });
    tick(1);
    expect(l.admit('anna')).toMatchObject({ ok: true });
  });

  it('at most M at once; a call that ends frees its place, once', () => {
    const { l } = limiter(100, 2);
    const a = l.admit('anna');
    const b = l.admit('anna');
    if (!a.ok || !b.ok) throw new Error('first two admitted');
    expect(l.admit('anna')).toEqual({ ok: false, limit: 'concurrency', max: 2 });
    a.release();
    a.release();
    expect(l.admit('anna')).toMatchObject({ ok: true });
    expect(l.admit('anna')).toMatchObject({ ok: false, limit: 'concurrency' });
  });

  it('a refused request does not count towards the minute', () => {
    const { l } = limiter(2, 1);
    const a = l.admit('anna');
    expect(l.admit('anna')).toMatchObject({ ok: false, limit: 'concurrency' });
    if (a.ok) a.release();
    expect(l.admit('anna')).toMatchObject({ ok: true });
  });

  it('0 turns a limit off', () => {
    const { l } = limiter(0, 0);
    for (let i = 0; i < 50; i++) expect(l.admit('anna').ok).toBe(true);
  });

  it('the configured defaults: 10 a minute, 2 at once', () => {
    expect(policy().limits).toEqual({ perMinute: 10, concurrent: 2 });
  });
});
