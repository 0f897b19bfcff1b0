// What the supervisors' live board shows: managers and their phones' states, calls in progress and
// waiting, today's counters. The contract of GET /api/v1/live (a snapshot) and of the socket.io event
// `live:delta` (changes since the previous delta); src/live builds them, web/src/pages/live.tsx shows them.
import type { DeviceState, Direction, LiveCallState, ManagerState, PbxLink } from './enums.js';

/** A manager as the floor sees them, from their phone's device state. */
export interface ManagerView {
  extension: string;
  userId: string | null;
  /** The user on this extension (a manager before anyone else), or null for a phone nobody has. */
  name: string | null;
  state: ManagerState;
  /** When this state began (ISO 8601); the time the board learnt it when the PBX did not say. */
  since: string;
  /** The PBX's own word (null: it has said nothing about this phone). */
  deviceState: DeviceState | null;
}

export interface LiveCallView {
  id: string;
  direction: Direction;
  state: LiveCallState;
  /** The manager's phone: who answered (last, after a transfer), else who rings; the caller for outbound. */
  extension: string | null;
  managerName: string | null;
  /** The other party: the outside number (E.164 where it parses), or the other extension of an internal call. */
  externalNumber: string | null;
  contactName: string | null;
  clientName: string | null;
  startedAt: string;
  answeredAt: string | null;
  /** An inbound call nobody has answered yet: it waits (since startedAt). */
  waiting: boolean;
}

export interface CounterValues {
  /** Ended calls started today, every direction. */
  calls: number;
  answered: number;
  /** Inbound calls nobody answered. */
  missed: number;
  talkSeconds: number;
}

export interface ManagerCounters extends CounterValues {
  extension: string;
  name: string | null;
}

/** Today's counters in the company's time zone; the same rules as the reports (ended calls, by start). */
export interface LiveCounters {
  day: string;
  timeZone: string;
  total: CounterValues;
  managers: ManagerCounters[];
}

/** A queue member's state on the board (src/live/queues.ts says how each is decided). */
export type AgentState = 'available' | 'paused' | 'ringing' | 'talking' | 'wrapup' | 'offline';

export interface QueueMemberView {
  /** app_queue's Interface: PJSIP/101. */
  interface: string;
  /** Our phone's extension when the member rings one, else null. */
  extension: string | null;
  /** The user on that phone, else app_queue's member name. */
  name: string;
  state: AgentState;
  paused: boolean;
  /** The reason given to QueuePause (null: none given, or not paused). */
  pausedReason: string | null;
  /** When this state began (ISO 8601): the PBX's event time, or when the board learnt it. */
  since: string;
  callsTaken: number;
  /** While in wrap-up: when app_queue offers it calls again. */
  wrapupUntil: string | null;
}

export interface QueueView {
  queue: string;
  /** Callers waiting in it now. */
  waiting: number;
  members: QueueMemberView[];
}

export interface LiveSnapshot {
  /** The PBX whose board this is (GET /api/v1/live?pbx=...; a board per PBX; `pbx` is its link's state). */
  pbxId: string;
  /** The last delta this snapshot includes: apply only deltas with seq = this + 1, + 2, ... */
  seq: number;
  /** The service's clock (ISO 8601) when the snapshot was taken: browsers correct running durations by it. */
  serverTime: string;
  pbx: PbxLink;
  managers: ManagerView[];
  calls: LiveCallView[];
  counters: LiveCounters;
  /** The PBX's queues with their members (AMI class agent); empty when it has none. */
  queues: QueueView[];
}

/** What changed since the previous delta; absent fields did not change. */
export interface LiveDelta {
  /** The PBX whose board this is (a board per PBX; `pbx` is its link's state). */
  pbxId: string;
  seq: number;
  serverTime: string;
  pbx?: PbxLink;
  managers?: ManagerView[];
  calls?: LiveCallView[];
  /** Calls that ended (or were merged into another by a transfer). */
  removedCalls?: string[];
  counters?: LiveCounters;
  /** Every queue, when anything in the queue panel changed (it is small: sent whole). */
  queues?: QueueView[];
}
