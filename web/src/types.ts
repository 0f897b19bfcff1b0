// What the service sends, as docs/design/browser-contract.md and the README's REST API describe it.
// Kept by hand on this side of the wire (the socket events mirror src/realtime/events.ts): the web app
// is type-checked on its own, without the service's Node types.

export type Role = 'manager' | 'supervisor' | 'admin';
export type Language = 'ru' | 'en';

export interface User {
  id: string;
  name: string;
  role: Role;
  extension: string | null;
  language: Language;
  /** Where their calls ring: a desk phone, or the browser phone in the page. */
  phoneMode: PhoneMode;
}

export type PhoneMode = 'desk' | 'browser';

export type Direction = 'inbound' | 'outbound' | 'internal';
export type Disposition = 'answered' | 'no_answer' | 'busy' | 'failed';

export interface Wrapup {
  description: string;
  outcome: string;
  by: string;
  at: string;
}

export interface Call {
  id: string;
  linkedId: string;
  direction: Direction;
  externalNumber: string | null;
  extension: string | null;
  managerId: string | null;
  contactId: string | null;
  clientId: string | null;
  startedAt: string;
  answeredAt: string | null;
  endedAt: string | null;
  ringSeconds: number | null;
  talkSeconds: number | null;
  disposition: Disposition | null;
  hangupCause: string | null;
  recording: { url: string; durationSeconds: number | null } | null;
  state: 'live' | 'ended';
  origin: 'click2call' | null;
  routedBy?: string | null;
  wrapup?: Wrapup | null;
  /** By name, as this user may see them (a manager: their own clients). */
  contact?: { id: string; name: string } | null;
  client?: { id: string; name: string } | null;
  /** The user the call is credited to (managerId), by name. */
  manager?: { id: string; name: string } | null;
  legs?: { managerId: string | null; answeredAt: string | null }[];
  /** The app_queue queue the call waited in, its wait (seconds) and how it left the queue. */
  queue?: string | null;
  queueWaitSeconds?: number | null;
  queueOutcome?: 'answered' | 'abandoned' | 'timeout' | null;
}

