// The demo's traffic on a fake clock: twenty minutes of ticks, calls that ring and talk for the time
// they were planned, routed by the product's own decide() with the demo's rules. A manager is never
// in two demo calls at once, and anna's phone rings with an inbound call within a minute from any moment.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENTS } from '../../src/demo/data.js';
import { FEATURED_EXTENSION, nextDemoCall, phonesOfDecision, ringsFeatured, type DemoCall } from '../../src/demo/traffic.js';
import { decide } from '../../src/routing/decide.js';
import { parseRules } from '../../src/routing/rules.js';

const rules = parseRules({ ...JSON.parse(readFileSync('config/routing.example.json', 'utf8')), managerRingSeconds: 10, targetRingSeconds: 15 });
const OWNER_EXT: Record<string, string> = { anna: '101', boris: '102', olga: '103' };

/** The product's routing for the demo's callers (no prior managers: owners and turnover decide). */
function route(from: string, did: string): string[] {
  const c = DEMO_CLIENTS.find((x) => x.phone === from);
  const didExt = /(101|102|103|198|199)$/.exec(did)?.[1];
  const facts = {
    client: c ? { id: c.ext, turnover: c.turnover, currency: 'RUB' } : null,
    priorManagerExtension: null,
    ownerExtension: c?.owner ? OWNER_EXT[c.owner] ?? null : null,
  };
  return phonesOfDecision(decide(rules, facts, didExt ? `PJSIP/${didExt}` : null));
}

/** A seeded random source, so a failure can be replayed. */
function seeded(seed: number) {
  let s = seed;
  return (n: number) => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return Math.floor((s / 2 ** 31) * n);
  };
}

function simulate(seed: number, minutes: number) {
  const random = seeded(seed);
  const live: { call: DemoCall; endsAt: number }[] = [];
  const featuredAt: number[] = [];
  let worstOverlap = 0;
  let placed = 0;
  const toPhone = { '198': 0, '199': 0 };
  for (let now = 0; now < minutes * 60_000; now += 4000) {
    for (let i = live.length - 1; i >= 0; i--) if (live[i]!.endsAt <= now) live.splice(i, 1);
    const busy = new Set(live.flatMap((l) => l.call.phones));
    const call = nextDemoCall({ now, busy, lastFeaturedAt: featuredAt.at(-1) ?? null }, { clients: DEMO_CLIENTS, random, route });
    if (!call) continue;
    placed++;
    if (call.phones.includes('198')) toPhone['198']++;
    if (call.phones.includes('199')) toPhone['199']++;
    // Rings up to 5 s, talks for its planned time (a missed call rings 25 s: both routing steps).
    const ms = (call.phones.includes('198') ? 25 : 5 + call.talkSeconds) * 1000;
    live.push({ call, endsAt: now + ms });
    if (ringsFeatured(call)) featuredAt.push(now);
    for (const ext of new Set(live.flatMap((l) => l.call.phones))) {
      worstOverlap = Math.max(worstOverlap, live.filter((l) => l.call.phones.includes(ext)).length);
    }
  }
  return { featuredAt, worstOverlap, placed, toPhone };
}

describe('demo traffic', () => {
  it('never puts a manager in two demo calls at once', () => {
    for (const seed of [1, 2, 3, 42, 1234]) {
      const { worstOverlap, placed } = simulate(seed, 20);
      expect(worstOverlap, `seed ${seed}`).toBe(1);
      expect(placed, `seed ${seed}: calls keep flowing`).toBeGreaterThan(100);
    }
  });

  it('places mostly calls the managers answer: few to the busy phone (199) and the one that never answers (198)', () => {
    for (const seed of [1, 2, 3, 42, 1234]) {
      const { placed, toPhone } = simulate(seed, 20);
      expect(toPhone['199'] / placed, `seed ${seed}: busy`).toBeLessThan(0.12);
      expect(toPhone['198'] / placed, `seed ${seed}: missed`).toBeLessThan(0.2);
    }
  });

  it("rings anna's phone with an inbound call within a minute from any moment", () => {
    for (const seed of [1, 2, 3, 42, 1234]) {
      const { featuredAt } = simulate(seed, 20);
      expect(featuredAt[0], `seed ${seed}: the first call`).toBeLessThan(10_000);
      const gaps = featuredAt.slice(1).map((t, i) => t - featuredAt[i]!);
      expect(Math.max(...gaps, 20 * 60_000 - featuredAt.at(-1)!), `seed ${seed}`).toBeLessThan(60_000);
    }
  });

  it('gives every inbound call a talk time, so the simulated client hangs up', () => {
    const random = seeded(7);
    for (let i = 0; i < 200; i++) {
      const call = nextDemoCall({ now: i * 4000, busy: new Set(), lastFeaturedAt: i * 4000 }, { clients: DEMO_CLIENTS, random, route });
      if (call) expect(call.talkSeconds).toBeGreaterThan(0);
    }
  });

  it("rings anna first with the featured call, often from a client of hers (her pop names them)", () => {
    const random = seeded(3);
    const from = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const call = nextDemoCall({ now: i * 60_000, busy: new Set(['102']), lastFeaturedAt: null }, { clients: DEMO_CLIENTS, random, route });
      expect(call?.kind).toBe('inbound');
      expect(call?.phones[0]).toBe(FEATURED_EXTENSION);
      expect(call?.phones).not.toContain('102');
      if (call?.kind === 'inbound') from.add(DEMO_CLIENTS.find((c) => c.phone === call.from)?.name ?? 'unknown');
    }
    expect(from).toContain('ООО «Ромашка»');
    expect(from).toContain('unknown');
  });
});
