// What the reports (src/reports) need from the database beyond portable SQL, where the engines differ:
// an index hint, and how a refresh claims noted buckets.
import { sql, type SQL } from 'drizzle-orm';
import type { Db } from './client.js';
import { isPostgres, rows } from './query.js';

/**
 * `INDEXED BY <index>` after a table name on SQLite, nothing on PostgreSQL (which has no such hint and
 * plans from its statistics). SQLite's planner, given a filter on extension, would rather walk
 * calls_extension_started_idx and look every row up in the table; the covering index reads a month
 * as one range scan.
 */
export function indexedBy(db: Db, index: 'calls_report_idx'): SQL {
  return isPostgres(db) ? sql`` : sql.raw(` INDEXED BY ${index}`);
}

/**
 * Takes up to `limit` noted buckets off report_dirty, in the caller's transaction, and returns them.
 * PostgreSQL: rows another connection holds locked are skipped (FOR UPDATE SKIP LOCKED): a writer
 * noting that bucket right now (its trigger's upsert, migrations/postgres/0001), or another refresh
 * that claimed it. So no bucket is recomputed by two refreshes at once, nothing waits on a call write,
 * and a bucket with a write in flight stays noted for the next report.
 */
export async function claimNotedBuckets(tx: Db, limit: number): Promise<{ hour: number; extension: string }[]> {
  const lock = isPostgres(tx) ? sql` FOR UPDATE SKIP LOCKED` : sql``;
  return rows(tx, sql`DELETE FROM report_dirty WHERE (hour_start, extension) IN
    (SELECT hour_start, extension FROM report_dirty LIMIT ${limit}${lock}) RETURNING hour_start AS hour, extension`);
}
