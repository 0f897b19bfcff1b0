// The call log: PBX events -> tracker -> storage, with re-sync after restarts and reconnects.
//   on AMI login: ask Asterisk which channels live (CoreShowChannels); end the calls we tracked that
//   vanished meanwhile, adopt calls in progress we never saw, then reconcile with Asterisk's event log (CEL).
import type { Db } from '../db/client.js';
import { matchNumber } from '../contacts/match.js';
import type { Logger } from '../lib/logger.js';
import type { PbxEvent, LiveChannel } from '../pbx/events.js';
import type { Call } from './call.js';
import { findRecording, localRecordingPath, wavDurationMs } from './recording.js';
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
  log: Logger;
  extensionPattern: RegExp;
  region: string;
  recordingsDir: string;
  /** Where Asterisk writes them, as it sees it (CTI_PBX_RECORDINGS_DIR): recording.ts localRecordingPath. */
  pbxRecordingsDir?: string | null;
  /** cel_custom's file, replayed to add and complete calls (CTI_CEL_FILE). */
  celFile: string;
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
  onCallsEnded?: (ids: string[] | null) => void;
}

export class CallLog {
  readonly tracker: CallTracker;
  readonly store: CallStore;
  readonly reconciler: Reconciler;
  private timers = new Set<NodeJS.Timeout>();
  /** Calls changed since the last flush, and calls merged away; written once per event-loop turn. */
  private dirty = new Map<string, Call>();
  private removed = new Set<string>();
  private flushScheduled = false;
  /** What each live call's legs looked like when last written (their rows are rewritten only on change). */
  private savedLegs = new Map<string, string>();
  private interval: NodeJS.Timeout | null = null;

  constructor(private readonly o: CallLogOptions) {
    this.store = new CallStore(o.db);
    const mobile = o.mobileExtension ? { mobileExtension: o.mobileExtension } : {};
    this.tracker = new CallTracker({
      extensionPattern: o.extensionPattern, region: o.region, log: o.log.child({ feature: 'calls' }), match: (n) => this.match(n), ...mobile,
    });
    this.reconciler = new Reconciler({
      db: o.db, store: this.store, celFile: o.celFile, ...(o.celTimeZone ? { celTimeZone: o.celTimeZone } : {}), isExtension: (r) => o.extensionPattern.test(r), match: (n) => this.match(n), ...mobile,
      region: o.region, windowDays: o.reconcileDays, isLive: (l) => this.tracker.find(l) !== undefined,
      findRecording: (ids) => findRecording(o.recordingsDir, ids), log: o.log.child({ feature: 'reconcile' }),
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
  }

  handle(e: PbxEvent): void {
    this.tracker.handle(e);
  }

  start(): void {
    this.interval = setInterval(() => void this.reconcile(), this.o.reconcileIntervalMs);
    this.interval.unref();
  }

  stop(): void {
    this.flush();
    if (this.interval) clearInterval(this.interval);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
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
    this.dirty.set(call.id, call);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setTimeout(() => this.flush(), FLUSH_MS);
    }
  }

  /** Writes every changed call in one transaction. */
  flush(): void {
    this.flushScheduled = false;
    if (this.dirty.size === 0 && this.removed.size === 0) return;
    const items = [...this.dirty.values()].map((c) => {
      const rec = c.snapshot().record;
      const legsKey = rec.legs.map((l) => `${l.uniqueId}/${l.answeredAt}/${l.endedAt}/${l.disposition}`).join('|');
      const writeLegs = this.savedLegs.get(c.id) !== legsKey;
      if (rec.state === 'ended') this.savedLegs.delete(c.id);
      else this.savedLegs.set(c.id, legsKey);
      return [c.id, rec, writeLegs] as const;
    });
    const removed = [...this.removed];
    this.dirty.clear();
    this.removed.clear();
    try {
      this.store.saveMany(items, removed);
    } catch (err) {
      this.o.log.error({ err, calls: items.length }, 'could not save calls');
      return;
    }
    const ended = items.filter(([, r]) => r.state === 'ended').map(([id]) => id);
    if (ended.length) this.callsEnded(ended);
  }

  private callsEnded(ids: string[] | null): void {
    try {
      this.o.onCallsEnded?.(ids);
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
    const file = findRecording(this.o.recordingsDir, call.aliases);
    if (file) call.addRecordingFile(file);
  }

  private onEnded(call: Call): void {
    this.learnRecording(call);
    this.persist(call);
    const file0 = [...call.recordingFiles][0];
    const file = file0 ? localRecordingPath(this.o.recordingsDir, file0, this.o.pbxRecordingsDir ?? null) : null;
    if (file) {
      // MixMonitor closes the file just after the hangup.
      this.later(1000, () => {
        try {
          const ms = wavDurationMs(file);
          if (ms !== null) this.store.setRecordingDuration(call.id, ms);
        } catch (err) {
          call.log.warn({ err }, 'could not read the recording');
        }
      });
    }
    if (call.partial) this.later(this.o.cdrSettleMs ?? 2000, () => void this.reconcile());
  }

  async reconcile(): Promise<void> {
    this.flush();
    try {
      const r = await this.reconciler.run();
      if (r.added || r.completed) this.callsEnded(null);
    } catch (err) {
      this.o.log.error({ err }, 'reconciliation with the CEL file failed');
    }
  }

  /** After every AMI login: re-sync with the channels that live in Asterisk now, then reconcile. */
  resync(live: LiveChannel[], pbxNow: number): { ended: number; adopted: number } {
    this.flush();
    const ended = this.tracker.endMissing(live, this.tracker.lastEventAt || pbxNow);
    const known = (linkedId: string): KnownCall | undefined => {
      const row = this.store.findByLinkedId(linkedId);
      if (!row) return undefined;
      return {
        id: row.id, linkedId: row.linkedId, startedAt: row.startedAt, answeredAt: row.answeredAt,
        direction: row.direction, origin: (row.origin as 'click2call' | null) ?? null, externalNumber: row.externalNumber,
        recordingFile: row.recordingFile,
      };
    };
    const adopted = this.tracker.adopt(live, known, pbxNow);
    // Written at the next flush, so the adopted call's first save already carries its recording.
    for (const call of adopted) this.learnRecording(call);
    return { ended: ended.length, adopted: adopted.length };
  }
}
