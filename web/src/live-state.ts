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
    board: { seq: d.seq, serverTime: d.serverTime, pbx: d.pbx ?? board.pbx, managers, calls, counters: d.counters ?? board.counters },
  };
}
