// Persistence of calls and legs. A call row is written when it starts, when it is answered and when it
// ends, so a crash loses at most what the CDR gives back (see reconcile.ts). Every write is a promise:
// the call log (call-log.ts) queues them, so one call's writes reach the database in the order its
// events came.
import { and, eq, gte, inArray, isNotNull, isNull, like, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { first, inProcess, transaction } from '../db/query.js';
import { callLegs, calls, type CallRow } from '../db/schema/index.js';
import { managerIdFor } from '../users/directory.js';
import { MAIN_PBX } from '../pbx/pbx-id.js';
import type { CallRecord } from './model.js';

/** Rows per multi-row statement: well under either engine's limit on bound parameters (SQLite 32766, PostgreSQL 65535). */
const ROWS_PER_STATEMENT = 500;

function chunks<T>(items: T[], n = ROWS_PER_STATEMENT): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += n) out.push(items.slice(i, i + n));
  return out;
}

/** `excluded.<column>`: the value the upsert proposed (SQLite and PostgreSQL spell it alike). */
const excluded = (column: { name: string }): SQL => sql`excluded.${sql.identifier(column.name)}`;

/** A call row's columns from its record (all but managerId, which SQL resolves: managerIdFor). */
function callColumns(id: string, pbxId: string, rec: CallRecord, now: number) {
  return {
    id,
    pbxId,
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
  };
}
const CALL_COLUMNS = Object.keys(callColumns('', '', { mergedLinkedIds: [] } as unknown as CallRecord, 0)) as (keyof ReturnType<typeof callColumns>)[];

/** What an upsert of a call row replaces when the row is there. */
function callUpdate() {
  const replaced = ['linkedId', 'state', 'source', 'needsCdr', 'direction', 'origin', 'externalNumber', 'extension', 'startedAt', 'answeredAt',
    'endedAt', 'ringMs', 'talkMs', 'disposition', 'hangupCause', 'mergedLinkedIds', 'queue', 'queueWaitMs', 'queueOutcome', 'updatedAt'] as const;
  // A later value that lacks one keeps the stored one.
  const kept = (c: { name: string }) => sql`coalesce(${excluded(c)}, ${c})`;
  return {
    ...Object.fromEntries(replaced.map((k) => [k, excluded(calls[k])])),
    // A later re-match (src/contacts/match.ts) or routing reason is not undone by an update that lacks one.
    contactId: kept(calls.contactId),
    clientId: kept(calls.clientId),
    routedBy: kept(calls.routedBy),
    // A recording once known stays: a later write that lacks it (a call adopted after a restart, a
    // CDR rebuild, the end of a call whose CtiRecording event we missed) does not forget the file.
    recordingFile: kept(calls.recordingFile),
    // ...and stays while the extension does: re-saved after the phone went to someone else (a CDR
    // completion, a re-match), the call is still the first user's.
    managerId: sql`CASE WHEN ${excluded(calls.extension)} IS NOT DISTINCT FROM ${calls.extension} AND ${calls.managerId} IS NOT NULL
      THEN ${calls.managerId} ELSE ${excluded(calls.managerId)} END`,
  };
}

const LEG_UPDATED = ['callId', 'channel', 'extension', 'startedAt', 'answeredAt', 'endedAt', 'ringMs', 'talkMs', 'disposition', 'hangupCause'] as const;
const legUpdate = () => Object.fromEntries(LEG_UPDATED.map((k) => [k, excluded(callLegs[k])]));
const LEG_COLUMNS = ['id', 'callId', 'pbxId', 'uniqueId', 'channel', 'extension', 'startedAt', 'answeredAt', 'endedAt', 'ringMs', 'talkMs', 'disposition', 'hangupCause'] as const;

/**
 * SQLite: the call log's writes as prepared statements, one row each (in-process, so a row costs
 * microseconds; building a multi-row statement with drizzle per flush cost milliseconds of the event
 * loop that ringing phones' pops wait for). The same SQL as the multi-row statements PostgreSQL gets.
 */
