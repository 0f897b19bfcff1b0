// What the demo's calls looked like, read from the calls it stored (the demo's SQLite, read-only): run it
// while `cti demo` runs, or after. Prints figures, no assertions:
//   1. the calls by kind and disposition;
//   2. talk times of answered calls (a pile at exactly 2:00 is the sandbox phone's 120 s tone file
//      ending a call nobody hung up);
//   3. ring times before an answer (the demo's phones ring 2-5 s);
//   4. managers in two calls at once: per phone, a leg talking while another call's leg on the same
//      phone talks ("two calls at once") or rings ("rung while in a call"), from the legs' own times;
//   5. anna's pops (inbound calls ringing 101): how soon after the first call, and the gaps between.
//
// Usage: npm run -s build && npm run -s bench:demo -- [--db data/demo.sqlite] [--minutes 15]
//   --minutes N: only the last N minutes of calls (default: all of them). Calls the service rebuilt from
//   Asterisk's CDR (source 'cdr': made while it was not running, such as a test run's on the same
//   sandbox) are left out: they are not the demo's.
import Database from 'better-sqlite3';
import { resolve } from 'node:path';
import { arg } from './replay.js';

interface CallRow {
  id: string;
  origin: string | null;
  direction: string;
  extension: string | null;
  startedAt: number;
  answeredAt: number | null;
  endedAt: number | null;
  ringMs: number;
  talkMs: number;
  disposition: string | null;
}
interface LegRow {
  callId: string;
  extension: string | null;
  startedAt: number;
  answeredAt: number | null;
  endedAt: number | null;
}

const MANAGERS = ['101', '102', '103', '198'];
const FEATURED = '101';
/** Less than this is two events of one moment (a hangup and the next call's ring), not an overlap. */
const SLACK_MS = 250;

const dbArg = process.argv.indexOf('--db');
const dbFile = resolve(dbArg > 0 ? process.argv[dbArg + 1]! : 'data/demo.sqlite');
const minutes = arg('minutes', 0);
const db = new Database(dbFile, { readonly: true, fileMustExist: true });
const now = Date.now();
const since = minutes > 0 ? now - minutes * 60_000 : 0;

const calls = db.prepare(`SELECT id, origin, direction, extension, started_at AS startedAt, answered_at AS answeredAt,
  ended_at AS endedAt, ring_ms AS ringMs, talk_ms AS talkMs, disposition FROM calls WHERE started_at >= ? AND source <> 'cdr' ORDER BY started_at`).all(since) as CallRow[];
const legs = db.prepare(`SELECT l.call_id AS callId, l.extension, l.started_at AS startedAt, l.answered_at AS answeredAt,
  l.ended_at AS endedAt FROM call_legs l JOIN calls c ON c.id = l.call_id WHERE c.started_at >= ? AND c.source <> 'cdr'`).all(since) as LegRow[];
db.close();
if (calls.length === 0) {
  console.log(`${dbFile}: no calls${minutes > 0 ? ` in the last ${minutes} min` : ''}`);
  process.exit(0);
}

const t0 = calls[0]!.startedAt;
const span = (calls.at(-1)!.startedAt - t0) / 60_000;
const sec = (ms: number) => (ms / 1000).toFixed(1);
const pct = (n: number, of: number) => (of === 0 ? '-' : `${((100 * n) / of).toFixed(1)} %`);
const quantiles = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return s.length === 0 ? 'none' : `min ${sec(s[0]!)}  p10 ${sec(q(0.1))}  median ${sec(q(0.5))}  p90 ${sec(q(0.9))}  max ${sec(s.at(-1)!)} s`;
};
const kind = (c: CallRow) => (c.origin === 'click2call' ? 'click2call' : c.direction);

console.log(`${dbFile}: ${calls.length} calls over ${span.toFixed(1)} min (${(calls.length / Math.max(span, 1 / 60)).toFixed(1)}/min), ${calls.filter((c) => c.endedAt === null).length} in progress`);

