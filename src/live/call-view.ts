// One call in progress as the live board shows it: who talks with whom, since when, and whether an
// inbound call still waits for an answer. Pure: names come from the caller.
import type { CallSnapshot } from '../calls/snapshot.js';
import type { LiveCallView } from './model.js';

export interface CallNames {
  manager: string | null;
  contact: string | null;
  client: string | null;
}

/**
 * null: not on the board yet. A call the dialplan has not marked (UserEvent CtiCall) and that rings
 * nobody is milliseconds old: its direction and other party are guesses (a phone's own number as the
 * "other party" of what looks internal), so it waits for the mark. Adopted calls without a mark show.
 */
export function liveCallView(call: CallSnapshot, names: (r: { extension: string | null; contactId: string | null; clientId: string | null }) => CallNames): LiveCallView | null {
  if (call.direction === null && call.state === 'dialling') return null;
  const r = call.record;
  const n = names(r);
  return {
    id: call.id,
    direction: r.direction,
    // An ended call leaves the board; 'talking' only keeps the type honest for a view made at the end.
    state: call.state === 'ended' ? 'talking' : call.state,
    extension: r.extension,
    managerName: n.manager,
    externalNumber: r.externalNumber,
    contactName: n.contact,
    clientName: n.client,
    startedAt: new Date(r.startedAt).toISOString(),
    answeredAt: r.answeredAt === null ? null : new Date(r.answeredAt).toISOString(),
    waiting: r.direction === 'inbound' && r.answeredAt === null,
  };
}