function prepareSqlite(db: Db) {
  const ph = sql.placeholder;
  // The PBX is bound like the row's other values (managerIdFor's own parameter is the one bound).
  const pbx = ph('pbxId');
  return {
    upsertCall: db.insert(calls)
      .values({ ...Object.fromEntries(CALL_COLUMNS.map((k) => [k, ph(k)])), managerId: managerIdFor(pbx, ph('extension')) } as never)
      .onConflictDoUpdate({ target: calls.id, set: callUpdate() }).prepare(),
    legManagers: db.select({ uniqueId: callLegs.uniqueId, extension: callLegs.extension, managerId: callLegs.managerId })
      .from(callLegs).where(eq(callLegs.callId, ph('callId'))).prepare(),
    deleteLegs: db.delete(callLegs).where(eq(callLegs.callId, ph('callId'))).prepare(),
    upsertLeg: db.insert(callLegs)
      .values({ ...Object.fromEntries(LEG_COLUMNS.map((k) => [k, ph(k)])), managerId: sql`coalesce(${ph('keptManagerId')}, ${managerIdFor(pbx, ph('extension'))})` } as never)
      .onConflictDoUpdate({ target: [callLegs.pbxId, callLegs.uniqueId], set: legUpdate() }).prepare(),
    removeCall: db.delete(calls).where(eq(calls.id, ph('id'))).prepare(),
  };
}
const sqliteStatements = new WeakMap<Db, ReturnType<typeof prepareSqlite>>();
function sqliteSt(db: Db): ReturnType<typeof prepareSqlite> {
  let s = sqliteStatements.get(db);
  if (!s) sqliteStatements.set(db, (s = prepareSqlite(db)));
  return s;
}

/** One PBX's calls (src/pbx/pbxes.ts): every read is of its calls, every write stamps them with its id. */
export class CallStore {
  readonly pbxId: string;
  private readonly clock: () => number;

  constructor(private readonly db: Db, o: { pbxId?: string; clock?: () => number } = {}) {
    this.pbxId = o.pbxId ?? MAIN_PBX;
    this.clock = o.clock ?? Date.now;
  }

  private get mine(): SQL {
    return eq(calls.pbxId, this.pbxId);
  }

  async findByLinkedId(linkedId: string): Promise<CallRow | undefined> {
    const direct = await first(this.db.select().from(calls).where(and(this.mine, eq(calls.linkedId, linkedId))));
    if (direct) return direct;
    // A linkedid merged into another call by a transfer (space-separated list).
    return (await this.db.select().from(calls).where(and(this.mine, like(calls.mergedLinkedIds, `%${linkedId}%`))))
      .find((r) => r.mergedLinkedIds.split(' ').includes(linkedId));
  }

  async liveRows(): Promise<CallRow[]> {
    return this.db.select().from(calls).where(and(this.mine, eq(calls.state, 'live')));
  }

  /** Insert or update the call `id` with `rec`, replacing its legs. */
  async save(id: string, rec: CallRecord): Promise<void> {
    await this.saveMany([[id, rec]]);
  }

