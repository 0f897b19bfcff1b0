// Keeps the hourly report totals (call_stats_hourly, call_outcome_stats_hourly) true. Writes of calls
// and wrap-ups only note the bucket they touch (UTC hour x extension, triggers of migrations 0005 and
// 0010; PostgreSQL: migrations/postgres/0001), so the call-end path stays cheap; here each noted bucket is
// recomputed from `calls` as a whole, which makes updates, CDR completions, merges and deletions exact.
// Runs before every report, so a report never reads a stale bucket, and never on the call path: a timer
// here delayed screen pops by up to a second under load (a bucket's recomputation holds the event loop
// for as long as it scans its calls).
import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { execute, rows, transaction } from '../db/query.js';
import { claimNotedBuckets } from '../db/reports.js';

const BATCH = 2000;
const HOUR = 3_600_000;

/** `extension IS <ext>` in a form both engines answer from an index (PostgreSQL's IS NOT DISTINCT FROM uses none). */
const extensionIs = (col: SQL, ext: string | null) => (ext === null ? sql`${col} IS NULL` : sql`${col} = ${ext}`);

/** Recomputes every noted bucket; returns how many. */
export async function refreshAggregates(db: Db): Promise<number> {
  let total = 0;
  for (;;) {
    // A cheap read first: most reports find nothing noted and take no write lock.
    if ((await rows(db, sql`SELECT 1 AS x FROM report_dirty LIMIT 1`)).length === 0) return total;
    const n = await transaction(db, async (tx) => {
      // Claim the batch first, in the transaction (see claimNotedBuckets: on PostgreSQL, buckets another
      // connection is noting or recomputing right now are left for the next pass).
      const noted = await claimNotedBuckets(tx, BATCH);
      for (const b of noted) {
        const ext = b.extension === '' ? null : b.extension;
        const hour = Number(b.hour);
        const inBucket = (c: string) => sql`${extensionIs(sql.raw(`${c}extension`), ext)} AND ${sql.raw(`${c}started_at`)} >= ${hour}
          AND ${sql.raw(`${c}started_at`)} < ${hour + HOUR} AND ${sql.raw(`${c}state`)} = 'ended'`;
        // CASTs: a bare parameter in a SELECT list is text to PostgreSQL, and better-sqlite3 binds numbers as REAL.
        const hourValue = sql`CAST(${hour} AS bigint)`;
        const extValue = sql`CAST(${ext} AS text)`;
        await execute(tx, sql`DELETE FROM call_stats_hourly WHERE hour_start = ${hour} AND ${extensionIs(sql.raw('extension'), ext)}`);
        // Per manager too (calls.manager_id: the user on the phone when the call was written). An ended call
        // may have no disposition: it is counted, not answered.
        // Per PBX too: extension 101 of two PBXs is two phones (src/pbx/pbxes.ts).
        await execute(tx, sql`INSERT INTO call_stats_hourly (hour_start, pbx_id, extension, manager_id, direction, calls, answered, ring_answered_ms, talk_ms, max_talk_ms)
          SELECT ${hourValue}, pbx_id, ${extValue}, manager_id, direction, count(*), count(CASE WHEN disposition = 'answered' THEN 1 END),
            coalesce(sum(CASE WHEN disposition = 'answered' THEN ring_ms END), 0), sum(talk_ms), max(talk_ms)
          FROM calls WHERE ${inBucket('')} GROUP BY pbx_id, manager_id, direction`);
        await execute(tx, sql`DELETE FROM call_outcome_stats_hourly WHERE hour_start = ${hour} AND ${extensionIs(sql.raw('extension'), ext)}`);
        await execute(tx, sql`INSERT INTO call_outcome_stats_hourly (hour_start, pbx_id, extension, manager_id, direction, outcome, calls)
          SELECT ${hourValue}, c.pbx_id, ${extValue}, c.manager_id, c.direction, w.outcome, count(*) FROM calls c JOIN call_wrapups w ON w.call_id = c.id
          WHERE ${inBucket('c.')} GROUP BY c.pbx_id, c.manager_id, c.direction, w.outcome`);
      }
      return noted.length;
    });
    total += n;
    if (n < BATCH) return total;
  }
}
