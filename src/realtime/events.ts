// What the service tells the manager's browser over socket.io (docs/design/browser-contract.md,
// "Realtime"). These types are the contract: web/ imports them, the hub emits only through them.
import type { LiveDelta } from '../live/model.js';
import type { TaskView } from '../tasks/tasks.js';

export type Direction = 'inbound' | 'outbound' | 'internal';
export type Disposition = 'answered' | 'no_answer' | 'busy' | 'failed';

export interface CallSummary {
  id: string;
  startedAt: string;
  direction: Direction;
  disposition: Disposition | null;
  talkSeconds: number;
  extension: string | null;
}

/** The caller's card, sent to the extension whose phone starts ringing. */
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
    owner: { id: string; name: string; extension: string | null } | null;
    segment: string | null;
  } | null;
  /**
   * Null: since the call grant (src/contacts/context.ts), a call ringing on a manager's phone shows its
   * caller's contact and client whoever owns them. Kept for pages that, given an owner's name, say
   * "Client of <owner>" and offer no create-contact form.
   */
  otherOwner: { name: string | null } | null;
  /** Up to 5, newest first. */
  lastCalls: CallSummary[];
  /** Up to 5, soonest due first. */
  openTasks: TaskView[];
  /** Always: the page offers "create contact" with it when contact and otherOwner are null. */
  prefill: { number: string | null };
}

export interface CallAnswered {
  callId: string;
  linkedId: string;
  /** The extension that answered. */
  extension: string;
  /** The user on that extension (src/users/directory.ts), so the pop names the person; null: nobody's phone. */
  answeredBy: { id: string; name: string } | null;
  answeredAt: string;
}

export interface CallEnded {
  callId: string;
  linkedId: string;
  /** The extension the call belongs to (who answered last, else who rang last). */
  extension: string | null;
  disposition: Disposition | null;
  talkSeconds: number;
  /**
   * Which call it was, so a wrap-up names it even when it never popped (a click-to-call): the other
   * party's number, the contact and client as this recipient may see them (src/calls/parties.ts).
   */
  direction: Direction;
  origin: 'click2call' | null;
  externalNumber: string | null;
  startedAt: string;
  contact: { id: string; name: string } | null;
  client: { id: string; name: string } | null;
}

export type C2cStage = 'calling_you' | 'calling_client' | 'talking' | 'ended' | 'failed';
/**
 * Why a click-to-call failed, and whose side: `you_*` / not_registered: the manager's own phone (rung
 * first); `client_*`: the client's line, once the manager had answered.
 */
export type C2cReason =
  | 'not_registered' | 'you_busy' | 'you_no_answer' | 'you_rejected'
  | 'client_busy' | 'client_no_answer' | 'client_rejected' | 'pbx_unavailable';

export interface C2cProgress {
  requestId: string;
  stage: C2cStage;
  reason?: C2cReason;
  callId?: string;
}

export interface ServerToClientEvents {
  'call:ringing': (pop: ScreenPop) => void;
  'call:answered': (e: CallAnswered) => void;
  'call:ended': (e: CallEnded) => void;
  'c2c:progress': (e: C2cProgress) => void;
  'task:created': (t: TaskView) => void;
  'task:updated': (t: TaskView) => void;
  'task:overdue': (t: TaskView) => void;
  /** The live board's changes, to supervisors and admins (src/live). */
  'live:delta': (d: LiveDelta) => void;
}

/** The browser sends nothing over the socket: changes go through the REST API. */
export interface ClientToServerEvents {
  /** The live board page opens (true) or closes (false): only its sockets get live:delta. */
  'live:watch': (watch: boolean) => void;
}

export interface SocketData {
  userId: string;
  role: 'manager' | 'supervisor' | 'admin';
  extension: string | null;
  /** The session's stored hash (never the cookie's id) and its end: the hub drops the socket with it. */
  sessionHash: string;
  expiresAt: number;
}

/** Rooms: every socket of a user, of an extension's phone, and of supervisors and admins. */
export const rooms = {
  user: (id: string) => `user:${id}`,
  ext: (ext: string) => `ext:${ext}`,
  supervisors: 'supervisors',
  /** Supervisors' and admins' sockets whose live board is open (live:watch). */
  live: 'live',
} as const;