  /**
   * Several calls in one transaction (the hot path: the call log flushes what changed once per burst),
   * each kind of row in one multi-row statement. Upserts use ON CONFLICT ... excluded, on both engines.
   * `writeLegs` false: the call row alone (its legs did not change since they were last written).
   */
  async saveMany(items: Iterable<readonly [string, CallRecord] | readonly [string, CallRecord, boolean]>, removed: Iterable<string> = []): Promise<void> {
    const now = this.clock();
    // One row per call id, the last given (PostgreSQL refuses an upsert that touches a row twice).
    const byId = new Map<string, { rec: CallRecord; writeLegs: boolean }>();
    for (const [id, rec, writeLegs = true] of items) byId.set(id, { rec, writeLegs: writeLegs || (byId.get(id)?.writeLegs ?? false) });
    const gone = [...removed].filter((id) => !byId.has(id));
    if (!byId.size && !gone.length) return;
    if (inProcess(this.db)) return this.saveManySqlite(byId, gone, now);
    await transaction(this.db, async (tx) => {
      for (const ids of chunks(gone)) await tx.delete(calls).where(inArray(calls.id, ids));
      for (const part of chunks([...byId])) await this.upsertCalls(tx, part, now);
      const legCalls = [...byId].filter(([, v]) => v.writeLegs);
      for (const part of chunks(legCalls)) await this.replaceLegs(tx, part);
    });
  }

  /** saveMany on SQLite (in-process): the same rows, through prepared one-row statements (prepareSqlite). */
  private async saveManySqlite(byId: Map<string, { rec: CallRecord; writeLegs: boolean }>, gone: string[], now: number): Promise<void> {
    const st = sqliteSt(this.db);
    await transaction(this.db, async () => {
      for (const id of gone) await st.removeCall.execute({ id });
      for (const [id, { rec }] of byId) await st.upsertCall.execute({ ...callColumns(id, this.pbxId, rec, now) });
      const legCalls = [...byId].filter(([, v]) => v.writeLegs);
      // As replaceLegs: the users the legs were written with, read before they are deleted; then one row
      // per channel, the last call's; a leg keeps its user while its extension stays.
      const kept = new Map<string, { extension: string | null; managerId: string | null }>();
      for (const [callId] of legCalls) for (const l of await st.legManagers.execute({ callId })) kept.set(l.uniqueId, l);
      for (const [callId] of legCalls) await st.deleteLegs.execute({ callId });
      const legs = new Map<string, Record<string, unknown>>();
      for (const [callId, { rec }] of legCalls) {
        for (const l of rec.legs) {
          const old = kept.get(l.uniqueId);
          legs.set(l.uniqueId, {
            id: `${callId}:${l.uniqueId}`, callId, pbxId: this.pbxId, uniqueId: l.uniqueId, channel: l.channel, extension: l.extension,
            keptManagerId: old && old.extension === l.extension ? old.managerId : null,
            startedAt: l.startedAt, answeredAt: l.answeredAt, endedAt: l.endedAt, ringMs: l.ringMs, talkMs: l.talkMs,
            disposition: l.disposition, hangupCause: l.hangupCause,
          });
        }
      }
      for (const row of legs.values()) await st.upsertLeg.execute(row);
    });
  }

  private async upsertCalls(tx: Db, part: [string, { rec: CallRecord }][], now: number): Promise<void> {
    const rows = part.map(([id, { rec }]) => ({
      ...callColumns(id, this.pbxId, rec, now),
      // The manager is the user on the extension as the call is written (src/users/directory.ts)...
      managerId: managerIdFor(this.pbxId, sql`${rec.extension}`),
    }));
    await tx.insert(calls).values(rows as never).onConflictDoUpdate({ target: calls.id, set: callUpdate() });
  }