/** GET /api/v1/managers: who calls are credited to, who may own a client (supervisors and admins). */
export interface Manager {
  id: string;
  name: string;
  role: Role;
  extension: string | null;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Client {
  id: string;
  kind: 'company' | 'person';
  name: string;
  turnover: string | null;
  currency: string | null;
  ownerId: string | null;
  segment: string | null;
  externalId: string | null;
}

export interface Phone {
  number: string;
  e164: string;
  label: string | null;
}

export interface Contact {
  id: string;
  clientId: string;
  name: string;
  email: string | null;
  externalId: string | null;
  phones: Phone[];
}

export interface Owner {
  id: string;
  name: string;
  extension: string | null;
}

export interface Lookup {
  contact: Contact;
  client: Client;
  owner: Owner | null;
  turnover: { amount: string; currency: string } | null;
}

export interface Task {
  id: string;
  kind: 'callback' | 'follow_up';
  callId: string | null;
  contactId: string | null;
  clientId: string | null;
  number: string | null;
  assigneeId: string;
  assigneeName: string;
  dueAt: string;
  doneAt: string | null;
  description: string | null;
  createdAt: string;
  overdue: boolean;
  /** Callbacks: missed calls from this number it stands for (one task while open); 0 for others. */
  missedCount: number;
  lastMissedAt: string | null;
  clientName: string | null;
  contactName: string | null;
  /** Callbacks: when the missed call rang. */
  missedAt: string | null;
}

export interface CallSummary {
  id: string;
  startedAt: string;
  direction: Direction;
  disposition: Disposition | null;
  talkSeconds: number | null;
  extension: string | null;
}

export interface ScreenPop {
  callId: string;
  linkedId: string;
  direction: Direction;
  externalNumber: string | null;
  extension: string;
  startedAt: string;
  routedBy: string | null;
  contact: { id: string; name: string; email: string | null } | null;
  client: {
    id: string;
    name: string;
    kind: 'company' | 'person';
    turnover: { amount: string; currency: string } | null;
    owner: Owner | null;
    segment: string | null;
  } | null;
  /** Another manager's client: the owner's name only (no card); no create-contact form then. */
  otherOwner: { name: string | null } | null;
  lastCalls: CallSummary[];
  openTasks: Task[];
  prefill: { number: string | null };
}

export interface CallAnswered { callId: string; linkedId: string; extension: string; answeredBy?: { id: string; name: string } | null; answeredAt: string }
/** `extension`: the one the call belongs to (who answered last, else who rang last). */
export interface CallEnded {
  callId: string; linkedId: string; extension: string | null; disposition: Disposition | null; talkSeconds: number;
  /** Which call it was (src/realtime/events.ts), so its wrap-up names it without a pop. */
  direction?: Direction; origin?: 'click2call' | null; externalNumber?: string | null; startedAt?: string;
  contact?: { id: string; name: string } | null; client?: { id: string; name: string } | null;
}

export type C2cStage = 'calling_you' | 'calling_client' | 'talking' | 'ended' | 'failed';
/** you_* / not_registered: the manager's own phone (rung first); client_*: the client's line. */
export type C2cReason =
  | 'not_registered' | 'you_busy' | 'you_no_answer' | 'you_rejected'
  | 'client_busy' | 'client_no_answer' | 'client_rejected' | 'pbx_unavailable';
export interface C2cProgress { requestId: string; stage: C2cStage; reason?: C2cReason; callId?: string }

/** socket.io events from the service (src/realtime/events.ts on the other side). */
export interface ServerToClientEvents {
  'call:ringing': (pop: ScreenPop) => void;
  'call:answered': (e: CallAnswered) => void;
  'call:ended': (e: CallEnded) => void;
  'c2c:progress': (e: C2cProgress) => void;
  'task:created': (t: Task) => void;
  'task:updated': (t: Task) => void;
  'task:overdue': (t: Task) => void;
  'live:delta': (d: LiveDelta) => void;
}
// The browser sends nothing over the socket: changes go through the REST API.
export interface ClientToServerEvents {
  /** The live board opens (true) or closes (false): only open boards get live:delta. */
  'live:watch': (watch: boolean) => void;
}

export interface Outcome {
  id: string;
  label: { ru: string; en: string };
}

export type RoutingTarget = { extension: string } | { group: string[] } | { queue: string };

// The supervisors' live board (src/live/model.ts): GET /api/v1/live, then socket.io live:delta.
export type ManagerState = 'available' | 'ringing' | 'talking' | 'offline';
export interface LiveManager {
  extension: string;
  userId: string | null;
  name: string | null;
  state: ManagerState;
  since: string;
  deviceState: string | null;
}
export interface LiveCall {
  id: string;
  direction: Direction;
  state: 'dialling' | 'ringing' | 'talking';
  extension: string | null;
  managerName: string | null;
  externalNumber: string | null;
  contactName: string | null;
  clientName: string | null;
  startedAt: string;
  answeredAt: string | null;
  waiting: boolean;
}
export interface LiveCounterValues {
  calls: number;
  answered: number;
  missed: number;
  talkSeconds: number;
}
export interface LiveCounters {
  day: string;
  timeZone: string;
  total: LiveCounterValues;
  managers: (LiveCounterValues & { extension: string; name: string | null })[];
}
export interface LiveSnapshot {
  seq: number;
  serverTime: string;
  pbx: 'connected' | 'disconnected';
  managers: LiveManager[];
  calls: LiveCall[];
  counters: LiveCounters;
  /** Absent from a service older than the queue panel. */
  queues?: LiveQueue[];
}
/** src/live/model.ts AgentState, QueueMemberView, QueueView. */
export type AgentState = 'available' | 'paused' | 'ringing' | 'talking' | 'wrapup' | 'offline';
export interface LiveQueueMember {
  interface: string;
  extension: string | null;
  name: string;
  state: AgentState;
  paused: boolean;
  pausedReason: string | null;
  since: string;
  callsTaken: number;
  wrapupUntil: string | null;
}
export interface LiveQueue {
  queue: string;
  waiting: number;
  members: LiveQueueMember[];
}
export interface LiveDelta {
  seq: number;
  serverTime: string;
  pbx?: 'connected' | 'disconnected';
  managers?: LiveManager[];
  calls?: LiveCall[];
  removedCalls?: string[];
  counters?: LiveCounters;
  queues?: LiveQueue[];
}
