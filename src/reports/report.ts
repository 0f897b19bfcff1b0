// The calls report (issue 5): totals per manager and/or period, with KPI bands and the period just
// before for comparison (previousPeriod). Supervisors and admins only.
//
// Where the numbers come from. Ended calls only (a call in progress has no outcome yet). A call belongs
// to the period its start falls in, in the report's time zone: a call that spans midnight counts for the
// day (hour, week, month) it started, all its talk time included. "Manager" is the call's manager
// extension (see README: the phone that answered last, or placed the call) and the user who had that
// phone when the call was written (calls.manager_id, src/users/directory.ts): a phone handed over keeps its
// past calls with the first user, in a row of their own. Callbacks count by their due time and their
// assignee (on the assignee's extension now); one is on time when done_at <= due_at.
//
// Speed. Calls are summed from call_stats_hourly (UTC hour x extension x direction, see aggregates.ts)
// for every UTC hour that lies wholly in one period: all of them in a zone with a whole-hour offset and
// bounds on the hour. The hours a bound or a local midnight cuts (India's +05:30, a bound at 10:30; every
// hour when grouping by hour in such a zone) are summed from calls through the covering index
// calls_report_idx. SQL buckets by arithmetic within segments of constant offset (DST splits a range
// into segments); weeks and months are rolled up from days here.
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { rows } from '../db/query.js';
import { indexedBy } from '../db/reports.js';
import { users } from '../db/schema/index.js';
import { CtiError } from '../lib/errors.js';
import { refreshAggregates } from './aggregates.js';
import type { Actor } from '../users/users.js';
import type { Outcome } from '../tasks/outcomes.js';
import { bandOf, BANDED_METRICS, type Band, type BandedMetric, type KpiBands } from './kpi.js';
import { DAY, HOUR, dayLabel, isTimeZone, localToUtc, offsetAt, pad, parseBound, segments, type Segment } from '../lib/timezone.js';

export const GROUP_KEYS = ['manager', 'day', 'week', 'month', 'hour'] as const;
export type GroupKey = (typeof GROUP_KEYS)[number];
type TimeUnit = Exclude<GroupKey, 'manager'>;

export interface ReportContext {
  db: Db;
  actor: Actor;
  /** The company's zone (CTI_TIMEZONE); a request's `tz` overrides it. */
  timeZone: string;
  kpi: KpiBands;
  outcomes: readonly Outcome[];
  /** Now (tests pass a fake clock): a callback due later is not late yet. */
  clock?: () => number;
}

export interface ReportInput {
  from: string;
  to: string;
  groupBy?: string;
  direction?: 'inbound' | 'outbound' | 'internal';
  extension?: string;
  /** One PBX's calls (src/pbx/pbxes.ts); all when absent. */
  pbx?: string;
  tz?: string;
}

export type Metrics = Record<BandedMetric, number | null>;
export interface MetricCell {
  value: number | null;
  band: Band | null;
}

export interface ReportRow {
  extension: string | null;
  managerId: string | null;
  managerName: string | null;
  /** The PBX of the manager's extension (src/pbx/pbxes.ts): with several PBXs, "101" names a phone only with it. */
  managerPbx: string | null;
  /** '2026-11-20' (day), '2026-W47' (ISO week), '2026-11' (month), '2026-11-20T09:00' (hour); null if not grouped by time. */
  period: string | null;
  periodStart: string | null;
  periodEnd: string | null;
  metrics: Record<BandedMetric, MetricCell>;
  /** Wrap-up outcome id -> number of calls. */
  outcomes: Record<string, number>;
}

export interface CallReport {
  from: string;
  to: string;
  timeZone: string;
  groupBy: GroupKey[];
  /** aggregates: all from call_stats_hourly; calls: all from the call log; mixed: hours cut by a bound or a local midnight from the log. */
  source: 'aggregates' | 'calls' | 'mixed';
  rows: ReportRow[];
  totals: { metrics: Record<BandedMetric, MetricCell>; outcomes: Record<string, number> };
  previous: { from: string; to: string; metrics: Record<BandedMetric, MetricCell>; outcomes: Record<string, number> };
}

