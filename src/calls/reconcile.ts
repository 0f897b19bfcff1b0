// Reconciliation with Asterisk's own event log (CEL: the file cel_custom writes, or cel_pgsql's table when
// the PBX runs on another host; src/pbx/cel-source.ts): at start, after every
// AMI reconnect, shortly after a partly seen call ends, and on a timer. The file's records are replayed
// through a CallTracker of our own, the interpreter the live calls go through, so a call rebuilt
// afterwards is the record it would have been live. Calls never seen are added; calls seen in part are
// completed; calls seen whole are left alone. Running it twice changes nothing (records are keyed by
// linkedid and written only when a value differs).
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { first } from '../db/query.js';
import type { Db } from '../db/client.js';
import { settings, type CallRow } from '../db/schema/index.js';
import type { Logger } from '../lib/logger.js';
import { fileCelSource } from '../pbx/cel-file.js';
import type { CelChunk, CelSource } from '../pbx/cel-source.js';
import type { CallRecord } from './model.js';
import type { CallStore } from './store.js';
import { MAIN_PBX } from '../pbx/pbx-id.js';
import { CallTracker } from './tracker.js';

/** A call left "live" in storage with no channel in Asterisk and no CDR row after this long is closed. */
const STALE_LIVE_MS = 6 * 3600_000;
/** An answered call's recording is looked for again this long after the call ended (a file that shows up late). */
const LATE_RECORDING_MS = 10 * 60_000;
/** ...among calls that started this long ago at most (bounds the read to a range of calls_started_at_idx). */
const LONGEST_CALL_MS = 4 * 3600_000;

export interface ReconcileResult {
  added: number;
  completed: number;
  unchanged: number;
  badLines: number;
  closedStale: number;
  /** Recordings found for calls written earlier without one. */
  recordings: number;
}

export interface ReconcilerDeps {
  db: Db;
  store: CallStore;
  /** Where the event log is read (src/pbx/cel-source.ts); else cel_custom's file `celFile`. */
  cel?: CelSource;
  /** cel_custom's file (dialplan/cel_custom_cti.conf), when no `cel` source is given. */
  celFile?: string;
  /** The PBX's time zone, for a CEL file whose times are its wall clock (cel.conf dateformat); default UTC. */
  celTimeZone?: string;
  isExtension: (resource: string) => boolean;
  mobileExtension?: (number: string) => string | null;
  /** Caller-ID match for calls added from the event log. */
  match?: (e164: string | null) => Promise<{ contactId: string; clientId: string } | null>;
  region: string;
  /** Calls that ended longer ago than this are not imported (a first start on an old PBX). */
  windowDays?: number;
  /** True while the live tracker follows this linkedid: leave it to the tracker. */
  isLive: (linkedId: string) => boolean;
  /**
   * The recording the dialplan made for a call with these linkedids, if its file is there
   * (recording.ts findRecording): for a call whose MixMonitor start the log does not show.
   */
  findRecording?: (linkedIds: string[]) => string | null;
  log: Logger;
  clock?: () => number;
}

function same(row: CallRow, rec: CallRecord): boolean {
  return row.state === rec.state && row.startedAt === rec.startedAt && row.answeredAt === rec.answeredAt &&
    row.endedAt === rec.endedAt && row.disposition === rec.disposition && row.extension === rec.extension &&
    row.talkMs === rec.talkMs && row.ringMs === rec.ringMs && row.recordingFile === rec.recordingFile;
}

export class Reconciler {
  private running: Promise<ReconcileResult> | null = null;
  /** The CEL file was missing at the last pass: said once, not at every pass (a fresh PBX has none yet). */
  private celMissing = false;
  private readonly cel: CelSource;
  constructor(private readonly d: ReconcilerDeps) {
    if (!d.cel && d.celFile === undefined) throw new Error('Reconciler: a CEL source or file is needed');
    this.cel = d.cel ?? fileCelSource(d.celFile!, d.celTimeZone);
    // Each PBX's log has its own position; main's keeps the key it had before there were several.
    this.positionKey = d.store.pbxId === MAIN_PBX ? this.cel.positionKey : `pbx:${d.store.pbxId}:${this.cel.positionKey}`;
  }
  private readonly positionKey: string;

  /** One pass; concurrent callers share the pass in progress. */
  run(opts: { fromStart?: boolean } = {}): Promise<ReconcileResult> {
    if (!this.running) {
      this.running = Promise.resolve()
        .then(() => this.pass(opts.fromStart ?? false))
        .finally(() => { this.running = null; });
    }
    return this.running;
  }

  /** The records since the saved position (a record's first byte or row id; 0 for all of them). */
  private async readChunk(fromStart: boolean): Promise<CelChunk> {
    const saved = fromStart ? 0 : Number((await first(this.d.db.select().from(settings).where(eq(settings.key, this.positionKey))))?.value ?? 0);
    const chunk = await this.cel.read(saved);
    if (!chunk) {
      const level = this.celMissing ? 'debug' : 'warn';
      this.celMissing = true;
      this.d.log[level]({ source: this.cel.where }, `${this.cel.where} not found; nothing to reconcile`);
      return { records: [], nextOffset: 0 };
    }
    if (this.celMissing) this.d.log.info({ source: this.cel.where }, `${this.cel.where} found`);
    this.celMissing = false;
    return chunk;
  }

