// The call log: PBX events -> tracker -> storage, with re-sync after restarts and reconnects.
//   on AMI login: ask Asterisk which channels live (CoreShowChannels); end the calls we tracked that
//   vanished meanwhile, adopt calls in progress we never saw, then reconcile with Asterisk's event log (CEL).
// The tracker interprets events synchronously (the pop never waits for the database); what it changed
// is written by one queue of writes owned here, in the order the changes happened: each flush, each
// recording's duration and each reconciliation pass waits for the ones queued before it. Shutdown
// (stop) drains the queue before the database closes.
import type { Db } from '../db/client.js';
import { matchNumber } from '../contacts/match.js';
import type { Logger } from '../lib/logger.js';
import type { PbxEvent, LiveChannel } from '../pbx/events.js';
import type { CelSource } from '../pbx/cel-source.js';
import type { RemoteRecordings } from '../pbx/remote-recordings.js';
import type { Call } from './call.js';
import type { CallRecord } from './model.js';
import { findRecording, localRecordingPath, namedRecording, recordingParts, WAV_HEAD_BYTES, wavDurationFromHead, wavDurationMs } from './recording.js';
import { Reconciler } from './reconcile.js';
import { CallStore } from './store.js';
import { CallTracker, type KnownCall } from './tracker.js';

/**
 * Changed calls are written together at most this long after the change: a busy PBX's bursts become
 * one transaction, and a call that rings and is answered within it is written once. A crash loses at
 * most this much, and the CEL file gives it back (reconcile.ts).
 */
const FLUSH_MS = 50;

export interface CallLogOptions {
  db: Db;
  /** The PBX whose events and event log these are (src/pbx/pbxes.ts; default main). */
  pbxId?: string;
  log: Logger;
  extensionPattern: RegExp;
  region: string;
  recordingsDir: string;
  /** Where Asterisk writes them, as it sees it (CTI_PBX_RECORDINGS_DIR): recording.ts localRecordingPath. */
  pbxRecordingsDir?: string | null;
  /** cel_custom's file, replayed to add and complete calls (CTI_CEL_FILE), unless `cel` is given. */
  celFile: string;
  /** Where the event log is read instead (src/pbx/cel-source.ts: cel_pgsql's table); closed by stop(). */
  cel?: CelSource;
  /**
   * The PBX's recordings server when its disk is not ours (CTI_PBX_RECORDINGS_URL): a recording is then
   * named by MixMonitor's start or the naming rule, and counts once its header was fetched and measured.
   */
  remoteRecordings?: RemoteRecordings | null;
  /** The PBX's time zone (CTI_PBX_TIMEZONE): reconcile.ts celTimeZone. */
  celTimeZone?: string;
  /** The extension of the user whose mobile is this number (follow-me and forwarding legs). */
  mobileExtension?: (number: string) => string | null;
  reconcileIntervalMs: number;
  /** How far back the event log is imported (days). */
  reconcileDays?: number;
  /** Delay after a partly seen call ends before the event log is read for it (cel_custom writes as it goes). */
  cdrSettleMs?: number;
  /**
   * Ended calls were written: `ids` of the calls the tracker ended (live), or null after the event log added
   * or completed calls (any may be new). E.g. missed-call callbacks.
   */
  onCallsEnded?: (ids: string[] | null) => void | Promise<void>;
}

/** A failed write is tried again this long after (the database restarting, a pool without a connection)... */
const RETRY_MS = [1000, 5000, 30_000];
/** ...and how long stop() waits for the queued writes before it lets the database close anyway. */
const DRAIN_MS = 10_000;
/** Recordings on the PBX's server are measured for calls that started this long ago at most, so many a pass. */
const MEASURE_WINDOW_MS = 24 * 3600_000;
const MEASURE_BATCH = 50;


export class CallLog {
  readonly tracker: CallTracker;
  readonly store: CallStore;
  readonly reconciler: Reconciler;
  private timers = new Set<NodeJS.Timeout>();
  /** Calls changed since the last flush, and calls merged away; written together at most FLUSH_MS later. */
  private dirty = new Map<string, Call>();
  private removed = new Set<string>();
  private flushTimer: NodeJS.Timeout | null = null;
  /** What each live call's legs looked like when last written (their rows are rewritten only on change). */
  private savedLegs = new Map<string, string>();
  /** Failed writes of a call so far (RETRY_MS); forgotten once it is written. */
  private failures = new Map<string, number>();
  private interval: NodeJS.Timeout | null = null;
  /** The queue of writes: settles when the last one queued has (it never rejects). */
  private writes: Promise<void> = Promise.resolve();
  /** While a re-sync asks storage what it knows, events wait here (in order) instead of reaching the tracker. */
  private held: PbxEvent[] | null = null;
  private holders = 0;
  private stopped = false;
  /** Ended calls whose caller-ID lookup is still on its way (onEnded). */
  private readonly ending = new Set<Promise<void>>();
  /** A pass measuring the PBX's recordings is on its way (one at a time). */
  private measuring: Promise<void> | null = null;