/** Sums that combine by addition (or max): what SQL returns per bucket and what rows accumulate. */
interface Sums {
  callsIn: number; callsOut: number; callsInternal: number; answered: number; answeredIn: number;
  ringAnsweredMs: number; talkMs: number; maxTalkMs: number; callbacksDue: number; callbacksOnTime: number;
  outcomes: Record<string, number>;
}

const emptySums = (): Sums => ({
  callsIn: 0, callsOut: 0, callsInternal: 0, answered: 0, answeredIn: 0, ringAnsweredMs: 0, talkMs: 0, maxTalkMs: 0,
  callbacksDue: 0, callbacksOnTime: 0, outcomes: {},
});

const bad = (message: string) => new CtiError('CTI_ERR_BAD_REQUEST', message);
const round1 = (x: number) => Math.round(x * 10) / 10;

export function metricsOf(s: Sums): Metrics {
  const calls = s.callsIn + s.callsOut + s.callsInternal;
  return {
    calls,
    callsIn: s.callsIn,
    callsOut: s.callsOut,
    callsInternal: s.callsInternal,
    answered: s.answered,
    missed: s.callsIn - s.answeredIn,
    answerRate: s.callsIn ? Math.round((s.answeredIn / s.callsIn) * 10_000) / 10_000 : null,
    talkSeconds: Math.round(s.talkMs / 1000),
    avgTalkSeconds: s.answered ? round1(s.talkMs / s.answered / 1000) : null,
    avgRingSeconds: s.answered ? round1(s.ringAnsweredMs / s.answered / 1000) : null,
    longestCallSeconds: Math.round(s.maxTalkMs / 1000),
    callbacksDue: s.callbacksDue,
    callbacksOnTime: s.callbacksOnTime,
  };
}

function banded(kpi: KpiBands, m: Metrics): Record<BandedMetric, MetricCell> {
  const out = {} as Record<BandedMetric, MetricCell>;
  for (const k of BANDED_METRICS) out[k] = { value: m[k], band: bandOf(kpi, k, m[k], m) };
  return out;
}

function parseGroupBy(s: string | undefined): GroupKey[] {
  if (!s) return [];
  const keys = s.split(',').map((k) => k.trim()).filter(Boolean);
  for (const k of keys) if (!(GROUP_KEYS as readonly string[]).includes(k)) throw bad(`groupBy: unknown '${k}' (use ${GROUP_KEYS.join(', ')})`);
  if (new Set(keys).size !== keys.length) throw bad('groupBy: a key is repeated');
  if (keys.filter((k) => k !== 'manager').length > 1) throw bad('groupBy: at most one of day, week, month, hour');
  return keys as GroupKey[];
}

interface Query {
  from: number;
  to: number;
  byManager: boolean;
  unit: TimeUnit | null;
  direction?: string;
  extension?: string;
  pbx?: string;
  now: number;
}

interface BucketRow { ext: string | null; mid: string | null; dir: string; idx: number; n: number; a: number; r: number; t: number; mx: number }
interface OutcomeRow { ext: string | null; mid: string | null; idx: number; outcome: string; n: number }
interface CallbackRow { ext: string | null; mid: string | null; idx: number; due: number; ontime: number }

/**
 * Which parts of a constant-offset segment the hourly aggregates can answer: every UTC hour that lies
 * wholly inside one bucket. The rest (a bound off the hour, the hour holding a local midnight in a
 * half-hour zone, every hour when grouping by hour in one) is summed from the call log.
 */
export function planSegment(unit: TimeUnit | null, seg: Segment): { agg: { from: number; to: number; exclude: number[] } | null; calls: [number, number][] } {
  const a = Math.ceil(seg.from / HOUR) * HOUR;
  const b = Math.floor(seg.to / HOUR) * HOUR;
  if (a >= b || (unit === 'hour' && seg.offset % HOUR !== 0)) return { agg: null, calls: [[seg.from, seg.to]] };
  const calls: [number, number][] = [];
  if (seg.from < a) calls.push([seg.from, a]);
  if (b < seg.to) calls.push([b, seg.to]);
  const exclude: number[] = [];
  if (unit && seg.offset % HOUR !== 0) {
    for (let m = Math.ceil((a + seg.offset) / DAY) * DAY - seg.offset; m < b; m += DAY) {
      const h = m - (m % HOUR);
      exclude.push(h);
      calls.push([h, h + HOUR]);
    }
  }
  return { agg: { from: a, to: b, exclude }, calls };
}

