// Persistence of calls and legs. A call row is written when it starts, when it is answered and when it
// ends, so a crash loses at most what the CDR gives back (see reconcile.ts).
import { and, eq, gte, isNotNull, isNull, like, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { callLegs, calls, type CallRow } from '../db/schema/index.js';
import { managerIdFor } from '../users/directory.js';
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
    this.saveMany([[id, rec]]);
  }

  /**
   * Several calls in one transaction, with prepared statements (the hot path: the tracker flushes
   * what changed once per event-loop turn). Upserts use ON CONFLICT ... excluded, as PostgreSQL does.
   */
  saveMany(items: Iterable<readonly [string, CallRecord] | readonly [string, CallRecord, boolean]>, removed: Iterable<string> = []): void {
    const now = this.clock();
    const st = this.statements();
    this.db.transaction(() => {
      for (const id of removed) st.removeCall.run({ id });
      for (const [id, rec, writeLegs = true] of items) {
        st.upsertCall.run({
          id,
          linkedId: rec.linkedId,
          state: rec.state,
          source: rec.source,
          needsCdr: rec.needsCdr,
          direction: rec.direction,
          origin: rec.origin,
          externalNumber: rec.externalNumber,
          extension: rec.extension,
          contactId: rec.contactId,
          clientId: rec.clientId,
          routedBy: rec.routedBy,
          startedAt: rec.startedAt,
          answeredAt: rec.answeredAt,
          endedAt: rec.endedAt,
          ringMs: rec.ringMs,
          talkMs: rec.talkMs,
          disposition: rec.disposition,
          hangupCause: rec.hangupCause,
          recordingFile: rec.recordingFile,
          recordingMs: null,
          mergedLinkedIds: rec.mergedLinkedIds.join(' '),
          queue: rec.queue ?? null,
          queueWaitMs: rec.queueWaitMs ?? null,
          queueOutcome: rec.queueOutcome ?? null,
          updatedAt: now,
        });
        // Legs are rewritten only when they changed: most saves of a live call touch the call row alone.
        if (!writeLegs) continue;
        // A leg keeps the user it was written with while its extension stays (a CDR completion hours later).
        const kept = new Map(st.legManagers.all({ callId: id }).map((l) => [l.uniqueId, l]));
        st.deleteLegs.run({ callId: id });
        for (const l of rec.legs) {
          const old = kept.get(l.uniqueId);
          st.upsertLeg.run({ ...l, id: `${id}:${l.uniqueId}`, callId: id, keptManagerId: old && old.extension === l.extension ? old.managerId : null });
        }
      }
    });
  }

  private prepared: ReturnType<CallStore['prepare']> | null = null;
  private statements() {
    this.prepared ??= this.prepare();
    return this.prepared;
  }

  private prepare() {
    const ph = (name: string) => sql.placeholder(name);
    const excluded = <T extends Record<string, { name: string }>>(table: T, keys: (keyof T)[]) =>
      Object.fromEntries(keys.map((k) => [k, sql.raw(`excluded.${table[k]!.name}`)]));
    const callKeys = ['linkedId', 'state', 'source', 'needsCdr', 'direction', 'origin', 'externalNumber', 'extension', 'startedAt', 'answeredAt',
      'endedAt', 'ringMs', 'talkMs', 'disposition', 'hangupCause', 'recordingFile', 'mergedLinkedIds', 'queue', 'queueWaitMs', 'queueOutcome', 'updatedAt'] as const;
    const legKeys = ['callId', 'channel', 'extension', 'startedAt', 'answeredAt', 'endedAt', 'ringMs', 'talkMs', 'disposition', 'hangupCause'] as const;
    const allCallKeys = [...callKeys, 'id', 'contactId', 'clientId', 'routedBy', 'recordingMs'] as const;
    // The manager is the user on the extension as the call is written (src/users/directory.ts)...
    const callValues = { ...Object.fromEntries(allCallKeys.map((k) => [k, ph(k)])), managerId: managerIdFor(ph('extension')) };
    return {
      upsertCall: this.db.insert(calls)
        .values(callValues as never)
        .onConflictDoUpdate({
          target: calls.id,
          set: {
            ...excluded(calls as never, callKeys as never),
            // A later re-match (src/contacts/match.ts) or routing reason is not undone by an update that lacks one.
            contactId: sql.raw(`coalesce(excluded.${calls.contactId.name}, ${calls.contactId.name})`),
            clientId: sql.raw(`coalesce(excluded.${calls.clientId.name}, ${calls.clientId.name})`),
            routedBy: sql.raw(`coalesce(excluded.${calls.routedBy.name}, ${calls.routedBy.name})`),
            // A recording once known stays: a later write that lacks it (a call adopted after a restart, a
            // CDR rebuild, the end of a call whose CtiRecording event we missed) does not forget the file.
            recordingFile: sql.raw(`coalesce(excluded.${calls.recordingFile.name}, ${calls.recordingFile.name})`),
            // ...and stays while the extension does: re-saved after the phone went to someone else (a CDR
            // completion, a re-match), the call is still the first user's.
            managerId: sql.raw(`CASE WHEN excluded.${calls.extension.name} IS ${calls.extension.name} AND ${calls.managerId.name} IS NOT NULL`
              + ` THEN ${calls.managerId.name} ELSE excluded.${calls.managerId.name} END`),
          },
        })
        .prepare(),
      legManagers: this.db.select({ uniqueId: callLegs.uniqueId, extension: callLegs.extension, managerId: callLegs.managerId })
        .from(callLegs).where(eq(callLegs.callId, ph('callId'))).prepare(),
      deleteLegs: this.db.delete(callLegs).where(eq(callLegs.callId, ph('callId'))).prepare(),
      upsertLeg: this.db.insert(callLegs)
        .values({
          id: ph('id'), callId: ph('callId'), uniqueId: ph('uniqueId'), channel: ph('channel'), extension: ph('extension'),
          managerId: sql`coalesce(${ph('keptManagerId')}, ${managerIdFor(ph('extension'))})`, startedAt: ph('startedAt'), answeredAt: ph('answeredAt'), endedAt: ph('endedAt'),
          ringMs: ph('ringMs'), talkMs: ph('talkMs'), disposition: ph('disposition'), hangupCause: ph('hangupCause'),
        } as never)
        .onConflictDoUpdate({ target: callLegs.uniqueId, set: excluded(callLegs as never, legKeys as never) })
        .prepare(),
      removeCall: this.db.delete(calls).where(eq(calls.id, ph('id'))).prepare(),
    };
  }

  /** Fills in a recording found after the call was written; one already known is kept. */
  setRecordingFile(id: string, file: string): void {
    this.db.update(calls).set({ recordingFile: file }).where(and(eq(calls.id, id), isNull(calls.recordingFile))).run();
  }

  /**
   * Answered calls that started since `startedSince`, ended since `endedSince` and have no recording yet:
   * those whose file may still show up (read by started_at, which is indexed).
   */
  endedWithoutRecording(startedSince: number, endedSince: number): Pick<CallRow, 'id' | 'linkedId' | 'mergedLinkedIds'>[] {
    return this.db.select({ id: calls.id, linkedId: calls.linkedId, mergedLinkedIds: calls.mergedLinkedIds }).from(calls).where(and(
      gte(calls.startedAt, startedSince), eq(calls.state, 'ended'), gte(calls.endedAt, endedSince),
      isNotNull(calls.answeredAt), isNull(calls.recordingFile),
    )).all();
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
