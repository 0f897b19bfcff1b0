// What a finished (or in-progress) call looks like to the rest of the service: one record per call
// with its manager legs. Produced by the live tracker (call.ts) and by CDR reconciliation (cdr.ts).
import type { CallOrigin, CallRecordState, Direction, Disposition, QueueOutcome } from '../contract/enums.js';

export type { Direction, Disposition, QueueOutcome };

export interface LegRecord {
  uniqueId: string;
  channel: string;
  extension: string | null;
  startedAt: number;
  answeredAt: number | null;
  endedAt: number | null;
  ringMs: number;
  talkMs: number;
  disposition: Disposition | null;
  hangupCause: string | null;
}

export interface CallRecord {
  linkedId: string;
  mergedLinkedIds: string[];
  state: CallRecordState;
  source: 'ami' | 'cdr' | 'ami+cdr';
  /** Seen only in part: the CDR will complete it. */
  needsCdr: boolean;
  direction: Direction;
  origin: CallOrigin | null;
  externalNumber: string | null;
  /** The contact and client the external number matched when the call started (src/contacts/match.ts). */
  contactId: string | null;
  clientId: string | null;
  /** Why the call rang who it rang (prior_manager, owner, turnover:<tier>, default, fallback); inbound only. */
  routedBy: string | null;
  extension: string | null;
  startedAt: number;
  answeredAt: number | null;
  endedAt: number | null;
  ringMs: number;
  talkMs: number;
  disposition: Disposition | null;
  hangupCause: string | null;
  /** Path of the recording as Asterisk wrote it (only the file name is used to find it here). */
  recordingFile: string | null;
  /** The app_queue queue the call waited in (the first one); absent or null when it never entered a queue. */
  queue?: string | null;
  /** Time in that queue before a member answered or the caller or the queue gave up. */
  queueWaitMs?: number | null;
  queueOutcome?: QueueOutcome | null;
  legs: LegRecord[];
}

/** app_dial DIALSTATUS -> our disposition. CANCEL: the caller gave up while it rang. */
export function dispositionOf(dialStatus: string | null): Disposition {
  switch (dialStatus) {
    case 'ANSWER': return 'answered';
    case 'BUSY': return 'busy';
    case 'NOANSWER':
    case 'CANCEL':
    case null: return 'no_answer';
    default: return 'failed';
  }
}
