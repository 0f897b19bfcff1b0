// What the rest of the service sees of a call in progress: one frozen snapshot per change, built by
// Call.snapshot() and carried by the tracker's events (tracker.ts). The call log, screen pops, the live
// board and click-to-call read these, never the mutable Call, so every listener of one change sees one object.
import type { DialStatus } from '../pbx/events.js';
import type { CallState } from './call.js';
import type { CallRecord, Direction } from './model.js';

export type CallSnapshot = Readonly<{
  id: string;
  /** The PBX the call is on: its extensions (rungExtensions, the legs') are that PBX's. */
  pbxId: string;
  linkedId: string;
  state: CallState;
  /** null while the channels do not yet say it (a call milliseconds old); the record says 'inbound' then. */
  direction: Direction | null;
  record: Readonly<CallRecord>;
  /** Every linkedid the call has carried (its own first, then the ones transfers and pickups joined). */
  linkedIds: readonly string[];
  /** The managers' phones that rang for it, in the order they rang (a merge adds the joined call's). */
  rungExtensions: readonly string[];
  lastDialStatus: DialStatus | null;
}>;

/** One manager phone's part of a call, as a leg event saw it. */
export type LegView = Readonly<{
  uniqueId: string;
  channel: string;
  extension: string | null;
  mobile: string | null;
  createdAt: number;
  answeredAt: number | null;
  hungupAt: number | null;
  originated: boolean;
  rung: boolean;
}>;

/** Freezes a value and everything it holds (plain objects and arrays only). */
export function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}
