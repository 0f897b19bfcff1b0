// What the browser hears about a call while it happens: the caller's card when a phone rings, who
// answered, how it ended, and a click-to-call's progress. Built by src/realtime (hub.ts, screen-pop.ts)
// and src/calls/click-to-call.ts; shown by web/src/components/call-pop.tsx and the wrap-up.
import type { C2cReason, C2cStage, CallOrigin, ClientKind, Direction, Disposition } from './enums.js';
import type { TaskView } from './tasks.js';

/** A client's owner (a manager), as the pop and the contact card name them. */
export interface Owner {
  id: string;
  name: string;
  extension: string | null;
  /** The PBX that extension is on (GET /api/v1/pbxes): the same extension may exist on several. */
  pbx: string;
}

/** One of a caller's earlier calls on the pop. */
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
    kind: ClientKind;
    turnover: { amount: string; currency: string } | null;
    owner: Owner | null;
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
  origin: CallOrigin | null;
  externalNumber: string | null;
  startedAt: string;
  contact: { id: string; name: string } | null;
  client: { id: string; name: string } | null;
}

export interface C2cProgress {
  requestId: string;
  stage: C2cStage;
  reason?: C2cReason;
  callId?: string;
}
