// Today's counters for the live board: ended calls started since local midnight in the company's zone,
// counted as the reports count them (src/reports/report.ts): answered = disposition answered, missed =
// inbound calls not answered, talk time summed, per phone and the user who had it for the call (a phone
// handed over at noon is two rows). One range scan of calls_report_idx, which covers every column read.
import { and, gte, lt, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { calls, users } from '../db/schema/index.js';
import { DAY, dayLabel, localToUtc, offsetAt } from '../lib/timezone.js';
import type { CounterValues, LiveCounters } from './model.js';

/** The local day holding `now` in `tz`: its label and its [from, to) in epoch ms (DST-aware). */
export function todayIn(tz: string, now: number): { day: string; from: number; to: number } {
  const dayIndex = Math.floor((now + offsetAt(tz, now)) / DAY);
  return { day: dayLabel(dayIndex), from: localToUtc(tz, dayIndex * DAY), to: localToUtc(tz, (dayIndex + 1) * DAY) };
}

const ph = sql.placeholder;

function prepare(db: Db) {
  return db.select({
    ext: calls.extension,
    mid: calls.managerId,
    n: sql<number>`count(*)`,
    a: sql<number>`sum(${calls.disposition} = 'answered')`,
    m: sql<number>`sum(${calls.direction} = 'inbound' AND coalesce(${calls.disposition}, '') <> 'answered')`,
    t: sql<number>`sum(${calls.talkMs})`,
  }).from(calls)
    .where(and(gte(calls.startedAt, ph('from')), lt(calls.startedAt, ph('to')),
      // Unary + keeps SQLite off calls_state_idx (every ended call ever, a full scan on a big log): the
      // range on started_at through calls_report_idx is the narrow one.
      sql`+${calls.state} = 'ended'`,
      // Only users' phones are managers (as in the reports): a phone nobody had is not counted.
      sql`(${calls.extension} IS NULL OR ${calls.managerId} IS NOT NULL)`))
    .groupBy(calls.extension, calls.managerId)
    .prepare();
}
const statements = new WeakMap<Db, ReturnType<typeof prepare>>();

const zero = (): CounterValues => ({ calls: 0, answered: 0, missed: 0, talkSeconds: 0 });

export function todayCounters(db: Db, tz: string, now: number): LiveCounters {
  const { day, from, to } = todayIn(tz, now);
  const names = new Map(db.select({ id: users.id, name: users.name }).from(users).all().map((u) => [u.id, u.name]));
  const total = zero();
  let totalTalkMs = 0;
  const managers = (statements.get(db) ?? statements.set(db, prepare(db)).get(db)!).all({ from, to }).map((r) => {
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