type Collected = Map<string, Sums & { ext: string | null; mid: string | null; idx: number }>;

const QUERIES_AT_ONCE = 2;

/** Runs the tasks, at most n at a time; their results in the tasks' order. */
async function atMost<T>(n: number, tasks: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, tasks.length) }, worker));
  return out;
}

/** Sums per (extension, manager, local period index) over [q.from, q.to), keyed "ext|mid|idx"; and what served them. */
async function collect(db: Db, q: Query, segs: Segment[]): Promise<{ sums: Collected; aggregates: boolean; calls: boolean }> {
  const out: Collected = new Map();
  const at = (ext: string | null, mid: string | null, idx: number) => {
    const key = `${ext ?? ''}|${mid ?? ''}|${idx}`;
    let s = out.get(key);
    if (!s) out.set(key, (s = { ...emptySums(), ext, mid, idx }));
    return s;
  };
  const unitMs = q.unit === 'hour' ? HOUR : DAY;
  const col = (name: string) => sql.raw(name);
  // The local period index: integer division on both engines (bigint / bigint); CAST: better-sqlite3
  // binds JS numbers as REAL, and REAL / n is no integer division.
  const idx = (c: string, off: number) => (q.unit ? sql`((${col(c)} + CAST(${off} AS bigint)) / ${sql.raw(String(unitMs))})` : sql`0`);
  // Not grouped by manager: one NULL for every row (typed, so that PostgreSQL can group by it).
  const ext = (c: string) => (q.byManager ? col(c) : sql`CAST(NULL AS text)`);
  const mid = (c: string) => (q.byManager ? col(c) : sql`CAST(NULL AS text)`);
  // `e`: the extension column ("extension", "c.extension", "u.extension"); its row's PBX is beside it.
  const filters = (e: string, d: string | null) => sql`${q.extension !== undefined ? sql` AND ${col(e)} = ${q.extension}` : sql``}${
    q.direction && d ? sql` AND ${col(d)} = ${q.direction}` : sql``}${q.pbx !== undefined ? sql` AND ${col(e.replace('extension', 'pbx_id'))} = ${q.pbx}` : sql``}`;
  const notExcluded = (exclude: number[]) =>
    (exclude.length ? sql` AND hour_start NOT IN (${sql.join(exclude.map((h) => sql`${h}`), sql`, `)})` : sql``);
  // Only users' phones are managers: a call on an extension nobody had (a test phone) is no manager's
  // and not the company's traffic; a call no phone took (extension NULL) is, in the "no manager" row.
  const usersPhones = (e: string, m: string) => sql` AND (${col(e)} IS NULL OR ${col(m)} IS NOT NULL)`;
  const reportIdx = indexedBy(db, 'calls_report_idx');

  // GROUP BY output positions: PostgreSQL takes an expression with a parameter in it ($1 in the SELECT
  // list, $5 in GROUP BY) for a different one; positions name the SELECT list's own.
  const agg = {
    calls: (from: number, to: number, off: number, exclude: number[]) => rows<BucketRow>(db, sql`SELECT ${ext('extension')} AS ext, ${mid('manager_id')} AS mid, direction AS dir,
         ${idx('hour_start', off)} AS idx, sum(calls) AS n, sum(answered) AS a, sum(ring_answered_ms) AS r, sum(talk_ms) AS t, max(max_talk_ms) AS mx
       FROM call_stats_hourly WHERE hour_start >= ${from} AND hour_start < ${to}${notExcluded(exclude)}${usersPhones('extension', 'manager_id')}${filters('extension', 'direction')}
       GROUP BY 1, 2, 3, 4`),
    outcomes: (from: number, to: number, off: number, exclude: number[]) => rows<OutcomeRow>(db, sql`SELECT ${ext('extension')} AS ext, ${mid('manager_id')} AS mid,
         ${idx('hour_start', off)} AS idx, outcome, sum(calls) AS n
       FROM call_outcome_stats_hourly WHERE hour_start >= ${from} AND hour_start < ${to}${notExcluded(exclude)}${usersPhones('extension', 'manager_id')}${filters('extension', 'direction')}
       GROUP BY 1, 2, 3, 4`),
  };
  const log = {
    calls: (from: number, to: number, off: number) => rows<BucketRow>(db, sql`SELECT ${ext('extension')} AS ext, ${mid('manager_id')} AS mid, direction AS dir,
         ${idx('started_at', off)} AS idx, count(*) AS n, count(CASE WHEN disposition = 'answered' THEN 1 END) AS a,
         sum(CASE WHEN disposition = 'answered' THEN ring_ms ELSE 0 END) AS r, sum(talk_ms) AS t, max(talk_ms) AS mx
       FROM calls${reportIdx}
       WHERE started_at >= ${from} AND started_at < ${to} AND state = 'ended'${usersPhones('extension', 'manager_id')}${filters('extension', 'direction')}
       GROUP BY 1, 2, 3, 4`),
    outcomes: (from: number, to: number, off: number) => rows<OutcomeRow>(db, sql`SELECT ${ext('c.extension')} AS ext, ${mid('c.manager_id')} AS mid,
         ${idx('c.started_at', off)} AS idx, w.outcome AS outcome, count(*) AS n
       FROM calls c${reportIdx} JOIN call_wrapups w ON w.call_id = c.id
       WHERE c.started_at >= ${from} AND c.started_at < ${to} AND c.state = 'ended'${usersPhones('c.extension', 'c.manager_id')}${filters('c.extension', 'c.direction')}
       GROUP BY 1, 2, 3, 4`),
  };
  // Callbacks answer missed inbound calls: none under an outbound or internal filter. A callback counts
  // once it is due (due_at <= now) or done: one still open and due later is not late yet (issue 11).
  const callbacks = q.direction && q.direction !== 'inbound' ? null : (from: number, to: number, off: number) => rows<CallbackRow>(db, sql`
     SELECT ${ext('u.extension')} AS ext, ${mid('t.assignee_id')} AS mid, ${idx('t.due_at', off)} AS idx, count(*) AS due,
         count(CASE WHEN t.done_at <= t.due_at THEN 1 END) AS ontime
       FROM tasks t LEFT JOIN users u ON u.id = t.assignee_id
       WHERE t.kind = 'callback' AND t.due_at >= ${from} AND t.due_at < ${to}
         AND (t.due_at <= ${q.now} OR t.done_at IS NOT NULL)${filters('u.extension', null)}
       GROUP BY 1, 2, 3`);

  const addCalls = (list: BucketRow[]) => {
    for (const b of list) {
      const s = at(b.ext, b.mid, b.idx);
      if (b.dir === 'inbound') { s.callsIn += b.n; s.answeredIn += b.a; }
      else if (b.dir === 'outbound') s.callsOut += b.n;
      else s.callsInternal += b.n;
      s.answered += b.a;
      s.ringAnsweredMs += b.r;
      s.talkMs += b.t;
      s.maxTalkMs = Math.max(s.maxTalkMs, b.mx);
    }
  };
  const addOutcomes = (list: OutcomeRow[]) => {
    for (const o of list) {
      const s = at(o.ext, o.mid, o.idx);
      s.outcomes[o.outcome] = (s.outcomes[o.outcome] ?? 0) + o.n;
    }
  };
  // The queries of a report are independent: on PostgreSQL a few run at once on the pool's connections
  // (at most QUERIES_AT_ONCE for each period: with the period before and the names, 5 of the pool's 10, so a
  // report leaves connections to the call path); their rows are added in
  // this fixed order, so the result does not depend on which answers first. SQLite runs them one by one.
  let usedAgg = false;
  let usedCalls = false;
  const steps: (() => Promise<() => void>)[] = [];
  const step = <T>(query: () => Promise<T>, apply: (r: T) => void) => steps.push(async () => { const r = await query(); return () => apply(r); });
  for (const seg of q.unit ? segs : [{ from: q.from, to: q.to, offset: 0 }]) {
    const plan = planSegment(q.unit, seg);
    if (plan.agg) {
      const a = plan.agg;
      usedAgg = true;
      step(() => agg.calls(a.from, a.to, seg.offset, a.exclude), addCalls);
      step(() => agg.outcomes(a.from, a.to, seg.offset, a.exclude), addOutcomes);
    }
    for (const [from, to] of plan.calls) {
      usedCalls = true;
      step(() => log.calls(from, to, seg.offset), addCalls);
      step(() => log.outcomes(from, to, seg.offset), addOutcomes);
    }
    if (callbacks) {
      step(() => callbacks(seg.from, seg.to, seg.offset), (list) => {
        for (const c of list) {
          const s = at(c.ext, c.mid, c.idx);
          s.callbacksDue += c.due;
          s.callbacksOnTime += c.ontime;
        }
      });
    }
  }
  for (const apply of await atMost(QUERIES_AT_ONCE, steps)) apply();
  return { sums: out, aggregates: usedAgg, calls: usedCalls };
}

