// Keeps the hourly report totals (call_stats_hourly, call_outcome_stats_hourly) true. Writes of calls
// and wrap-ups only note the bucket they touch (UTC hour x extension, triggers of migration 0005), so
// the call-end path stays cheap; here each noted bucket is recomputed from `calls` as a whole, which
// makes updates, CDR completions, merges and deletions exact. Runs before every report, so a report never
// reads a stale bucket, and never on the call path: a timer here delayed screen pops by up to a second
// under load (a bucket's recomputation holds the event loop for as long as it scans its calls).
import type { Db } from '../db/client.js';

const BATCH = 2000;
type Sqlite = { prepare(sql: string): { all(...a: unknown[]): unknown[]; run(...a: unknown[]): unknown } ; transaction<T>(fn: () => T): () => T };

const statements = new WeakMap<object, ReturnType<typeof prepare>>();

function prepare(sqlite: Sqlite) {
  const bucket = 'extension IS @ext AND started_at >= @hour AND started_at < @hour + 3600000';
  return {
    noted: sqlite.prepare('SELECT hour_start AS hour, extension FROM report_dirty LIMIT ' + BATCH),
    forget: sqlite.prepare('DELETE FROM report_dirty WHERE hour_start = @hour AND extension = @extKey'),
    clearStats: sqlite.prepare('DELETE FROM call_stats_hourly WHERE hour_start = @hour AND extension IS @ext'),
    // IS, not =: an ended call may have no disposition, and NULL = 'answered' would make the sum NULL.
    // Per manager too (calls.manager_id: the user on the phone when the call was written).
    fillStats: sqlite.prepare(`INSERT INTO call_stats_hourly (hour_start, extension, manager_id, direction, calls, answered, ring_answered_ms, talk_ms, max_talk_ms)
      SELECT @hour, @ext, manager_id, direction, count(*), sum(disposition IS 'answered'),
        coalesce(sum(CASE WHEN disposition = 'answered' THEN ring_ms END), 0), sum(talk_ms), max(talk_ms)
      FROM calls WHERE ${bucket} AND state = 'ended' GROUP BY manager_id, direction`),
    clearOutcomes: sqlite.prepare('DELETE FROM call_outcome_stats_hourly WHERE hour_start = @hour AND extension IS @ext'),
    fillOutcomes: sqlite.prepare(`INSERT INTO call_outcome_stats_hourly (hour_start, extension, manager_id, direction, outcome, calls)
      SELECT @hour, @ext, c.manager_id, c.direction, w.outcome, count(*) FROM calls c JOIN call_wrapups w ON w.call_id = c.id
      WHERE c.extension IS @ext AND c.started_at >= @hour AND c.started_at < @hour + 3600000 AND c.state = 'ended'
      GROUP BY c.manager_id, c.direction, w.outcome`),
  };
}

/** Recomputes every noted bucket; returns how many. */
export function refreshAggregates(db: Db): number {
  const sqlite = (db as unknown as { $client: Sqlite }).$client;
  let st = statements.get(sqlite);
  if (!st) statements.set(sqlite, (st = prepare(sqlite)));
  const s = st;
  let total = 0;
  for (;;) {
    const noted = s.noted.all() as { hour: number; extension: string }[];
    if (noted.length === 0) return total;
    sqlite.transaction(() => {
      for (const b of noted) {
        const p = { hour: b.hour, ext: b.extension === '' ? null : b.extension };
        s.clearStats.run(p);
        s.fillStats.run(p);
        s.clearOutcomes.run(p);
        s.fillOutcomes.run(p);
        s.forget.run({ hour: b.hour, extKey: b.extension });
      }
    })();
    total += noted.length;
    if (noted.length < BATCH) return total;
  }
}
