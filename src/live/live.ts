// The live board service: keeps the board (board.ts) current from the PBX's device states and the call
// tracker's events (one interpretation of calls: src/calls/tracker.ts), refreshes today's counters when
// calls end, and pushes what changed to the supervisors' browsers as throttled deltas: a change is sent
// within COALESCE_MS when the floor is quiet, and at most once per PUSH_MS when it is busy, each delta
// carrying only the calls and managers that changed (200 calls in progress do not mean 200 messages).
import { eq } from 'drizzle-orm';
import type { CallSnapshot } from '../calls/snapshot.js';
import type { CallTracker } from '../calls/tracker.js';
import type { Db } from '../db/client.js';
import { first } from '../db/query.js';
import { clients, contacts } from '../db/schema/index.js';
import { CtiError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { PbxEvent } from '../pbx/events.js';
import type { PbxLink } from '../pbx/pbx.js';
import { phoneOwners } from '../users/directory.js';
import { MAIN_PBX } from '../pbx/pbx-id.js';
import type { Actor } from '../users/users.js';
import { LiveBoard, type PhoneUser } from './board.js';
import { liveCallView } from './call-view.js';
import { noCounters, todayCounters, todayIn } from './counters.js';
import type { LiveCallView, LiveDelta, LiveSnapshot } from './model.js';

/** A quiet floor: a change waits this long for the events that usually follow it (a DialBegin's DialEnd). */
const COALESCE_MS = 30;
/**
 * A busy floor: at most one delta per this period. 4 a second keep a board of 200 calls smooth and
 * cost the browser little (bench/live.ts: ~50 KiB/s while 120 calls a second change state).
 */
const PUSH_MS = 250;
/** Counters are re-read at most this often while calls keep ending. */
const COUNTERS_MS = 1000;
/** Users (names on phones) change rarely and are re-read with every snapshot and this often. */
const USERS_MS = 30_000;

/** Where deltas go: the supervisors' room of the realtime hub. */
export interface LiveSink {
  hasLiveWatchers(): boolean;
  liveDelta(d: LiveDelta): void;
}

export interface LiveOptions {
  db: Db;
  /** The PBX whose board this is (one board per PBX: its phones, calls, queues and counters); default main. */
  pbxId?: string;
  log: Logger;
  timeZone: string;
  isExtension: (resource: string) => boolean;
  now?: () => number;
  pushMs?: number;
}

export class LiveService {
  readonly board: LiveBoard;
  private readonly now: () => number;
  private readonly pushMs: number;
  private sink: LiveSink | null = null;
  private users: PhoneUser[] = [];
  /** Calls changed since the board last saw them (views are built once per push, not per event). */
  private readonly dirty = new Map<string, CallSnapshot | null>();
  /**
   * Names of each live call's contact and client, looked up once per match: the view shows none until
   * the lookup is back, then the call is pushed again with them (a push never waits for the database).
   */
  private readonly names = new Map<string, { key: string; contact: string | null; client: string | null }>();
  /** The latest snapshot of each call on the board (for the push that follows a name lookup). */
  private readonly onBoard = new Map<string, CallSnapshot>();
  /** Reads in flight (names, counters): snapshot() waits for them, stop() too, before the database closes. */
  private readonly reads = new Set<Promise<void>>();
  private pushTimer: NodeJS.Timeout | null = null;
  private lastPush = 0;
  private countersTimer: NodeJS.Timeout | null = null;
  private lastCounters = 0;
  /** Counter reads started so far: only the latest one's result is shown. */
  private countersRead = 0;
  private usersTimer: NodeJS.Timeout | null = null;
  private midnightTimer: NodeJS.Timeout | null = null;
  /** When the next queue member's wrap-up ends (src/live/queues.ts). */
  private wrapupTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  readonly pbxId: string;

  constructor(private readonly o: LiveOptions) {
    this.pbxId = o.pbxId ?? MAIN_PBX;
    this.now = o.now ?? Date.now;
    this.pushMs = o.pushMs ?? PUSH_MS;
    this.loadUsers();
    this.board = new LiveBoard(o.isExtension, noCounters(o.timeZone, this.now()), this.pbxId);
    this.board.setUsers(this.users, this.now());
    this.refreshCounters(false);
    this.usersTimer = setInterval(() => this.safely('users refresh', () => {
      this.loadUsers();
      this.board.setUsers(this.users, this.now());
      this.schedule();
    }), USERS_MS);
    this.usersTimer.unref();
    this.scheduleMidnight();
  }

  publishTo(sink: LiveSink): void {
    this.sink = sink;
  }

  /** Calls from the tracker: every change that can move a call on the board marks it for the next push. */
  attachTracker(tracker: CallTracker): void {
    const mark = (call: CallSnapshot) => {
      this.dirty.set(call.id, call);
      this.schedule();
    };
    tracker.on('updated', mark);
    tracker.on('ended', mark);
    tracker.on('legRinging', mark);
    tracker.on('legAnswered', mark);
    tracker.on('legEnded', mark);
    // The joined call's id is gone: its row leaves the board.
    tracker.on('merged', ({ into, fromId }) => {
      this.dirty.set(fromId, null);
      mark(into);
    });
    for (const c of tracker.liveCalls()) this.dirty.set(c.id, c.snapshot());
  }

  /** Device states from the PBX: live changes, the full list after every (re)connect, and the link. */
  attachPbx(pbx: PbxLink): void {
    pbx.on('event', (e) => this.handlePbxEvent(e));
    pbx.on('amiState', (s) => {
      if (s === 'connected') return; // amiReady follows, with the device list
      this.board.setPbxLink('disconnected');
      this.schedule();
    });
    pbx.on('amiReady', () => {
      void (async () => {
        try {
          const queues = await pbx.queueStatus();
          this.board.queues.setAll(queues, this.now());
          this.scheduleWrapupEnd();
          this.o.log.info({ queues: queues.length }, 'queues loaded');
        } catch (err) {
          // Live queue events still arrive; members show up as they change.
          this.o.log.error({ err }, 'could not list queues (AMI QueueStatus)');
        }
        try {
          const list = await pbx.deviceStates();
          this.board.setAllDevices(list, this.now());
          this.board.setPbxLink('connected');
          this.o.log.info({ devices: list.length }, 'device states loaded');
        } catch (err) {
          // Live DeviceStateChange events still arrive; phones that stay idle show offline until they move.
          this.board.setPbxLink('connected');
          this.o.log.error({ err }, 'could not list device states (AMI DeviceStateList)');
        }
        this.schedule();
      })();
    });
  }

  handlePbxEvent(e: PbxEvent): void {
    if (e.type === 'queue.member' || e.type === 'queue.member.removed' || e.type === 'queue.agent' || e.type === 'queue.caller') {
      this.board.queues.apply(e);
      this.scheduleWrapupEnd();
      this.schedule();
      return;
    }
    if (e.type !== 'device.state') return;
    this.board.setDevice(e.tech, e.resource, e.state, e.at);
    this.schedule();
  }

  /** A member's wrap-up ends with no event from the PBX: the board moves it on at that time. */
  private scheduleWrapupEnd(): void {
    if (this.wrapupTimer) clearTimeout(this.wrapupTimer);
    this.wrapupTimer = null;
    const next = this.board.queues.nextChangeAt();
    if (next === null || this.stopped) return;
    this.wrapupTimer = setTimeout(() => {
      this.wrapupTimer = null;
      this.safely('wrap-up end', () => {
        this.board.queues.expire(this.now());
        this.scheduleWrapupEnd();
        this.schedule();
      });
    }, Math.max(0, next - this.now()) + 50);
    this.wrapupTimer.unref();
  }

  /** Ended calls were written to the call log: the counters move (re-read at most once per COUNTERS_MS). */
  callsEnded(): void {
    if (this.countersTimer || this.stopped) return;
    const wait = Math.max(0, this.lastCounters + COUNTERS_MS - this.now());
    this.countersTimer = setTimeout(() => {
      this.countersTimer = null;
      this.refreshCounters();
    }, wait);
  }

  /** The whole board now (GET /api/v1/live); deltas after it have seq > snapshot.seq. */
  async snapshot(): Promise<LiveSnapshot> {
    await this.readUsers();
    this.board.setUsers(this.users, this.now());
    this.applyDirty();
    // Counters follow every write of ended calls (callsEnded) and midnight; re-read only when stale.
    if (this.now() - this.lastCounters >= COUNTERS_MS) this.refreshCounters();
    // The names and counters being read are in the snapshot.
    await this.settled();
    this.applyDirty();
    return this.board.snapshot(this.now());
  }

  /** Resolves when the reads in flight now are done (and those they started: a few rounds, not forever on a busy floor). */
  private async settled(rounds = 3): Promise<void> {
    for (let i = 0; i < rounds && this.reads.size; i++) await Promise.all(this.reads);
  }

  /** A read of the database off the push path: tracked (snapshot, stop), its failure logged. */
  private read(what: string, fn: () => Promise<void>): void {
    const p: Promise<void> = fn().catch((err: unknown) => this.o.log.error({ err }, `${what} failed`)).finally(() => this.reads.delete(p));
    this.reads.add(p);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pushTimer) clearTimeout(this.pushTimer);
    if (this.countersTimer) clearTimeout(this.countersTimer);
    if (this.usersTimer) clearInterval(this.usersTimer);
    if (this.midnightTimer) clearTimeout(this.midnightTimer);
    if (this.wrapupTimer) clearTimeout(this.wrapupTimer);
    // Stopped: no read starts any more, so this ends.
    await this.settled(Infinity);
  }

  /**
   * Who is on each phone (src/users/directory.ts, one user per extension): a query, so the board takes
   * the users when they arrive (loadUsers), and a snapshot awaits a fresh read.
   */
  private async readUsers(): Promise<void> {
    this.users = (await phoneOwners(this.o.db, this.pbxId)).map((u) => ({ extension: u.extension, id: u.id, name: u.name }));
  }

  private loadUsers(): void {
    void this.readUsers().then(() => {
      if (this.stopped || !this.board) return;
      this.board.setUsers(this.users, this.now());
      this.schedule();
    }, (err: unknown) => this.o.log.error({ err }, 'users refresh failed'));
  }

  /** A user was added, changed or deleted: the board names the new person at once, not in USERS_MS. */
  usersChanged(): void {
    this.safely('users refresh', () => {
      this.loadUsers();
      this.board.setUsers(this.users, this.now());
      this.schedule();
    });
  }

  /** Re-reads today's counters (in the background); the board moves and is pushed when they are back. */
  private refreshCounters(fresh = true): void {
    const at = this.now();
    // The first read (at construction) does not count as fresh: the first snapshot reads them again.
    if (fresh) this.lastCounters = at;
    const seq = ++this.countersRead;
    this.read('counters refresh', async () => {
      const counters = await todayCounters(this.o.db, this.o.timeZone, at, this.pbxId);
      // A later read started meanwhile has the newer counters.
      if (seq !== this.countersRead || this.stopped) return;
      this.board.setCounters(counters);
      this.schedule();
    });
  }

  /** At local midnight the counters start again from zero. */
  private scheduleMidnight(): void {
    const now = this.now();
    this.midnightTimer = setTimeout(() => {
      this.refreshCounters();
      this.scheduleMidnight();
    }, todayIn(this.o.timeZone, now).to - now + 1000);
    this.midnightTimer.unref();
  }

  private schedule(): void {
    if (this.pushTimer || this.stopped) return;
    const wait = Math.max(COALESCE_MS, this.lastPush + this.pushMs - this.now());
    this.pushTimer = setTimeout(() => {
      this.pushTimer = null;
      this.safely('live push', () => this.push());
    }, wait);
  }

  private push(): void {
    this.lastPush = this.now();
    this.applyDirty();
    const d = this.board.takeDelta(this.now());
    // Nobody is watching: the changes are in the board for the next snapshot, nothing to send.
    if (d && this.sink?.hasLiveWatchers()) this.sink.liveDelta(d);
  }

  private applyDirty(): void {
    for (const [id, call] of this.dirty) {
      const view = call && call.state !== 'ended' ? this.viewOf(call) : null;
      if (view && call) {
        this.board.upsertCall(view);
        this.onBoard.set(id, call);
      } else {
        this.board.removeCall(id);
        this.onBoard.delete(id);
        if (!call || call.state === 'ended') this.names.delete(id);
      }
    }
    this.dirty.clear();
  }

  /** A call in progress is the current user's of its phone (the directory's rule, from the board's copy). */
  private nameOf(extension: string | null): string | null {
    if (!extension) return null;
    return this.users.find((u) => u.extension === extension)?.name ?? null;
  }

  private viewOf(call: CallSnapshot): LiveCallView | null {
    return liveCallView(call, (r) => {
      const key = `${r.contactId}|${r.clientId}`;
      let n = this.names.get(call.id);
      if (!n || n.key !== key) {
        n = { key, contact: null, client: null };
        this.names.set(call.id, n);
        if (r.contactId || r.clientId) this.lookUpNames(call.id, key, r.contactId, r.clientId);
      }
      return { manager: this.nameOf(r.extension), contact: n.contact, client: n.client };
    });
  }

  private lookUpNames(callId: string, key: string, contactId: string | null, clientId: string | null): void {
    this.read('contact name lookup', async () => {
      const contact = contactId ? (await first(this.o.db.select({ name: contacts.name }).from(contacts).where(eq(contacts.id, contactId))))?.name ?? null : null;
      const client = clientId ? (await first(this.o.db.select({ name: clients.name }).from(clients).where(eq(clients.id, clientId))))?.name ?? null : null;
      const n = this.names.get(callId);
      // The call ended, or matched someone else meanwhile: that lookup's names are the ones to show.
      if (!n || n.key !== key) return;
      n.contact = contact;
      n.client = client;
      const snap = this.onBoard.get(callId);
      if (snap && !this.dirty.has(callId)) this.dirty.set(callId, snap);
      this.schedule();
    });
  }

  private safely(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.o.log.error({ err }, `${what} failed`);
    }
  }
}

/** Where the board comes from: the LiveService of the instance that leads (src/cluster). */
export interface LiveSnapshotSource {
  /** `pbx`: whose board (default main). */
  snapshot(pbx?: string): Promise<LiveSnapshot>;
}

/** The live board of one PBX for a supervisor or an admin; a manager sees only their own calls elsewhere. */
export async function liveSnapshot(ctx: { actor: Actor; live: LiveSnapshotSource }, pbx?: string): Promise<LiveSnapshot> {
  if (ctx.actor.role === 'manager') throw new CtiError('CTI_ERR_FORBIDDEN', 'The live board is for supervisors and admins');
  return ctx.live.snapshot(pbx);
}