function add(into: Sums, s: Sums): void {
  into.callsIn += s.callsIn; into.callsOut += s.callsOut; into.callsInternal += s.callsInternal;
  into.answered += s.answered; into.answeredIn += s.answeredIn; into.ringAnsweredMs += s.ringAnsweredMs;
  into.talkMs += s.talkMs; into.maxTalkMs = Math.max(into.maxTalkMs, s.maxTalkMs);
  into.callbacksDue += s.callbacksDue; into.callbacksOnTime += s.callbacksOnTime;
  for (const [k, v] of Object.entries(s.outcomes)) into.outcomes[k] = (into.outcomes[k] ?? 0) + v;
}

/** A local period: its label and local start/end (wall-clock ms as if UTC), from SQL's hour or day index. */
function period(unit: TimeUnit, idx: number): { label: string; start: number; end: number } {
  if (unit === 'hour') {
    return { label: `${dayLabel(Math.floor(idx / 24))}T${pad(((idx % 24) + 24) % 24)}:00`, start: idx * HOUR, end: (idx + 1) * HOUR };
  }
  if (unit === 'day') return { label: dayLabel(idx), start: idx * DAY, end: (idx + 1) * DAY };
  if (unit === 'week') {
    const monday = idx - (((idx + 3) % 7) + 7) % 7; // 1970-01-01 was a Thursday
    const thursday = new Date((monday + 3) * DAY);
    const year = thursday.getUTCFullYear();
    const week = Math.floor(((monday + 3) - Date.UTC(year, 0, 1) / DAY) / 7) + 1;
    return { label: `${year}-W${pad(week)}`, start: monday * DAY, end: (monday + 7) * DAY };
  }
  const d = new Date(idx * DAY);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  return { label: `${y}-${pad(m + 1)}`, start: Date.UTC(y, m, 1), end: Date.UTC(y, m + 1, 1) };
}