  constructor(private readonly o: CallLogOptions) {
    this.store = new CallStore(o.db, o.pbxId ? { pbxId: o.pbxId } : {});
    const mobile = o.mobileExtension ? { mobileExtension: o.mobileExtension } : {};
    this.tracker = new CallTracker({
      pbxId: this.store.pbxId, extensionPattern: o.extensionPattern, region: o.region, log: o.log.child({ feature: 'calls' }), match: (n) => this.match(n), ...mobile,
    });
    this.reconciler = new Reconciler({
      db: o.db, store: this.store, celFile: o.celFile, ...(o.cel ? { cel: o.cel } : {}), ...(o.celTimeZone ? { celTimeZone: o.celTimeZone } : {}), isExtension: (r) => o.extensionPattern.test(r), match: (n) => this.match(n), ...mobile,
      region: o.region, windowDays: o.reconcileDays, isLive: (l) => this.tracker.find(l) !== undefined,
      findRecording: (ids) => this.findRecording(ids), log: o.log.child({ feature: 'reconcile' }),
    });
    // The Call itself is kept for the flush: what is written is its snapshot then (a burst's last change).
    this.tracker.on('updated', (_snap, call) => this.persist(call));
    this.tracker.on('merged', ({ into, fromId }, call) => {
      this.dirty.delete(fromId);
      this.savedLegs.delete(fromId);
      this.savedLegs.delete(into.id);
      this.removed.add(fromId);
      this.persist(call);
    });
    this.tracker.on('ended', (_snap, call) => this.onEnded(call));
    this.tracker.on('matched', (_snap, call) => this.persist(call));
  }

  handle(e: PbxEvent): void {
    if (this.held) this.held.push(e);
    else this.tracker.handle(e);
  }

  start(): void {
    this.interval = setInterval(() => void this.reconcile(), this.o.reconcileIntervalMs);
    this.interval.unref();
  }

  /**
   * Stops timers and writes what changed, waiting (at most DRAIN_MS) for every queued write: the
   * database may close when it resolves. Events after it are not written (stop the PBX first).
   */
  async stop(): Promise<void> {
    if (this.interval) clearInterval(this.interval);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.all(this.ending);
    const drained = this.flush().then(() => true);
    this.stopped = true;
    let deadline: NodeJS.Timeout | undefined;
    const late = new Promise<false>((r) => { deadline = setTimeout(() => r(false), DRAIN_MS); });
    const done = await Promise.race([drained, late]);
    clearTimeout(deadline);
    await this.measuring;
    await this.o.cel?.close().catch((err: unknown) => this.o.log.warn({ err }, 'closing the CEL source failed'));
    if (!done) this.o.log.error({ waitedMs: DRAIN_MS }, 'call log: writes still running at shutdown; the CEL file restores what they held at the next start');
    else if (this.dirty.size || this.removed.size) {
      this.o.log.error({ calls: this.dirty.size + this.removed.size }, 'call log: calls not written at shutdown; the CEL file restores them at the next start');
    }
  }

  /** Runs `job` once every write queued before it has settled. Its own result (or error) is the caller's. */
  private queue<T>(job: () => Promise<T>): Promise<T> {
    const run = this.writes.then(job);
    this.writes = run.then(() => undefined, () => undefined);
    return run;
  }

