// What the reports (src/reports) need from the database beyond portable SQL: the one fragment whose
// spelling differs between the engines.
import { sql, type SQL } from 'drizzle-orm';
import type { Db } from './client.js';
import { isPostgres } from './query.js';

/**
 * `INDEXED BY <index>` after a table name on SQLite, nothing on PostgreSQL (which has no such hint and
 * plans from its statistics). SQLite's planner, given a filter on extension, would rather walk
 * calls_extension_started_idx and look every row up in the table; the covering index reads a month
 * as one range scan.
 */
export function indexedBy(db: Db, index: 'calls_report_idx'): SQL {
  return isPostgres(db) ? sql`` : sql.raw(` INDEXED BY ${index}`);
}
