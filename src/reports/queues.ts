// The queue report (issue 12): per app_queue queue and period, the calls it was offered and how they
// left it, the share answered within the queue's service level, and the waits. Supervisors and admins
// read it; admins set each queue's service level (queue_settings, default 20 s).
//
// Where the numbers come from: calls.queue / queue_wait_ms / queue_outcome, which the call interpreter
// writes for a call that waited in a queue (the first queue, when it passed through several). Ended calls
// only, by their start in the report's time zone, as the calls report counts them.
//   offered    every such call
//   answered   a member answered (queue_outcome answered)
//   abandoned  the caller hung up while waiting
//   timeout    the queue let it go on (its timeout, no members): the dialplan sent it elsewhere
//   within SL  answered after waiting at most the queue's service level (<=, in ms against seconds * 1000)
//   waits      average and longest over every offered call with a known wait, whatever its outcome
// The drill-down's filters (src/calls/queries.ts queue, queueResult) use the same rules, in SQL.
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { first, rows as rowsOf } from '../db/query.js';
import { DEFAULT_SERVICE_LEVEL_SECONDS, queueSettings } from '../db/schema/index.js';
import { CtiError } from '../lib/errors.js';
import type { Actor } from '../users/users.js';
import { DAY, isTimeZone, parseBound } from '../lib/timezone.js';

export interface QueueReportContext {
  db: Db;
  actor: Actor;
  timeZone: string;
  clock?: () => number;
}

export interface QueueReportInput {
  from: string;
  to: string;
  tz?: string;
  /** One PBX's queues (src/pbx/pbxes.ts); all when absent (a queue name on two PBXs is then one row). */
  pbx?: string;
}

export interface QueueStats {
  offered: number;
  answered: number;
  abandoned: number;
  timeout: number;
  answeredWithinSl: number;
  /** answeredWithinSl / offered (0..1); null with nothing offered. */
  serviceLevel: number | null;
  /** abandoned / offered (0..1); null with nothing offered. */
  abandonRate: number | null;
  /** Over offered calls with a known wait; seconds, one decimal; null when none. */
  avgWaitSeconds: number | null;
  longestWaitSeconds: number | null;
}

export interface QueueRow extends QueueStats {
  queue: string;
  serviceLevelSeconds: number;
}

export interface QueueReport {
  from: string;
  to: string;
  timeZone: string;
  defaultServiceLevelSeconds: number;
  rows: QueueRow[];
  totals: QueueStats;
}

const MAX_DAYS = 3660;
const bad = (message: string) => new CtiError('CTI_ERR_BAD_REQUEST', message);
const round1 = (n: number) => Math.round(n * 10) / 10;

/** The SQL condition "answered within its queue's service level", on a `calls` row (also the drill-down's). */
export const WITHIN_SERVICE_LEVEL_SQL = `queue_outcome = 'answered' AND queue_wait_ms IS NOT NULL AND queue_wait_ms <= 1000 * coalesce(
  (SELECT service_level_seconds FROM queue_settings WHERE queue_settings.queue = calls.queue), ${DEFAULT_SERVICE_LEVEL_SECONDS})`;

interface SqlRow { queue: string; n: number; a: number; ab: number; t: number; sl: number; w: number; nw: number; mx: number | null }

function statsOf(r: Omit<SqlRow, 'queue'>): QueueStats {
  return {
    offered: r.n,
    answered: r.a,
    abandoned: r.ab,
    timeout: r.t,
    answeredWithinSl: r.sl,
    serviceLevel: r.n ? r.sl / r.n : null,
    abandonRate: r.n ? r.ab / r.n : null,
    avgWaitSeconds: r.nw ? round1(r.w / r.nw / 1000) : null,
    longestWaitSeconds: r.mx === null ? null : round1(r.mx / 1000),
  };
}

/** Every stored service level, by queue. */
export async function serviceLevels(db: Db): Promise<Map<string, number>> {
  return new Map((await db.select().from(queueSettings)).map((s) => [s.queue, s.serviceLevelSeconds]));
}