  /** Each call's legs are rewritten; a leg keeps the user it was written with while its extension stays (a CDR completion hours later). */
  private async replaceLegs(tx: Db, part: [string, { rec: CallRecord }][]): Promise<void> {
    const ids = part.map(([id]) => id);
    const kept = new Map((await tx.select({ uniqueId: callLegs.uniqueId, extension: callLegs.extension, managerId: callLegs.managerId })
      .from(callLegs).where(inArray(callLegs.callId, ids))).map((l) => [l.uniqueId, l]));
    await tx.delete(callLegs).where(inArray(callLegs.callId, ids));
    // One row per channel (a leg moves with its channel when calls are joined), the last call's.
    const legs = new Map<string, Record<string, unknown>>();
    for (const [callId, { rec }] of part) {
      for (const l of rec.legs) {
        const old = kept.get(l.uniqueId);
        const keptManager = old && old.extension === l.extension ? old.managerId : null;
        legs.set(l.uniqueId, {
          id: `${callId}:${l.uniqueId}`, callId, pbxId: this.pbxId, uniqueId: l.uniqueId, channel: l.channel, extension: l.extension,
          managerId: keptManager ?? managerIdFor(this.pbxId, sql`${l.extension}`),
          startedAt: l.startedAt, answeredAt: l.answeredAt, endedAt: l.endedAt, ringMs: l.ringMs, talkMs: l.talkMs,
          disposition: l.disposition, hangupCause: l.hangupCause,
        });
      }
    }
    for (const rows of chunks([...legs.values()])) {
      await tx.insert(callLegs).values(rows as never).onConflictDoUpdate({ target: [callLegs.pbxId, callLegs.uniqueId], set: legUpdate() });
    }
  }

  /** Fills in a recording found after the call was written; one already known is kept. */
  async setRecordingFile(id: string, file: string): Promise<void> {
    await this.db.update(calls).set({ recordingFile: file }).where(and(eq(calls.id, id), isNull(calls.recordingFile)));
  }

  /**
   * Answered calls that started since `startedSince`, ended since `endedSince` and have no recording yet:
   * those whose file may still show up (read by started_at, which is indexed).
   */
  async endedWithoutRecording(startedSince: number, endedSince: number): Promise<Pick<CallRow, 'id' | 'linkedId' | 'mergedLinkedIds'>[]> {
    // Whole milliseconds: PostgreSQL's bigint refuses a fractional bound (a clock of performance.now() or µs times).
    return this.db.select({ id: calls.id, linkedId: calls.linkedId, mergedLinkedIds: calls.mergedLinkedIds }).from(calls).where(and(
      this.mine, gte(calls.startedAt, Math.floor(startedSince)), eq(calls.state, 'ended'), gte(calls.endedAt, Math.floor(endedSince)),
      isNotNull(calls.answeredAt), isNull(calls.recordingFile),
    ));
  }

  /**
   * Ended calls that started since `startedSince` with a recording named but not measured yet (the PBX's
   * recordings server had not answered, or the file was not there yet), at most `limit`.
   */
  async endedWithUnmeasuredRecording(startedSince: number, limit: number): Promise<Pick<CallRow, 'id' | 'recordingFile'>[]> {
    return this.db.select({ id: calls.id, recordingFile: calls.recordingFile }).from(calls).where(and(
      this.mine, gte(calls.startedAt, Math.floor(startedSince)), eq(calls.state, 'ended'), isNotNull(calls.recordingFile), isNull(calls.recordingMs),
    )).limit(limit);
  }

  async setRecordingDuration(id: string, ms: number | null): Promise<void> {
    await this.db.update(calls).set({ recordingMs: ms }).where(eq(calls.id, id));
  }

  /** A call storage thought live but that Asterisk no longer knows and no CDR completes. */
  async closeStale(id: string): Promise<void> {
    const row = await first(this.db.select().from(calls).where(eq(calls.id, id)));
    if (!row) return;
    const endedAt = row.endedAt ?? row.updatedAt;
    // Only while it is still live: a write of the call meanwhile (the CDR, the tracker) wins.
    await this.db.update(calls).set({
      state: 'ended',
      endedAt,
      disposition: row.disposition ?? (row.answeredAt !== null ? 'answered' : 'no_answer'),
      talkMs: row.answeredAt !== null ? Math.max(0, endedAt - row.answeredAt) : 0,
      updatedAt: this.clock(),
    }).where(and(eq(calls.id, id), eq(calls.state, 'live')));
  }

  /** A call joined into another by a transfer: its row goes, the survivor carries its legs. */
  async remove(id: string): Promise<void> {
    await this.db.delete(calls).where(eq(calls.id, id));
  }
}