/**
 * The period a report is compared with. Whole calendar months (local midnight on the 1st to the 1st) are
 * compared with as many months before: November with October, not with the 30 days before. Whole local
 * days (and so whole weeks) with as many local days before, whatever DST does to their hours. Anything
 * else with the same length just before.
 */
export function previousPeriod(tz: string, from: number, to: number): { from: number; to: number } {
  const lf = from + offsetAt(tz, from);
  const lt = to + offsetAt(tz, to);
  if (lf % DAY !== 0 || lt % DAY !== 0) return { from: from - (to - from), to: from };
  const f = new Date(lf);
  const t = new Date(lt);
  if (f.getUTCDate() === 1 && t.getUTCDate() === 1) {
    const months = (t.getUTCFullYear() - f.getUTCFullYear()) * 12 + t.getUTCMonth() - f.getUTCMonth();
    return { from: localToUtc(tz, Date.UTC(f.getUTCFullYear(), f.getUTCMonth() - months, 1)), to: from };
  }
  return { from: localToUtc(tz, lf - (lt - lf)), to: from };
}

const MAX_DAYS = 3660;
const MAX_HOUR_DAYS = 93;

export async function callReport(ctx: ReportContext, input: ReportInput): Promise<CallReport> {
  if (ctx.actor.role === 'manager') throw new CtiError('CTI_ERR_FORBIDDEN', 'Reports are for supervisors and admins');
  await refreshAggregates(ctx.db); // buckets noted since the last background pass
  const tz = input.tz ?? ctx.timeZone;
  if (!isTimeZone(tz)) throw bad(`tz: '${tz}' is not an IANA time zone name such as Europe/Moscow`);
  const from = parseBound(input.from, tz);
  if (!Number.isFinite(from)) throw bad('from: not a date (YYYY-MM-DD) or an ISO 8601 date-time with a zone');
  const to = parseBound(input.to, tz);
  if (!Number.isFinite(to)) throw bad('to: not a date (YYYY-MM-DD) or an ISO 8601 date-time with a zone');
  if (to <= from) throw bad('to: must be after from');
  const groupBy = parseGroupBy(input.groupBy);
  const unit = (groupBy.find((k) => k !== 'manager') ?? null) as TimeUnit | null;
  if (to - from > MAX_DAYS * DAY) throw bad(`to: the range may span at most ${MAX_DAYS} days`);
  if (unit === 'hour' && to - from > MAX_HOUR_DAYS * DAY) throw bad(`to: by hour, the range may span at most ${MAX_HOUR_DAYS} days`);

  const q: Query = { from, to, byManager: groupBy.includes('manager'), unit, direction: input.direction, extension: input.extension, ...(input.pbx !== undefined ? { pbx: input.pbx } : {}), now: (ctx.clock ?? Date.now)() };
  const segs = segments(tz, from, to);
  const prevQ: Query = { ...q, ...previousPeriod(tz, from, to), byManager: false, unit: null };
  // The period and the one before at once (on PostgreSQL, on two connections); with the names of the users
  // the calls were credited to (a deleted user's calls keep the id, with no name).
  const [current, previous, people] = await Promise.all([
    collect(ctx.db, q, segs), collect(ctx.db, prevQ, []), ctx.db.select({ id: users.id, name: users.name, pbx: users.pbxId }).from(users),
  ]);
  const names = new Map(people.map((u) => [u.id, u.name]));
  const pbxOf = new Map(people.map((u) => [u.id, u.pbx]));

  // Merge SQL buckets into rows (weeks and months are several day buckets).
  const rows = new Map<string, { ext: string | null; mid: string | null; p: ReturnType<typeof period> | null; sums: Sums }>();
  const total = emptySums();
  for (const b of current.sums.values()) {
    const p = unit ? period(unit, b.idx) : null;
    const key = `${b.ext ?? ''}|${b.mid ?? ''}|${p?.label ?? ''}`;
    let r = rows.get(key);
    if (!r) rows.set(key, (r = { ext: b.ext, mid: b.mid, p, sums: emptySums() }));
    add(r.sums, b);
    add(total, b);
  }
  const prev = emptySums();
  for (const b of previous.sums.values()) add(prev, b);

  const iso = (localMs: number) => new Date(localToUtc(tz, localMs)).toISOString();
  const out: ReportRow[] = [...rows.values()]
    .sort((a, b) => (a.ext ?? '\uffff').localeCompare(b.ext ?? '\uffff')
      || (a.mid ? names.get(a.mid) ?? a.mid : '\uffff').localeCompare(b.mid ? names.get(b.mid) ?? b.mid : '\uffff')
      || (a.p?.start ?? 0) - (b.p?.start ?? 0))
    .map((r) => ({
      extension: r.ext,
      managerId: r.mid,
      managerName: r.mid ? names.get(r.mid) ?? null : null,
      managerPbx: r.mid ? pbxOf.get(r.mid) ?? null : null,
      period: r.p?.label ?? null,
      periodStart: r.p ? iso(r.p.start) : null,
      periodEnd: r.p ? iso(r.p.end) : null,
      metrics: banded(ctx.kpi, metricsOf(r.sums)),
      outcomes: r.sums.outcomes,
    }));
  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    timeZone: tz,
    groupBy,
    source: current.aggregates && current.calls ? 'mixed' : current.aggregates ? 'aggregates' : 'calls',
    rows: out,
    totals: { metrics: banded(ctx.kpi, metricsOf(total)), outcomes: total.outcomes },
    previous: {
      from: new Date(prevQ.from).toISOString(), to: new Date(prevQ.to).toISOString(),
      metrics: banded(ctx.kpi, metricsOf(prev)), outcomes: prev.outcomes,
    },
  };
}