export async function queueReport(ctx: QueueReportContext, input: QueueReportInput): Promise<QueueReport> {
  if (ctx.actor.role === 'manager') throw new CtiError('CTI_ERR_FORBIDDEN', 'Queue reports are for supervisors and admins');
  const tz = input.tz ?? ctx.timeZone;
  if (!isTimeZone(tz)) throw bad(`tz: '${tz}' is not an IANA time zone name such as Europe/Moscow`);
  const from = parseBound(input.from, tz);
  if (!Number.isFinite(from)) throw bad('from: not a date (YYYY-MM-DD) or an ISO 8601 date-time with a zone');
  const to = parseBound(input.to, tz);
  if (!Number.isFinite(to)) throw bad('to: not a date (YYYY-MM-DD) or an ISO 8601 date-time with a zone');
  if (to <= from) throw bad('to: must be after from');
  if (to - from > MAX_DAYS * DAY) throw bad(`to: the range may span at most ${MAX_DAYS} days`);

  const rows = await rowsOf<SqlRow>(ctx.db, sql`SELECT queue, count(*) AS n, count(CASE WHEN queue_outcome = 'answered' THEN 1 END) AS a,
      count(CASE WHEN queue_outcome = 'abandoned' THEN 1 END) AS ab, count(CASE WHEN queue_outcome = 'timeout' THEN 1 END) AS t,
      count(CASE WHEN ${sql.raw(WITHIN_SERVICE_LEVEL_SQL)} THEN 1 END) AS sl,
      coalesce(sum(queue_wait_ms), 0) AS w, count(queue_wait_ms) AS nw, max(queue_wait_ms) AS mx
    FROM calls
    WHERE started_at >= ${from} AND started_at < ${to} AND state = 'ended' AND queue IS NOT NULL${input.pbx !== undefined ? sql` AND pbx_id = ${input.pbx}` : sql``}
    GROUP BY queue`);
  const levels = await serviceLevels(ctx.db);
  const byQueue = new Map(rows.map((r) => [r.queue, r]));
  // A queue with a service level set but no calls in the period is still a row (its zeros are news).
  for (const q of levels.keys()) if (!byQueue.has(q)) byQueue.set(q, { queue: q, n: 0, a: 0, ab: 0, t: 0, sl: 0, w: 0, nw: 0, mx: null });
  const total = { n: 0, a: 0, ab: 0, t: 0, sl: 0, w: 0, nw: 0, mx: null as number | null };
  for (const r of byQueue.values()) {
    total.n += r.n; total.a += r.a; total.ab += r.ab; total.t += r.t; total.sl += r.sl; total.w += r.w; total.nw += r.nw;
    if (r.mx !== null) total.mx = Math.max(total.mx ?? 0, r.mx);
  }
  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    timeZone: tz,
    defaultServiceLevelSeconds: DEFAULT_SERVICE_LEVEL_SECONDS,
    rows: [...byQueue.values()].sort((a, b) => a.queue.localeCompare(b.queue)).map((r) => ({
      queue: r.queue,
      serviceLevelSeconds: levels.get(r.queue) ?? DEFAULT_SERVICE_LEVEL_SECONDS,
      ...statsOf(r),
    })),
    totals: statsOf(total),
  };
}

export const QUEUE_NAME = /^[A-Za-z0-9_.@-]{1,80}$/;

export interface QueueSettingsView {
  queue: string;
  serviceLevelSeconds: number;
  /** false: nobody set it, the default applies. */
  custom: boolean;
}

/** A queue's settings (the default when none are stored). Supervisors and admins. */
export async function getQueueSettings(ctx: { db: Db; actor: Actor }, queue: string): Promise<QueueSettingsView> {
  if (ctx.actor.role === 'manager') throw new CtiError('CTI_ERR_FORBIDDEN', 'Queue settings are for supervisors and admins');
  if (!QUEUE_NAME.test(queue)) throw bad('queue: letters, digits, _ . @ - only, up to 80');
  const row = await first(ctx.db.select().from(queueSettings).where(eq(queueSettings.queue, queue)));
  return { queue, serviceLevelSeconds: row?.serviceLevelSeconds ?? DEFAULT_SERVICE_LEVEL_SECONDS, custom: !!row };
}

/** Sets a queue's service level. Admins only. */
export async function setQueueSettings(ctx: { db: Db; actor: Actor; clock?: () => number }, queue: string, input: { serviceLevelSeconds: unknown }): Promise<QueueSettingsView> {
  if (ctx.actor.role !== 'admin') throw new CtiError('CTI_ERR_FORBIDDEN', 'Only an admin sets a queue\'s service level');
  if (!QUEUE_NAME.test(queue)) throw bad('queue: letters, digits, _ . @ - only, up to 80');
  const s = input.serviceLevelSeconds;
  if (typeof s !== 'number' || !Number.isInteger(s) || s < 1 || s > 3600) {
    throw new CtiError('CTI_ERR_BAD_SERVICE_LEVEL', undefined, { field: 'serviceLevelSeconds' });
  }
  const now = (ctx.clock ?? Date.now)();
  await ctx.db.insert(queueSettings).values({ queue, serviceLevelSeconds: s, updatedAt: now, updatedBy: ctx.actor.id })
    .onConflictDoUpdate({ target: queueSettings.queue, set: { serviceLevelSeconds: s, updatedAt: now, updatedBy: ctx.actor.id } });
  return { queue, serviceLevelSeconds: s, custom: true };
}