  private async pass(fromStart: boolean): Promise<ReconcileResult> {
    const clock = this.d.clock ?? Date.now;
    const { records, nextOffset } = await this.readChunk(fromStart);
    // Every record of the chunk through a tracker of our own: the live interpreter, fed the same events.
    const replay = new CallTracker({
      extensionPattern: { test: this.d.isExtension }, region: this.d.region,
      // Quiet: every call of the chunk is replayed at each pass; what the pass changes is logged below.
      log: this.d.log.child({ feature: 'reconcile' }, { level: 'warn' }), ...(this.d.mobileExtension ? { mobileExtension: this.d.mobileExtension } : {}),
    });
    const ended: CallRecord[] = [];
    // A record of its own (not the frozen snapshot's): the pass completes it below.
    replay.on('ended', (_snap, call) => ended.push(call.toRecord()));
    let bad = 0;
    /** Byte offset of each call's first record: where the next pass starts while a call is still open. */
    const firstAt = new Map<string, number>();
    for (const { offset, event: e } of records) {
      if (!e) { bad++; continue; }
      replay.handle(e);
      if (e.name === 'CHAN_START' && !firstAt.has(e.linkedId)) firstAt.set(e.linkedId, offset);
    }
    if (bad > 0) this.d.log.warn({ badLines: bad, source: this.cel.where }, 'CEL records that do not parse were skipped');
    const result: ReconcileResult = { added: 0, completed: 0, unchanged: 0, badLines: bad, closedStale: 0, recordings: 0 };
    const oldest = clock() - (this.d.windowDays ?? 30) * 86_400_000;
    const seen = new Set<string>();
    // Where the next pass starts: the first record of a call the file has not finished (in progress, or
    // the file cut mid-call) or that the live tracker still follows (it may end while AMI is down and be
    // left to us); one open for longer than any call lasts is given up.
    let resumeAt = nextOffset;
    const holdFrom = (aliases: Iterable<string>, startedAt: number) => {
      if (replay.lastEventAt - startedAt > LONGEST_CALL_MS) return;
      for (const a of aliases) {
        const at = firstAt.get(a);
        if (at !== undefined && at < resumeAt) resumeAt = at;
      }
    };
    for (const call of replay.liveCalls()) holdFrom(call.aliases, call.startedAt);
    for (const rec of ended) {
      const linkedIds = [rec.linkedId, ...rec.mergedLinkedIds];
      for (const l of linkedIds) seen.add(l);
      if (linkedIds.some((l) => this.d.isLive(l))) { holdFrom(linkedIds, rec.startedAt); continue; }
      if ((rec.endedAt ?? rec.startedAt) < oldest) continue;
      let existing: CallRow | undefined;
      for (const l of linkedIds) if ((existing = await this.d.store.findByLinkedId(l))) break;
      // Watched whole: the live record was built from the same events.
      if (existing && existing.state === 'ended' && existing.source === 'ami' && !existing.needsCdr) { result.unchanged++; continue; }
      rec.source = existing && existing.source !== 'cdr' ? 'ami+cdr' : 'cdr';
      rec.recordingFile ??= existing?.recordingFile ?? (rec.answeredAt !== null ? this.d.findRecording?.(linkedIds) ?? null : null);
      if (!existing) {
        const m = rec.direction === 'internal' ? null : (await this.d.match?.(rec.externalNumber)) ?? null;
        if (m) Object.assign(rec, m);
        await this.d.store.save(randomUUID(), rec);
        result.added++;
        continue;
      }
      if (existing.linkedId !== rec.linkedId && !rec.mergedLinkedIds.includes(existing.linkedId)) rec.mergedLinkedIds.push(existing.linkedId);
      if (same(existing, rec) && !existing.needsCdr && existing.source === rec.source) { result.unchanged++; continue; }
      await this.d.store.save(existing.id, rec);
      result.completed++;
    }
    // Rows still "live" that Asterisk no longer knows and that no CDR completes: close them eventually.
    for (const row of await this.d.store.liveRows()) {
      if (this.d.isLive(row.linkedId) || seen.has(row.linkedId)) continue;
      if (clock() - row.updatedAt < STALE_LIVE_MS) continue;
      await this.d.store.closeStale(row.id);
      result.closedStale++;
    }
    // MixMonitor may close (or a sync bring) the file after the CDR row: answered calls that ended
    // lately without one get it when it shows up. The row is the only write: nothing else changes.
    if (this.d.findRecording) {
      const now = clock();
      for (const row of await this.d.store.endedWithoutRecording(now - LONGEST_CALL_MS, now - LATE_RECORDING_MS)) {
        if (this.d.isLive(row.linkedId)) continue;
        const file = this.d.findRecording([row.linkedId, ...(row.mergedLinkedIds ? row.mergedLinkedIds.split(' ') : [])]);
        if (!file) continue;
        await this.d.store.setRecordingFile(row.id, file);
        result.recordings++;
      }
    }
    if (resumeAt > 0) {
      await this.d.db.insert(settings).values({ key: this.positionKey, value: String(resumeAt) })
        .onConflictDoUpdate({ target: settings.key, set: { value: String(resumeAt) } });
    }
    if (result.added || result.completed || result.closedStale || result.recordings) this.d.log.info(result, "reconciled with Asterisk's event log");
    return result;
  }
}
