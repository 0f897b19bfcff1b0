// Contact imports started over the API (src/contacts/import-jobs.ts): their progress, kept in the
// database so that any instance answers GET /api/v1/imports/:id, and a restart keeps what was done.
// `heartbeat_at` is moved by the instance running the import at least every few seconds: a job still
// `running` whose heartbeat stopped belongs to an instance that died (it reads as failed).
import type { Kit } from './kit.js';

export function defineImportJobs(k: Kit) {
  const { table: sqliteTable, text, integer, index } = k;
  const importJobs = sqliteTable(
    'import_jobs',
    {
      id: text('id').primaryKey(),
      state: text('state', { enum: ['running', 'done', 'failed'] }).notNull(),
      rowsRead: integer('rows_read').notNull().default(0),
      rowsImported: integer('rows_imported').notNull().default(0),
      rowsChanged: integer('rows_changed').notNull().default(0),
      rowsRejected: integer('rows_rejected').notNull().default(0),
      /** JSON: the first bad rows (src/contacts/import-jobs.ts MAX_ERRORS), each { row, column, reason }. */
      errors: text('errors').notNull().default('[]'),
      errorsTruncated: integer('errors_truncated', { mode: 'boolean' }).notNull().default(false),
      message: text('message'),
      startedBy: text('started_by').notNull(),
      startedAt: integer('started_at').notNull(),
      finishedAt: integer('finished_at'),
      heartbeatAt: integer('heartbeat_at').notNull(),
    },
    (t) => [index('import_jobs_started_idx').on(t.startedAt)],
  );
  return { importJobs };
}

export type ImportJobRow = ReturnType<typeof defineImportJobs>['importJobs']['$inferSelect'];
