// Reconciliation with Asterisk's own CDR: at start, after every AMI reconnect, shortly after a partly
// seen call ends, and on a timer. Calls never seen are added; calls seen in part are completed; calls
// seen whole are left alone. Running it twice changes nothing (records are keyed by linkedid and
// written only when a value differs).
import { randomUUID } from 'node:crypto';
import { openSync, readSync, closeSync, statSync } from 'node:fs';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { settings, type CallRow } from '../db/schema/index.js';
import type { Logger } from '../lib/logger.js';
import { parseCdrText, summariseCdr, type CdrRow } from './cdr.js';
import type { CallRecord } from './model.js';
import type { CallStore } from './store.js';

const OFFSET_KEY = 'cdr.offset';
/** Re-read this much before the saved offset: rows of one linkedid may straddle two reads. */
const OVERLAP_BYTES = 256 * 1024;
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
  cdrFile: string;
  isExtension: (resource: string) => boolean;
  /** Caller-ID match for calls added from the CDR. */
  match?: (e164: string | null) => { contactId: string; clientId: string } | null;
  region: string;
  /** CDR rows of calls that ended longer ago than this are not imported (a first start on an old PBX). */
  windowDays?: number;
  /** True while the live tracker follows this linkedid: leave it to the tracker. */
  isLive: (linkedId: string) => boolean;
  /**
   * The recording the dialplan made for a call with these linkedids, if its file is there
   * (recording.ts findRecording): the CDR does not name it.
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
  /** The CDR file was missing at the last pass: said once, not at every pass (a fresh PBX has none yet). */
  private cdrMissing = false;
  constructor(private readonly d: ReconcilerDeps) {}

  /** One pass; concurrent callers share the pass in progress. */
  run(opts: { fromStart?: boolean } = {}): Promise<ReconcileResult> {
    if (!this.running) {
      this.running = Promise.resolve()
        .then(() => this.pass(opts.fromStart ?? false))
        .finally(() => { this.running = null; });
    }
    return this.running;
  }

  /** The new complete lines since the saved offset (with an overlap), and the offset to save after. */
  private readChunk(fromStart: boolean): { text: string; nextOffset: number } {
    let size: number;
    try {
      size = statSync(this.d.cdrFile).size;
    } catch {
      const level = this.cdrMissing ? 'debug' : 'warn';
      this.cdrMissing = true;
      this.d.log[level]({ file: this.d.cdrFile }, 'CDR file not found (CTI_CDR_FILE); nothing to reconcile');
      return { text: '', nextOffset: 0 };
    }
    if (this.cdrMissing) this.d.log.info({ file: this.d.cdrFile }, 'CDR file found');
    this.cdrMissing = false;
    const saved = Number(this.d.db.select().from(settings).where(eq(settings.key, OFFSET_KEY)).get()?.value ?? 0);
    // A file smaller than our offset was rotated: start over.
    const from = fromStart || saved > size ? 0 : Math.max(0, saved - OVERLAP_BYTES);
    const buf = Buffer.alloc(size - from);
    const fd = openSync(this.d.cdrFile, 'r');
    try {
      readSync(fd, buf, 0, buf.length, from);
    } finally {
      closeSync(fd);
    }
    const firstNl = from > 0 ? buf.indexOf(0x0a) + 1 : 0; // drop a partial first line
    const lastNl = buf.lastIndexOf(0x0a); // keep a partial last line (Asterisk mid-write) for next time
    if (lastNl < firstNl) return { text: '', nextOffset: Math.max(saved, from) };
    return { text: buf.subarray(firstNl, lastNl + 1).toString('utf8'), nextOffset: from + lastNl + 1 };
  }

  private pass(fromStart: boolean): ReconcileResult {
    const clock = this.d.clock ?? Date.now;
    const { text, nextOffset } = this.readChunk(fromStart);
    const { rows, bad } = parseCdrText(text);
    if (bad > 0) this.d.log.warn({ badLines: bad, file: this.d.cdrFile }, 'CDR lines that do not parse were skipped');
    const groups = new Map<string, CdrRow[]>();
    for (const r of rows) {
      const g = groups.get(r.linkedid) ?? [];
      g.push(r);
      groups.set(r.linkedid, g);
    }
    const result: ReconcileResult = { added: 0, completed: 0, unchanged: 0, badLines: bad, closedStale: 0, recordings: 0 };
    const oldest = clock() - (this.d.windowDays ?? 30) * 86_400_000;
    const recordingOf = (ids: string[]) => this.d.findRecording?.(ids) ?? null;
    // MixMonitor writes only while the call is bridged (option b): an unanswered call has no file to look for.
    const cdrRecording = (rec: CallRecord) => (rec.answeredAt !== null ? recordingOf([rec.linkedId]) : null);
    for (const [linkedId, group] of groups) {
      if (this.d.isLive(linkedId)) continue;
      if (Math.max(...group.map((r) => r.end)) < oldest) continue;
      const existing = this.d.store.findByLinkedId(linkedId);
      if (existing && existing.linkedId !== linkedId) { result.unchanged++; continue; } // merged into another call
      // Watched whole: our record is at least as exact as the CDR.
      if (existing && existing.state === 'ended' && existing.source === 'ami' && !existing.needsCdr) { result.unchanged++; continue; }
      const rec = summariseCdr(group, this.d.isExtension, this.d.region);
      if (!existing) {
        rec.recordingFile = cdrRecording(rec);
        const m = rec.direction === 'internal' ? null : this.d.match?.(rec.externalNumber) ?? null;
        if (m) Object.assign(rec, m);
        this.d.store.save(randomUUID(), rec);
        result.added++;
        continue;
      }
      if (existing.source === 'cdr') {
        // Built from the CDR before: rebuild only if the CDR grew (rows of one call written at different times)
        // or its recording was found since.
        rec.recordingFile = existing.recordingFile ?? cdrRecording(rec);
        if (same(existing, rec)) result.unchanged++;
        else { this.d.store.save(existing.id, rec); result.completed++; }
        continue;
      }
      // Seen in part: the CDR's times and outcome win; what only we know (direction, number, recording) stays.
      const merged = existing.mergedLinkedIds ? existing.mergedLinkedIds.split(' ') : [];
      const completed: CallRecord = {
        ...rec,
        source: 'ami+cdr',
        direction: existing.direction,
        origin: (existing.origin as 'click2call' | null) ?? rec.origin,
        externalNumber: existing.externalNumber ?? rec.externalNumber,
        extension: rec.extension ?? existing.extension,
        recordingFile: existing.recordingFile ?? recordingOf([linkedId, ...merged]),
        mergedLinkedIds: merged,
      };
      if (same(existing, completed) && existing.source === 'ami+cdr' && !existing.needsCdr) { result.unchanged++; continue; }
      this.d.store.save(existing.id, completed);
      result.completed++;
    }
    // Rows still "live" that Asterisk no longer knows and that no CDR completes: close them eventually.
    for (const row of this.d.store.liveRows()) {
      if (this.d.isLive(row.linkedId) || groups.has(row.linkedId)) continue;
      if (clock() - row.updatedAt < STALE_LIVE_MS) continue;
      this.d.store.closeStale(row.id);
      result.closedStale++;
    }
    // MixMonitor may close (or a sync bring) the file after the CDR row: answered calls that ended
    // lately without one get it when it shows up. The row is the only write: nothing else changes.
    if (this.d.findRecording) {
      const now = clock();
      for (const row of this.d.store.endedWithoutRecording(now - LONGEST_CALL_MS, now - LATE_RECORDING_MS)) {
        if (this.d.isLive(row.linkedId)) continue;
        const file = recordingOf([row.linkedId, ...(row.mergedLinkedIds ? row.mergedLinkedIds.split(' ') : [])]);
        if (!file) continue;
        this.d.store.setRecordingFile(row.id, file);
        result.recordings++;
      }
    }
    if (nextOffset > 0) {
      this.d.db.insert(settings).values({ key: OFFSET_KEY, value: String(nextOffset) })
        .onConflictDoUpdate({ target: settings.key, set: { value: String(nextOffset) } }).run();
    }
    if (result.added || result.completed || result.closedStale || result.recordings) this.d.log.info(result, 'reconciled with the CDR');
    return result;
  }
}