// 1. Calls by kind and disposition.
const byKind = new Map<string, Map<string, number>>();
for (const c of calls) {
  const m = byKind.get(kind(c)) ?? new Map<string, number>();
  m.set(c.disposition ?? 'in progress', (m.get(c.disposition ?? 'in progress') ?? 0) + 1);
  byKind.set(kind(c), m);
}
for (const [k, m] of byKind) console.log(`  ${k.padEnd(11)} ${[...m].map(([d, n]) => `${d} ${n}`).join(', ')}`);

// 2. Talk times.
const answered = calls.filter((c) => c.disposition === 'answered');
const talks = answered.map((c) => c.talkMs);
const BANDS: [string, number, number][] = [['< 10 s', 0, 10_000], ['10-20 s', 10_000, 20_000], ['20-31 s', 20_000, 31_000], ['31-119 s', 31_000, 119_000], ['119-121 s (2:00)', 119_000, 121_000], ['> 121 s', 121_000, Infinity]];
console.log(`\ntalk times of ${answered.length} answered calls: ${quantiles(talks)}`);
for (const [label, lo, hi] of BANDS) {
  const n = talks.filter((t) => t >= lo && t < hi).length;
  console.log(`  ${label.padEnd(17)} ${String(n).padStart(5)}  ${pct(n, talks.length)}`);
}
for (const k of new Set(answered.map(kind))) {
  const two = answered.filter((c) => kind(c) === k && c.talkMs >= 119_000 && c.talkMs < 121_000).length;
  console.log(`  ${k}: ${two} of ${answered.filter((c) => kind(c) === k).length} at 2:00`);
}

// 3. Ring times before the answer (inbound: the answering leg's ring; click-to-call: the manager's phone).
console.log(`\nring before the answer: ${quantiles(answered.map((c) => c.ringMs))}`);

// 4. Two calls at once on one phone.
const end = (l: LegRow) => l.endedAt ?? now;
const byExt = new Map<string, LegRow[]>();
for (const l of legs) if (l.extension && MANAGERS.includes(l.extension)) byExt.set(l.extension, [...(byExt.get(l.extension) ?? []), l]);
const twoAtOnce = new Set<string>();
const rungInCall = new Set<string>();
for (const [, ls] of byExt) {
  for (const a of ls) {
    if (a.answeredAt === null) continue;
    for (const b of ls) {
      if (b.callId === a.callId) continue;
      const overlap = Math.min(end(a), end(b)) - Math.max(a.answeredAt, b.startedAt);
      if (overlap <= SLACK_MS) continue;
      if (b.answeredAt !== null && Math.min(end(a), end(b)) - Math.max(a.answeredAt, b.answeredAt) > SLACK_MS) twoAtOnce.add(a.callId).add(b.callId);
      else rungInCall.add(b.callId);
    }
  }
}
const withManager = new Set(legs.filter((l) => l.extension && MANAGERS.includes(l.extension)).map((l) => l.callId));
console.log(`\nof ${withManager.size} calls that rang a manager's phone:`);
console.log(`  in a call at once with another on the same phone: ${twoAtOnce.size}  ${pct(twoAtOnce.size, withManager.size)}`);
console.log(`  rang a phone that was in another call:           ${rungInCall.size}  ${pct(rungInCall.size, withManager.size)}`);
for (const id of [...twoAtOnce, ...rungInCall].slice(0, 10)) {
  const c = calls.find((x) => x.id === id)!;
  const on = legs.filter((l) => l.callId === id).map((l) => `${l.extension}${l.answeredAt ? '*' : ''}`).join(',');
  console.log(`    ${new Date(c.startedAt).toISOString().slice(11, 19)} ${kind(c)} legs ${on} talk ${sec(c.talkMs)} s`);
}

// 5. anna's pops.
const pops = calls.filter((c) => c.direction === 'inbound' && c.origin !== 'click2call' && legs.some((l) => l.callId === c.id && l.extension === FEATURED)).map((c) => c.startedAt);
const answeredByAnna = answered.filter((c) => c.extension === FEATURED && c.direction === 'inbound').length;
const gaps = pops.slice(1).map((t, i) => t - pops[i]!);
console.log(`\nanna's phone (${FEATURED}): ${pops.length} inbound calls rang it, ${answeredByAnna} answered by her`);
console.log(`  first pop ${pops.length ? `${sec(pops[0]! - t0)} s after the first call` : 'never'}; gaps between pops: ${quantiles(gaps)}`);
