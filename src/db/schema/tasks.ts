// Tasks (callbacks, follow-ups) and call wrap-ups (issue 4). A missed inbound call gets exactly one
// callback task: tasks.missed_call_id is unique, so re-running the sweep (live end, CDR reconciliation)
// never makes a second one.
import type { AnySQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { Kit } from './kit.js';
import { TASK_KINDS } from '../../contract/enums.js';

export { TASK_KINDS, type TaskKind } from '../../contract/enums.js';

export function defineTasks(k: Kit, { calls, users }: { calls: { id: AnySQLiteColumn }; users: { id: AnySQLiteColumn } }) {
  const { table: sqliteTable, text, integer, index, uniqueIndex } = k;
  const tasks = sqliteTable(
    'tasks',
    {
      id: text('id').primaryKey(),
      kind: text('kind', { enum: TASK_KINDS }).notNull(),
      callId: text('call_id').references(() => calls.id, { onDelete: 'set null' }),
      /** Set only on the callback task a missed call created: one per call. */
      missedCallId: text('missed_call_id'),
      contactId: text('contact_id'),
      clientId: text('client_id'),
      /** The number to call back (E.164 when it parsed). */
      number: text('number'),
      assigneeId: text('assignee_id')
        .notNull()
        .references(() => users.id, { onDelete: 'cascade' }),
      dueAt: integer('due_at').notNull(),
      doneAt: integer('done_at'),
      description: text('description'),
      /**
       * Missed calls this callback stands for: the first creates it, later ones from the same number for
       * the same assignee while it is open only count here (no duplicate task). 0 for other tasks.
       */
      missedCount: integer('missed_count').notNull().default(0),
      /** When the newest of those missed calls ended. */
      lastMissedAt: integer('last_missed_at'),
      /** When task:overdue was sent; cleared when the due time moves, so it is sent once per due time. */
      overdueNotifiedAt: integer('overdue_notified_at'),
      createdAt: integer('created_at').notNull(),
      updatedAt: integer('updated_at').notNull(),
    },
    (t) => [
      uniqueIndex('tasks_missed_call_uq').on(t.missedCallId),
      index('tasks_assignee_due_idx').on(t.assigneeId, t.doneAt, t.dueAt),
      index('tasks_open_due_idx').on(t.doneAt, t.dueAt),
      index('tasks_contact_idx').on(t.contactId),
      index('tasks_client_idx').on(t.clientId),
      index('tasks_number_idx').on(t.number),
      // Reports: callbacks due in a period.
      index('tasks_kind_due_idx').on(t.kind, t.dueAt),
    ],
  );

  const callWrapups = sqliteTable('call_wrapups', {
    callId: text('call_id')
      .primaryKey()
      .references(() => calls.id, { onDelete: 'cascade' }),
    description: text('description').notNull(),
    outcome: text('outcome').notNull(),
    byUserId: text('by_user_id').references(() => users.id, { onDelete: 'set null' }),
    at: integer('at').notNull(),
  });
  return { tasks, callWrapups };
}

export type TaskRow = ReturnType<typeof defineTasks>['tasks']['$inferSelect'];
export type CallWrapupRow = ReturnType<typeof defineTasks>['callWrapups']['$inferSelect'];