  /** The queued writes, for tests and benches: resolves when everything queued so far has settled. */
  idle(): Promise<void> {
    return this.writes;
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => { this.timers.delete(t); fn(); }, ms);
    this.timers.add(t);
  }

  /** The contact and client an external number belongs to (E.164 numbers only). */
  private async match(e164: string | null): Promise<{ contactId: string; clientId: string } | null> {
    if (!e164 || !e164.startsWith('+')) return null;
    try {
      const m = await matchNumber(this.o.db, e164);
      return m ? { contactId: m.contactId, clientId: m.clientId } : null;
    } catch (err) {
      this.o.log.error({ err }, 'caller-ID match failed');
      return null;
    }
  }

  private persist(call: Call): void {
    if (this.stopped) {
      call.log.warn('call changed after the call log stopped: not written');
      return;
    }
    this.dirty.set(call.id, call);
    this.flushTimer ??= setTimeout(() => { this.flushTimer = null; void this.flush(); }, FLUSH_MS);
  }

  /**
   * Queues every changed call for one transaction; resolves once it and every write queued before it
   * have settled (errors are logged, and the calls tried again: RETRY_MS). Never rejects.
   */
  flush(): Promise<void> {
    if (this.flushTimer) { clearTimeout(this.flushTimer); this.flushTimer = null; }
    if (this.dirty.size === 0 && this.removed.size === 0) return this.writes;
    // The snapshots are taken now, in event order; the queue keeps that order into the database.
    const items = [...this.dirty.values()].map((c) => {
      const rec = c.snapshot().record;
      const legsKey = rec.legs.map((l) => `${l.uniqueId}/${l.answeredAt}/${l.endedAt}/${l.disposition}`).join('|');
      const writeLegs = this.savedLegs.get(c.id) !== legsKey;
      if (rec.state === 'ended') this.savedLegs.delete(c.id);
      else this.savedLegs.set(c.id, legsKey);
      return { call: c, rec, writeLegs };
    });
    const removed = [...this.removed];
    this.dirty.clear();
    this.removed.clear();
    return this.queue(() => this.write(items, removed));
  }

  private async write(items: { call: Call; rec: CallRecord; writeLegs: boolean }[], removed: string[]): Promise<void> {
    const saved: typeof items = [];
    try {
      await this.store.saveMany(items.map((i) => [i.call.id, i.rec, i.writeLegs] as const), removed);
      saved.push(...items);
    } catch (err) {
      this.o.log.error({ err, calls: items.length }, 'could not save calls');
      // One call the database refuses must not hold back the others: each on its own.
      for (const id of removed) {
        try {
          await this.store.saveMany([], [id]);
        } catch {
          if (!this.stopped) this.removed.add(id);
        }
      }
      for (const i of items) {
        try {
          await this.store.saveMany([[i.call.id, i.rec, true]]);
          saved.push(i);
        } catch (err1) {
          this.failed(i.call, err1);
        }
      }
      if (!this.stopped && (this.dirty.size || this.removed.size)) this.retryLater();
    }
    for (const i of saved) this.failures.delete(i.call.id);
    const ended = saved.filter((i) => i.rec.state === 'ended').map((i) => i.call.id);
    if (ended.length) await this.callsEnded(ended);
  }

  /** A call's write failed: it is written again later (its latest state), a few times. */
  private failed(call: Call, err: unknown): void {
    const n = (this.failures.get(call.id) ?? 0) + 1;
    // Its legs are written in full next time: what the database holds of them is unknown.
    this.savedLegs.delete(call.id);
    if (n > RETRY_MS.length || this.stopped) {
      this.failures.delete(call.id);
      call.log.error({ err, attempts: n }, 'could not save the call; the CEL file restores it at the next reconciliation');
      return;
    }
    this.failures.set(call.id, n);
    call.log.warn({ err, attempt: n }, 'could not save the call; trying again');
    if (!this.dirty.has(call.id)) this.dirty.set(call.id, call);
  }

  private retryLater(): void {
    const attempts = Math.max(1, ...this.failures.values());
    this.later(RETRY_MS[Math.min(attempts, RETRY_MS.length) - 1]!, () => void this.flush());
  }

  private async callsEnded(ids: string[] | null): Promise<void> {
    try {
      await this.o.onCallsEnded?.(ids);
    } catch (err) {
      this.o.log.error({ err }, 'handling ended calls failed');
    }
  }

  /**
   * A call whose CtiRecording event we did not see (adopted after a restart or reconnect) learns its
   * recording from the dialplan's naming rule, as the CDR path does (recording.ts findRecording).
   */
  private learnRecording(call: Call): void {
    if (call.recordingFiles.size > 0) return;
    const file = this.findRecording(call.aliases);
    if (file) call.addRecordingFile(file);
  }

  /** The naming rule's file: looked for on this disk, or named for the PBX's server to confirm (measure). */
  private findRecording(linkedIds: Iterable<string>): string | null {
    return this.o.remoteRecordings ? namedRecording(linkedIds) : findRecording(this.o.recordingsDir, linkedIds);
  }

  /**
   * Fetches the recording's header from the PBX's server and saves its length: the call has a recording
   * from then on. False when the PBX has no such file (yet) or it holds no audio; rejects when unreachable.
   */
  private async measureRemote(id: string, asteriskPath: string): Promise<boolean> {
    const remote = this.o.remoteRecordings;
    const parts = recordingParts(asteriskPath, this.o.pbxRecordingsDir ?? null);
    if (!remote || !parts) return false;
    const got = await remote.head(parts, WAV_HEAD_BYTES);
    // MixMonitor writes a 44-byte header even for no audio: that is no recording (queries.ts recordingPath).
    const ms = got && got.size > 44 ? wavDurationFromHead(got.head, got.size) : null;
    if (ms === null) return false;
    await this.queue(() => this.store.setRecordingDuration(id, ms));
    return true;
  }

  /** Recordings named lately but not measured (the PBX was away, the file came late): measured now. */
  private measureRemoteRecordings(): Promise<void> {
    if (!this.o.remoteRecordings || this.stopped) return Promise.resolve();
    if (!this.measuring) this.measuring = (async () => {
      const rows = await this.store.endedWithUnmeasuredRecording(Date.now() - MEASURE_WINDOW_MS, MEASURE_BATCH);
      for (const row of rows) {
        if (this.stopped) break;
        await this.measureRemote(row.id, row.recordingFile!);
      }
    })().catch((err: unknown) => this.o.log.warn({ err }, "could not measure recordings on the PBX's recordings server"))
      .finally(() => { this.measuring = null; });
    return this.measuring;
  }

  private onEnded(call: Call): void {
    this.learnRecording(call);
    // The ended record is written with its contact (the missed-call sweep after the write reads it):
    // a lookup still on its way (a call of a few milliseconds, a replay) is waited for; stop() waits too.
    const ending = call.matched().then(() => this.persist(call));
    this.ending.add(ending);
    void ending.finally(() => this.ending.delete(ending));
    const file0 = [...call.recordingFiles][0];
    if (file0 && this.o.remoteRecordings) {
      // MixMonitor closes the file just after the hangup; a file not there yet is measured by a later pass.
      this.later(1000, () => {
        this.measureRemote(call.id, file0).catch((err: unknown) => call.log.warn({ err }, "could not measure the recording on the PBX's recordings server"));
      });
    }
    const file = file0 && !this.o.remoteRecordings ? localRecordingPath(this.o.recordingsDir, file0, this.o.pbxRecordingsDir ?? null) : null;
    if (file) {
      // MixMonitor closes the file just after the hangup.
      this.later(1000, () => {
        let ms: number | null;
        try {
          ms = wavDurationMs(file);
        } catch (err) {
          call.log.warn({ err }, 'could not read the recording');
          return;
        }
        if (ms === null) return;
        // After the call's own writes (queued before): the row is there to update.
        this.queue(() => this.store.setRecordingDuration(call.id, ms)).catch((err: unknown) => call.log.error({ err }, "could not save the recording's duration"));
      });
    }
    if (call.partial) this.later(this.o.cdrSettleMs ?? 2000, () => void this.reconcile());
  }

  /**
   * Reconciles with the CEL file: a pass on the queue of writes, after what the tracker changed so far
   * (so a call the tracker just ended is in storage before the pass looks for it). Never rejects.
   */
  async reconcile(): Promise<void> {
    void this.flush();
    await this.queue(async () => {
      const r = await this.reconciler.run();
      if (r.added || r.completed) await this.callsEnded(null);
    }).catch((err: unknown) => this.o.log.error({ err }, "reconciliation with Asterisk's event log (CEL) failed"));
    // Network, not storage: outside the queue of writes (its own writes are queued).
    await this.measureRemoteRecordings();
  }

  /**
   * After every AMI login: re-sync with the channels that live in Asterisk now (`live`, CoreShowChannels).
   * Calls we track that vanished end at once; calls in progress we never saw are adopted with what
   * storage knows of them, and events that arrive while storage is asked wait, then follow in order.
   */
  async resync(live: LiveChannel[], pbxNow: number): Promise<{ ended: number; adopted: number }> {
    void this.flush();
    const ended = this.tracker.endMissing(live, this.tracker.lastEventAt || pbxNow);
    const unknown = [...new Set(live.filter((c) => !this.tracker.find(c.linkedId)).map((c) => c.linkedId))];
    const known = new Map<string, KnownCall>();
    this.hold();
    let adopted: Call[] = [];
    try {
      for (const linkedId of unknown) {
        const row = await this.store.findByLinkedId(linkedId);
        if (!row) continue;
        known.set(linkedId, {
          id: row.id, linkedId: row.linkedId, startedAt: row.startedAt, answeredAt: row.answeredAt,
          direction: row.direction, origin: (row.origin as 'click2call' | null) ?? null, externalNumber: row.externalNumber,
          recordingFile: row.recordingFile,
        });
      }
    } catch (err) {
      // Adopted all the same, as calls storage does not know: the CEL file completes them.
      this.o.log.error({ err }, 'could not read the calls in progress from storage');
    } finally {
      adopted = this.tracker.adopt(live, (l) => known.get(l), pbxNow);
      // Written at the next flush, so the adopted call's first save already carries its recording.
      for (const call of adopted) this.learnRecording(call);
      this.release();
    }
    return { ended: ended.length, adopted: adopted.length };
  }

  private hold(): void {
    this.holders++;
    this.held ??= [];
  }

  private release(): void {
    if (--this.holders > 0) return;
    const events = this.held ?? [];
    this.held = null;
    for (const e of events) this.tracker.handle(e);
  }
}
