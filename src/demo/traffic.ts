// The demo's traffic, pure: given which phones are busy now and when anna last got a call, which call
// the demo places next (or none). No I/O and no clock of its own: src/cli/demo.ts feeds it the time,
// the busy phones (its own calls in flight and the PBX's device states) and the product's routing
// decision for a caller, so the plan knows which phones a call will ring before it is placed.
import type { DemoClient } from './data.js';

/** anna: whoever opens the demo first logs in as her, so her phone gets an inbound call (a pop) often. */
export const FEATURED_EXTENSION = '101';
/** The longest gap between two inbound calls to the featured phone while it is free. */
export const FEATURED_EVERY_MS = 30_000;
/** The managers' phones that answer (198 never does; 199 is always busy). */
export const ANSWERING_EXTENSIONS = ['101', '102', '103'] as const;

export type DemoCall =
  | {
      kind: 'inbound';
      /** The dialled number: its last three digits pick the sandbox phone (sandbox/asterisk/extensions.conf). */
      did: string;
      from: string;
      /** The simulated client hangs up this long after the answer (channel variable TALK). */
      talkSeconds: number;
      /** Every phone the call may ring (routing's first and then targets). */
      phones: string[];
    }
  | { kind: 'click2call'; extension: string; to: string; talkSeconds: number; phones: string[] };

export interface TrafficView {
  now: number;
  /** Extensions ringing or in a call now. */
  busy: ReadonlySet<string>;
  /** When the featured phone's last inbound call was placed (epoch ms), or null. */
  lastFeaturedAt: number | null;
}

export interface TrafficDeps {
  clients: readonly DemoClient[];
  /** An integer in [0, n). */
  random: (n: number) => number;
  /** The phones an inbound call from `from` to `did` rings (the product's routing decision). */
  route: (from: string, did: string) => string[];
}

const did = (ext: string) => `74950000${ext}`;
/** Every number the demo dials inbound (the sandbox's DIDs of its phones). */
export const DEMO_DIDS: readonly string[] = [...ANSWERING_EXTENSIONS, '198', '199'].map(did);

function unknownNumber(random: TrafficDeps['random']): string {
  return `+7916${String(random(9_000_000) + 1_000_000)}`;
}

/** A known client half of the time, else a number nobody knows. */
function caller(d: TrafficDeps): string {
  return d.random(2) === 0 ? d.clients[d.random(d.clients.length)]!.phone : unknownNumber(d.random);
}

function inbound(d: TrafficDeps, to: string, from: string): DemoCall {
  return { kind: 'inbound', did: did(to), from, talkSeconds: 5 + d.random(26), phones: d.route(from, did(to)) };
}

/**
 * Weighted scenarios; each builds one candidate call. The weights are the mix a supervisor sees in the
 * reports: most calls answered, a few missed (198) and busy (199).
 */
const SCENARIOS: { weight: number; build: (d: TrafficDeps) => DemoCall }[] = [
  // A client calls a manager's number (or routing sends a known client to its manager).
  { weight: 12, build: (d) => inbound(d, ANSWERING_EXTENSIONS[d.random(ANSWERING_EXTENSIONS.length)]!, caller(d)) },
  // denis's phone never answers: missed calls, callback tasks.
  { weight: 2, build: (d) => inbound(d, '198', caller(d)) },
  // 199 is always busy.
  { weight: 1, build: (d) => inbound(d, '199', caller(d)) },
  {
    weight: 4,
    build: (d) => {
      const ext = ANSWERING_EXTENSIONS[d.random(ANSWERING_EXTENSIONS.length)]!;
      return { kind: 'click2call', extension: ext, to: caller(d), talkSeconds: 5 + d.random(21), phones: [ext] };
    },
  },
];
const TOTAL = SCENARIOS.reduce((a, s) => a + s.weight, 0);

const free = (view: TrafficView, call: DemoCall) => call.phones.every((p) => !view.busy.has(p));

/**
 * The next call, or null when every candidate would ring a busy phone: no manager is ever in two demo
 * calls at once. The featured phone, when free and not rung for FEATURED_EVERY_MS, comes first, with a
 * caller whose call rings it first (a client routing sends to anna, so her pop names the client and
 * the contact, or half the time an unknown number on her DID) and every phone it may ring free.
 */
export function nextDemoCall(view: TrafficView, d: TrafficDeps): DemoCall | null {
  if (!view.busy.has(FEATURED_EXTENSION) && (view.lastFeaturedAt === null || view.now - view.lastFeaturedAt >= FEATURED_EVERY_MS)) {
    const known = d.clients.map((c) => inbound(d, FEATURED_EXTENSION, c.phone))
      .filter((c) => c.phones[0] === FEATURED_EXTENSION && free(view, c));
    if (known.length > 0 && d.random(2) === 0) return known[d.random(known.length)]!;
    const unknown = inbound(d, FEATURED_EXTENSION, unknownNumber(d.random));
    if (unknown.phones[0] === FEATURED_EXTENSION && free(view, unknown)) return unknown;
  }
  // One scenario per tick, and only its own candidates: a busy floor places fewer calls rather than
  // more of the ones that always fit (199's busy tone, which takes no time).
  let r = d.random(TOTAL);
  const s = SCENARIOS.find((x) => (r -= x.weight) < 0)!;
  for (let attempt = 0; attempt < 4; attempt++) {
    const call = s.build(d);
    // The featured phone's next inbound call is its own rule's: other calls leave it free meanwhile.
    if (call.phones.includes(FEATURED_EXTENSION) && view.lastFeaturedAt !== null && view.now - view.lastFeaturedAt > FEATURED_EVERY_MS / 2) continue;
    if (free(view, call)) return call;
  }
  return null;
}

/** Whether an inbound call rings the featured phone (the demo then notes the time). */
export function ringsFeatured(call: DemoCall): boolean {
  return call.kind === 'inbound' && call.phones.includes(FEATURED_EXTENSION);
}

/** The phones a routing decision rings: the extensions of its PJSIP dial strings (a group is several). */
export function phonesOfDecision(decision: { first: { dial: string } | null; then: { dial: string } }): string[] {
  const dials = [decision.first?.dial, decision.then.dial].filter((x): x is string => Boolean(x));
  return [...new Set(dials.flatMap((d) => d.split('&')).map((d) => /^PJSIP\/(\w+)$/.exec(d)?.[1]).filter((x): x is string => Boolean(x)))];
}
