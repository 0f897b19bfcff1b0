// The live board on the browser's side: a snapshot (GET /api/v1/live) with the socket's deltas applied
// in order. Pure, so it is tested together with the service's board (tests/unit/live-board.test.ts).
import type { LiveDelta, LiveSnapshot } from './types.js';

export type DeltaResult =
  /** Applied: the new board. */
  | { kind: 'applied'; board: LiveSnapshot }
  /** Already in the snapshot (it was taken after this delta was sent). */
  | { kind: 'stale' }
  /** A delta was missed (a reconnect, a snapshot taken between two deltas): fetch a new snapshot. */
  | { kind: 'gap' };

export function applyDelta(board: LiveSnapshot, d: LiveDelta): DeltaResult {
  // Another PBX's board (a board per PBX): nothing of this one changed.
  if (d.pbxId !== board.pbxId) return { kind: 'stale' };
  if (d.seq <= board.seq) return { kind: 'stale' };
  if (d.seq !== board.seq + 1) return { kind: 'gap' };
  let managers = board.managers;
  if (d.managers?.length) {
    const byExt = new Map(managers.map((m) => [m.extension, m]));
    // A phone that lost its user comes with userId null: it is no manager's card any more.
    for (const m of d.managers) if (m.userId) byExt.set(m.extension, m); else byExt.delete(m.extension);
    managers = [...byExt.values()].sort((a, b) => a.extension.length - b.extension.length || a.extension.localeCompare(b.extension));
  }
  let calls = board.calls;
  if (d.calls?.length || d.removedCalls?.length) {
    const byId = new Map(calls.map((c) => [c.id, c]));
    for (const id of d.removedCalls ?? []) byId.delete(id);
    for (const c of d.calls ?? []) byId.set(c.id, c);
    calls = [...byId.values()].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  }
  return {
    kind: 'applied',
    board: {
      pbxId: board.pbxId, seq: d.seq, serverTime: d.serverTime, pbx: d.pbx ?? board.pbx, managers, calls, counters: d.counters ?? board.counters,
      queues: d.queues ?? board.queues ?? [],
    },
  };
}

// --- the board's clocks (issue 11, item 12): a manager's card and the call's row count the same thing
// when they show the same call, and each says what it counts when they do not.

/** What a running time counts: the phone's state, or the call's talk, dialling, or waiting time. */
export type ClockKind = 'state' | 'talk' | 'dialling' | 'ringing' | 'waiting';
export interface Clock {
  kind: ClockKind;
  seconds: number;
}

/** Whole seconds from an ISO time to `now` (the service's clock, ms); never negative. */
export const secondsSince = (iso: string | null, now: number) => (iso ? Math.max(0, Math.floor((now - Date.parse(iso)) / 1000)) : 0);

/**
 * A call's own time: an inbound call nobody answered waits since it came in; an answered one talks
 * since the answer; an outbound one not yet answered is dialling since it started.
 */
export function callClock(c: LiveLike, now: number): Clock {
  if (c.waiting) return { kind: 'waiting', seconds: secondsSince(c.startedAt, now) };
  if (c.answeredAt) return { kind: 'talk', seconds: secondsSince(c.answeredAt, now) };
  return { kind: 'dialling', seconds: secondsSince(c.startedAt, now) };
}

type LiveLike = Pick<LiveSnapshot['calls'][number], 'extension' | 'startedAt' | 'answeredAt' | 'waiting'>;

/**
 * A manager's card: in a call the board shows on their phone, the call's own time (the same number as
 * its row); ringing, how long the phone has rung (the caller may have waited longer: the waiting row
 * says so); otherwise how long the phone has been in its state.
 */
export function managerClock(m: Pick<LiveSnapshot['managers'][number], 'extension' | 'state' | 'since'>, calls: readonly LiveLike[], now: number): Clock {
  if (m.state === 'talking') {
    const call = calls.filter((c) => c.extension === m.extension && !c.waiting).at(-1);
    if (call) return callClock(call, now);
  }
  if (m.state === 'ringing') return { kind: 'ringing', seconds: secondsSince(m.since, now) };
  return { kind: 'state', seconds: secondsSince(m.since, now) };
}
