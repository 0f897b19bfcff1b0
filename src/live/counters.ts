// Today's counters for the live board: ended calls started since local midnight in the company's zone,
// counted as the reports count them (src/reports/report.ts): answered = disposition answered, missed =
// inbound calls not answered, talk time summed, per phone and the user who had it for the call (a phone
// handed over at noon is two rows). One range scan of calls_report_idx, which covers every column read.
import { and, eq, gte, lt, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { notIndexed } from '../db/query.js';
import { calls, users } from '../db/schema/index.js';
import { DAY, dayLabel, localToUtc, offsetAt } from '../lib/timezone.js';
import type { CounterValues, LiveCounters } from './model.js';

/** The local day holding `now` in `tz`: its label and its [from, to) in epoch ms (DST-aware). */
export function todayIn(tz: string, now: number): { day: string; from: number; to: number } {
  const dayIndex = Math.floor((now + offsetAt(tz, now)) / DAY);
  return { day: dayLabel(dayIndex), from: localToUtc(tz, dayIndex * DAY), to: localToUtc(tz, (dayIndex + 1) * DAY) };
}

/** Per phone and user: calls, answered, missed, talk time (ms) of the calls started in [from, to). */
function perPhone(db: Db, from: number, to: number, pbx: string | null) {
  return db.select({
    ext: calls.extension,
    mid: calls.managerId,
    n: sql<number>`count(*)`,
    a: sql<number>`sum(CASE WHEN ${calls.disposition} = 'answered' THEN 1 ELSE 0 END)`,
    m: sql<number>`sum(CASE WHEN ${calls.direction} = 'inbound' AND coalesce(${calls.disposition}, '') <> 'answered' THEN 1 ELSE 0 END)`,
    t: sql<number>`sum(${calls.talkMs})`,
  }).from(calls)
    .where(and(gte(calls.startedAt, from), lt(calls.startedAt, to), pbx === null ? undefined : eq(calls.pbxId, pbx),
      // Not through calls_state_idx (every ended call ever, a full scan on a big log): the range on
      // started_at through calls_report_idx is the narrow one.
      sql`${notIndexed(db, calls.state)} = 'ended'`,
      // Only users' phones are managers (as in the reports): a phone nobody had is not counted.
      sql`(${calls.extension} IS NULL OR ${calls.managerId} IS NOT NULL)`))
    .groupBy(calls.extension, calls.managerId);
}

const zero = (): CounterValues => ({ calls: 0, answered: 0, missed: 0, talkSeconds: 0 });

/** Counters before the first read (the live board starts with them and reads the real ones at once). */
export function noCounters(tz: string, now: number): LiveCounters {
  return { day: todayIn(tz, now).day, timeZone: tz, total: zero(), managers: [] };
}

/** `pbx`: that PBX's calls only (a board per PBX); null: every PBX's. */
export async function todayCounters(db: Db, tz: string, now: number, pbx: string | null = null): Promise<LiveCounters> {
  const { day, from, to } = todayIn(tz, now);
  const names = new Map((await db.select({ id: users.id, name: users.name }).from(users)).map((u) => [u.id, u.name]));
  const total = zero();
  let totalTalkMs = 0;
  const managers = (await perPhone(db, from, to, pbx)).map((r) => {
    total.calls += r.n;
    total.answered += r.a;
    total.missed += r.m;
    totalTalkMs += r.t;
    return { extension: r.ext ?? '', name: r.mid ? names.get(r.mid) ?? null : null, calls: r.n, answered: r.a, missed: r.m, talkSeconds: Math.round(r.t / 1000) };
  });
  total.talkSeconds = Math.round(totalTalkMs / 1000);
  // Calls no phone took (missed before any phone rang) are in the total only.
  const rows = managers.filter((m) => m.extension !== '').sort((a, b) => a.extension.length - b.extension.length || a.extension.localeCompare(b.extension) || (a.name ?? '').localeCompare(b.name ?? ''));
  return { day, timeZone: tz, total, managers: rows };
}
