// The wrap-ups a manager still owes: calls of theirs that ended answered and have no wrap-up yet. One
// list for the page, read by the pop panel (one form at a time, "N more to write") and the header (the
// count). "Later" keeps an entry, only set aside; the service knows them too (GET /api/v1/calls?
// wrapup=pending, the last 7 days), so a reload or another tab finds them again. A wrap-up saved
// anywhere (the panel, the calls list, the contact card) announces `cti:wrapup-saved` and leaves the list.
import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';
import type { Call, CallEnded, CallOrigin, Direction, Page, ScreenPop } from './types.js';

/** Which call a wrap-up is for, in the words the manager knows it by. */
export interface WrapupCall {
  callId: string;
  linkedId: string;
  direction: Direction;
  origin: CallOrigin | null;
  externalNumber: string | null;
  startedAt: string;
  talkSeconds: number;
  contact: { id: string; name: string } | null;
  client: { id: string; name: string } | null;
}

export interface QueuedWrapup {
  call: WrapupCall;
  /** "Later": kept and counted, not shown until the manager asks. */
  later: boolean;
}

let queue: QueuedWrapup[] = [];
const listeners = new Set<(q: QueuedWrapup[]) => void>();
const set = (next: QueuedWrapup[]) => {
  queue = next;
  listeners.forEach((l) => l(queue));
};

export function fromEnded(e: CallEnded, pop: ScreenPop | null): WrapupCall {
  return {
    callId: e.callId, linkedId: e.linkedId, direction: e.direction ?? pop?.direction ?? 'inbound', origin: e.origin ?? null,
    externalNumber: e.externalNumber ?? pop?.externalNumber ?? null, startedAt: e.startedAt ?? pop?.startedAt ?? new Date().toISOString(),
    talkSeconds: e.talkSeconds,
    contact: e.contact ?? (pop?.contact ? { id: pop.contact.id, name: pop.contact.name } : null),
    client: e.client ?? (pop?.client ? { id: pop.client.id, name: pop.client.name } : null),
  };
}

export function fromCall(c: Call): WrapupCall {
  return {
    callId: c.id, linkedId: c.linkedId, direction: c.direction, origin: c.origin, externalNumber: c.externalNumber,
    startedAt: c.startedAt, talkSeconds: c.talkSeconds ?? 0, contact: c.contact ?? null, client: c.client ?? null,
  };
}

/** A call just ended: its wrap-up waits behind the one being written, if any. */
export function enqueue(call: WrapupCall): void {
  set([...queue.filter((q) => q.call.callId !== call.callId), { call, later: false }]);
}

export function setAside(callId: string): void {
  set(queue.map((q) => (q.call.callId === callId ? { ...q, later: true } : q)));
}

/** "Write now": the ones set aside come back, oldest call first. */
export function resumeAll(): void {
  set([...queue].sort((a, b) => a.call.startedAt.localeCompare(b.call.startedAt)).map((q) => ({ ...q, later: false })));
}

export function done(callId: string): void {
  set(queue.filter((q) => q.call.callId !== callId));
}

/** The service's list (after a login or a reload): what it knows and the page does not yet. */
export async function loadPending(): Promise<void> {
  try {
    const r = await api.get<Page<Call>>('/api/v1/calls', { wrapup: 'pending', limit: 100 });
    const known = new Set(queue.map((q) => q.call.callId));
    set([...queue, ...r.items.filter((c) => !known.has(c.id)).map((c) => ({ call: fromCall(c), later: true }))]);
  } catch {
    // No count is better than a wrong one; the next call's end tries again.
  }
}

export function resetQueue(): void {
  set([]);
}

export function useWrapupQueue(): QueuedWrapup[] {
  const [q, setQ] = useState(queue);
  useEffect(() => {
    listeners.add(setQ);
    setQ(queue);
    return () => void listeners.delete(setQ);
  }, []);
  return q;
}

/** Says a wrap-up was saved, wherever it was written. */
export function announceSaved(callId: string): void {
  done(callId);
  dispatchEvent(new CustomEvent('cti:wrapup-saved', { detail: { callId } }));
}
