// Report aggregates (issue 5): call totals per UTC hour x extension x manager x direction. Triggers note the buckets
// a written call or wrap-up touches (report_dirty, migration 0005); src/reports/aggregates.ts recomputes
// them from `calls`, so updates, CDR completions, transfers (deleted calls) and wrap-ups never leave them stale.
// Keyed by UTC hour, not by local day, so the same rows serve every time zone whose offset is whole hours
// (a local day is 24 hourly rows; see src/reports/report.ts). Only ended calls are counted.
import type { Kit } from './kit.js';

export function defineReports(k: Kit) {
  const { table: sqliteTable, text, integer, index, uniqueIndex } = k;
  const callStatsHourly = sqliteTable(
    'call_stats_hourly',
    {
      /** Epoch ms of the UTC hour the calls started in. */
      hourStart: integer('hour_start').notNull(),
      /** The calls' PBX. */
      pbxId: text('pbx_id').notNull().default('main'),
      /** The call's manager extension (null: nobody's). */
      extension: text('extension'),
      /** The user who had that extension when the call was written (calls.manager_id; null: nobody). */
      managerId: text('manager_id'),
      direction: text('direction').notNull(),
      calls: integer('calls').notNull(),
      answered: integer('answered').notNull(),
      /** Sum of ring_ms over answered calls (the wait before the answer). */
      ringAnsweredMs: integer('ring_answered_ms').notNull(),
      talkMs: integer('talk_ms').notNull(),
      maxTalkMs: integer('max_talk_ms').notNull(),
    },
    (t) => [index('call_stats_hourly_idx').on(t.hourStart, t.extension, t.direction)],
  );

  /** Wrap-up outcomes of ended calls, per the call's UTC hour x extension x direction. */
  const callOutcomeStatsHourly = sqliteTable(
    'call_outcome_stats_hourly',
    {
      hourStart: integer('hour_start').notNull(),
      pbxId: text('pbx_id').notNull().default('main'),
      extension: text('extension'),
      managerId: text('manager_id'),
      direction: text('direction').notNull(),
      outcome: text('outcome').notNull(),
      calls: integer('calls').notNull(),
    },
    (t) => [index('call_outcome_stats_hourly_idx').on(t.hourStart, t.extension, t.direction)],
  );

  /**
   * Buckets (UTC hour x extension) whose totals must be recomputed: the triggers of migration 0005 only
   * note a bucket here when a call or wrap-up in it is written (cheap, on the call-end path); the totals
   * are recomputed before every report (src/reports/aggregates.ts).
   * extension '' stands for none (null).
   */
  const reportDirty = sqliteTable(
    'report_dirty',
    {
      hourStart: integer('hour_start').notNull(),
      extension: text('extension').notNull(),
    },
    (t) => [uniqueIndex('report_dirty_uq').on(t.hourStart, t.extension)],
  );
  return { callStatsHourly, callOutcomeStatsHourly, reportDirty };
}
