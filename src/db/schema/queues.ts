// Per-queue settings a supervisor's queue report reads (src/reports/queues.ts). A queue with no row
// has the defaults: the report lists every queue its calls name, whether or not it has a row here.
import type { Kit } from './kit.js';

/** The usual contact-centre target: answered within 20 seconds. */
export const DEFAULT_SERVICE_LEVEL_SECONDS = 20;

export function defineQueues(k: Kit) {
  const { table: sqliteTable, text, integer } = k;
  const queueSettings = sqliteTable('queue_settings', {
    /** The app_queue queue name, as calls.queue holds it. */
    queue: text('queue').primaryKey(),
    /** A call answered after waiting at most this long counts as answered within the service level. */
    serviceLevelSeconds: integer('service_level_seconds').notNull(),
    updatedAt: integer('updated_at').notNull(),
    /** The admin who set it (no foreign key: a deleted user's settings stay). */
    updatedBy: text('updated_by'),
  });
  return { queueSettings };
}
