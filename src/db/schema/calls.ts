// Calls and their legs. Times are epoch milliseconds (UTC) as integers: portable to PostgreSQL bigint.
import type { Kit } from './kit.js';
import { CALL_DIRECTIONS, CALL_DISPOSITIONS, CALL_STATES, QUEUE_OUTCOMES } from '../../contract/enums.js';

// Direction, disposition, state and queue outcome are the browser's words too: declared in the contract.
export { CALL_DIRECTIONS, CALL_DISPOSITIONS, CALL_STATES, QUEUE_OUTCOMES } from '../../contract/enums.js';

/** ami: watched live; cdr: rebuilt from Asterisk's CDR (we never saw it); ami+cdr: seen in part, completed from the CDR. */
export const CALL_SOURCES = ['ami', 'cdr', 'ami+cdr'] as const;

export function defineCalls(k: Kit) {
  const { table: sqliteTable, text, integer, index, uniqueIndex } = k;
  const calls = sqliteTable(
    'calls',
    {
      id: text('id').primaryKey(),
      /** The PBX the call happened on (src/pbx/pbxes.ts): its linkedid, extensions and recording are that PBX's. */
      pbxId: text('pbx_id').notNull().default('main'),
      linkedId: text('linked_id').notNull(),
      state: text('state', { enum: CALL_STATES }).notNull(),
      source: text('source', { enum: CALL_SOURCES }).notNull(),
      direction: text('direction', { enum: CALL_DIRECTIONS }).notNull(),
      origin: text('origin'),
      externalNumber: text('external_number'),
      extension: text('extension'),
      /**
       * The user who was on `extension` when the call was written (src/users/directory.ts): the call stays
       * theirs for access and reports after the phone goes to someone else. No foreign key: a deleted
       * user's calls keep the id, and nobody else gets them.
       */
      managerId: text('manager_id'),
      /** The matched contact and client (src/contacts/match.ts), re-matched when contacts change. */
      contactId: text('contact_id'),
      clientId: text('client_id'),
      /** Why the call rang where it did (src/routing): prior_manager, owner, turnover:<tier>, default, fallback. */
      routedBy: text('routed_by'),
      startedAt: integer('started_at').notNull(),
      answeredAt: integer('answered_at'),
      endedAt: integer('ended_at'),
      ringMs: integer('ring_ms').notNull().default(0),
      talkMs: integer('talk_ms').notNull().default(0),
      disposition: text('disposition', { enum: CALL_DISPOSITIONS }),
      hangupCause: text('hangup_cause'),
      recordingFile: text('recording_file'),
      recordingMs: integer('recording_ms'),
      /** Seen only in part (we were down or cut off): waits for Asterisk's CDR to complete it. */
      needsCdr: integer('needs_cdr', { mode: 'boolean' }).notNull().default(false),
      /** Other linkedids merged into this call by a transfer, space separated. */
      mergedLinkedIds: text('merged_linked_ids').notNull().default(''),
      /** The app_queue queue the call waited in (the first, when it passed through several), its wait and how it left it. */
      queue: text('queue'),
      queueWaitMs: integer('queue_wait_ms'),
      queueOutcome: text('queue_outcome', { enum: QUEUE_OUTCOMES }),
      updatedAt: integer('updated_at').notNull(),
    },
    (t) => [
      // Two Asterisks may give the same linkedid: it is unique on its PBX.
      uniqueIndex('calls_pbx_linked_id_uq').on(t.pbxId, t.linkedId),
      index('calls_pbx_started_idx').on(t.pbxId, t.startedAt),
      index('calls_started_at_idx').on(t.startedAt, t.id),
      index('calls_extension_started_idx').on(t.extension, t.startedAt),
      index('calls_state_idx').on(t.state),
      // Re-matching calls to a new contact's numbers; the shared-number rule's "last answered call".
      index('calls_external_number_started_idx').on(t.externalNumber, t.startedAt),
      index('calls_contact_disposition_started_idx').on(t.contactId, t.disposition, t.startedAt),
      index('calls_client_started_idx').on(t.clientId, t.startedAt),
      // Reports when the hourly aggregates cannot serve (a time zone with a half-hour offset, bounds off the
      // hour): covers every column the report reads, so a month is one range scan without table lookups.
      index('calls_report_idx').on(t.startedAt, t.extension, t.managerId, t.direction, t.state, t.disposition, t.ringMs, t.talkMs),
      // A manager's own calls (access rule, src/calls/queries.ts).
      index('calls_manager_started_idx').on(t.managerId, t.startedAt),
      // Queue reports: one queue over a period.
      index('calls_queue_started_idx').on(t.queue, t.startedAt),
    ],
  );

  const callLegs = sqliteTable(
    'call_legs',
    {
      id: text('id').primaryKey(),
      callId: text('call_id')
        .notNull()
        .references(() => calls.id, { onDelete: 'cascade' }),
      /** The call's PBX: a channel's uniqueid is unique on its PBX only. */
      pbxId: text('pbx_id').notNull().default('main'),
      uniqueId: text('unique_id').notNull(),
      channel: text('channel').notNull(),
      extension: text('extension'),
      /** The user on `extension` when the leg was written, as for the call. */
      managerId: text('manager_id'),
      startedAt: integer('started_at').notNull(),
      answeredAt: integer('answered_at'),
      endedAt: integer('ended_at'),
      ringMs: integer('ring_ms').notNull().default(0),
      talkMs: integer('talk_ms').notNull().default(0),
      disposition: text('disposition', { enum: CALL_DISPOSITIONS }),
      hangupCause: text('hangup_cause'),
    },
    (t) => [uniqueIndex('call_legs_pbx_unique_id_uq').on(t.pbxId, t.uniqueId), index('call_legs_call_idx').on(t.callId), index('call_legs_manager_idx').on(t.managerId)],
  );
  return { calls, callLegs };
}

export type CallRow = ReturnType<typeof defineCalls>['calls']['$inferSelect'];
export type NewCallRow = ReturnType<typeof defineCalls>['calls']['$inferInsert'];
export type CallLegRow = ReturnType<typeof defineCalls>['callLegs']['$inferSelect'];
