// Persistence of calls and legs. A call row is written when it starts, when it is answered and when it
// ends, so a crash loses at most what the CDR gives back (see reconcile.ts).
import { randomUUID } from 'node:crypto';
import { eq, inArray, like } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { callLegs, calls, type CallRow } from '../db/schema/index.js';
import type { CallRecord } from './model.js';

export class CallStore {
  constructor(private readonly db: Db, private readonly clock: () => number = Date.now) {}

  findByLinkedId(linkedId: string): CallRow | undefined {
    const direct = this.db.select().from(calls).where(eq(calls.linkedId, linkedId)).get();
    if (direct) return direct;
    // A linkedid merged into another call by a transfer (space-separated list).
    return this.db.select().from(calls).where(like(calls.mergedLinkedIds, `%${linkedId}%`)).all()
      .find((r) => r.mergedLinkedIds.split(' ').includes(linkedId));
  }

  liveRows(): CallRow[] {
    return this.db.select().from(calls).where(eq(calls.state, 'live')).all();
  }

  /** Insert or update the call `id` with `rec`, replacing its legs. */
  save(id: string, rec: CallRecord): void {
    const now = this.clock();
    const row = {
      id,
      linkedId: rec.linkedId,
      state: rec.state,
      source: rec.source,
      direction: rec.direction,
      origin: rec.origin,
      externalNumber: rec.externalNumber,
      extension: rec.extension,
      startedAt: rec.startedAt,
      answeredAt: rec.answeredAt,
      endedAt: rec.endedAt,
      ringMs: rec.ringMs,
      talkMs: rec.talkMs,
      disposition: rec.disposition,
      hangupCause: rec.hangupCause,
      recordingFile: rec.recordingFile,
      mergedLinkedIds: rec.mergedLinkedIds.join(' '),
      updatedAt: now,
    };
    this.db.transaction((tx) => {
      tx.insert(calls)
        .values(row)
        .onConflictDoUpdate({ target: calls.id, set: { ...row, id: undefined } })
        .run();
      tx.delete(callLegs).where(eq(callLegs.callId, id)).run();
      if (rec.legs.length > 0) {
        const uids = rec.legs.map((l) => l.uniqueId);
        tx.delete(callLegs).where(inArray(callLegs.uniqueId, uids)).run();
        tx.insert(callLegs)
          .values(rec.legs.map((l) => ({ id: randomUUID(), callId: id, ...l })))
          .run();
      }
    });
  }

  setRecordingDuration(id: string, ms: number | null): void {
    this.db.update(calls).set({ recordingMs: ms }).where(eq(calls.id, id)).run();
  }

  /** A call storage thought live but that Asterisk no longer knows and no CDR completes. */
  closeStale(id: string): void {
    const row = this.db.select().from(calls).where(eq(calls.id, id)).get();
    if (!row) return;
    const endedAt = row.endedAt ?? row.updatedAt;
    this.db.update(calls).set({
      state: 'ended',
      endedAt,
      disposition: row.disposition ?? (row.answeredAt !== null ? 'answered' : 'no_answer'),
      talkMs: row.answeredAt !== null ? Math.max(0, endedAt - row.answeredAt) : 0,
      updatedAt: this.clock(),
    }).where(eq(calls.id, id)).run();
  }

  /** A call joined into another by a transfer: its row goes, the survivor carries its legs. */
  remove(id: string): void {
    this.db.delete(calls).where(eq(calls.id, id)).run();
  }
}
