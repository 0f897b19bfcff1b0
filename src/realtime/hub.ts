// Realtime: socket.io on the service's HTTP server. A socket is the browser of a logged-in user
// (session cookie checked at the handshake, Origin checked against CTI_PUBLIC_URL); it joins its
// user's room, its extension's room and, for supervisors and admins, `supervisors`. The hub turns the
// call tracker's leg events into pops for exactly the user on the extension that rings
// (src/users/directory.ts; sent to their user room), as soon as the DialBegin arrives (not after the
// 50 ms storage flush), and routes task and click-to-call events to the people
// they concern.
//
// A socket keeps only what its session still allows (issue 10): it is disconnected when its session
// ends (logout, expiry: a timer at expiresAt), when its user's rights change or the user is gone
// (src/users/access.ts), and when a socket event or the periodic re-check finds the session invalid or
// the user changed behind our back. Disconnect, not a quiet room move: the page then asks
// /api/v1/auth/me and either shows the login page or reconnects as the user it now is
// (web/src/realtime.ts), so its own idea of the user (extension, role) is never stale either.
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { Server, type Socket } from 'socket.io';
import type { CallSnapshot, LegView } from '../calls/snapshot.js';
import type { CallTracker } from '../calls/tracker.js';
import type { Db } from '../db/client.js';
import type { C2cProgress, ClientToServerEvents, LiveDelta, ServerToClientEvents, TaskView } from '../contract/index.js';
import type { Logger } from '../lib/logger.js';
import type { UserAccess } from '../users/access.js';
import { liveSession, readCookie, sessionByHash, SESSION_COOKIE } from '../users/sessions.js';
import { rooms, type SocketData } from './events.js';
import { whoIsOn, type PhoneOwner } from '../users/directory.js';
import { buildScreenPop } from './screen-pop.js';
import { inArray } from 'drizzle-orm';
import { users } from '../db/schema/index.js';
import { partiesOf } from '../calls/parties.js';
import type { InterServerEvents } from '../cluster/cluster.js';

export type RealtimeServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
type RealtimeSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export interface RealtimeDeps {
  db: Db;
  log: Logger;
  /** The address browsers open the page at (CTI_PUBLIC_URL): the only Origin a socket may come from. */
  publicUrl: string;
  /** How often every socket's session is checked again (ms), for changes made outside this process. */
  recheckMs?: number;
  clock?: () => number;
  /**
   * Several instances share the rooms (src/cluster): this one's own sockets are not all the sockets,
   * so a pop or a delta is never skipped because nobody is connected here.
   */
  clustered?: boolean;
}

/** setTimeout's limit (2^31 - 1 ms, about 24.8 days); a longer session re-arms its timer. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Whether a handshake's Origin may open a socket. Browsers send Origin on every WebSocket handshake
 * and every cross-origin request (RFC 6455 §4.1, Fetch "origin header"), so a page elsewhere is always
 * refused. No Origin: a same-origin long-polling GET or a non-browser client (scripts, the benchmarks),
 * which still needs a valid session cookie; nothing a foreign page can forge.
 */
export function originAllowed(origin: string | undefined, publicUrl: string): boolean {
  if (origin === undefined) return true;
  try {
    const [a, b] = [new URL(origin), new URL(publicUrl)];
    if (a.origin === b.origin) return true;
    // localhost, 127.0.0.1 and [::1] on the same scheme and port are this very service on this machine
    // (the demo prints 127.0.0.1; people type localhost): no other site can be there.
    return LOOPBACK.has(a.hostname) && LOOPBACK.has(b.hostname) && a.protocol === b.protocol && a.port === b.port;
  } catch {
    return false; // "null" (sandboxed frames, file:) and anything else that is not a URL
  }
}
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

export class RealtimeHub {
  readonly io: RealtimeServer;
  private readonly clock: () => number;
  private readonly recheck: NodeJS.Timeout;

  constructor(server: HttpServer, private readonly deps: RealtimeDeps) {
    this.clock = deps.clock ?? Date.now;
    const allowed = new URL(deps.publicUrl).origin;
    this.io = new Server(server, {
      path: '/socket.io', serveClient: false,
      allowRequest: (req: IncomingMessage, cb) => {
        const ok = originAllowed(req.headers.origin, allowed);
        if (!ok) deps.log.warn({ origin: req.headers.origin, allowed }, 'socket refused: foreign Origin');
        cb(ok ? null : 'CTI_ERR_FORBIDDEN', ok);
      },
    });
    this.io.use((socket, next) => {
      const sid = readCookie(socket.request.headers.cookie, SESSION_COOKIE);
      void (async () => {
        const s = sid ? await liveSession(deps.db, sid, this.clock()) : null;
        if (!s) return next(new Error('CTI_ERR_UNAUTHORIZED'));
        socket.data = { userId: s.actor.id, role: s.actor.role, pbxId: s.actor.pbxId, extension: s.actor.extension, sessionHash: s.sessionHash, expiresAt: s.expiresAt };
        next();
      })().catch((err: unknown) => {
        deps.log.error({ err }, 'socket handshake: the session could not be read');
        next(new Error('CTI_ERR_UNAUTHORIZED'));
      });
    });
    this.io.on('connection', (socket) => {
      // Again, now that the socket is in the server's list (a logout or a revocation from now on finds
      // it, src/users/access.ts): one that came while the handshake was under way found no socket to
      // disconnect. Its rooms are joined only once this check has passed, so nothing reaches it before.
      const d = socket.data;
      const ready = this.check(socket).then((ok) => {
        if (!ok) return false;
        const joined = [rooms.user(d.userId)];
        if (d.extension) joined.push(rooms.ext(d.pbxId, d.extension));
        if (d.role !== 'manager') joined.push(rooms.supervisors);
        void socket.join(joined);
        this.armExpiry(socket);
        return true;
      });
      this.checks.set(socket, ready);
      // STYLE: a user's rights are checked on every socket event, not only at the handshake: the event
      // is handled only once the check has passed. One check after another per socket (a chain), so its
      // events are handled in the order they came.
      socket.use((_packet, next) => {
        void this.check(socket).then((ok) => { if (ok) next(); });
      });
      // Deltas go only to open boards: on a busy floor they are ~50 KiB/s, wasted on other pages.
      socket.on('live:watch', (watch) => {
        if (d.role === 'manager') return;
        void (watch === true ? socket.join(rooms.live) : socket.leave(rooms.live));
      });
    });
    this.recheck = setInterval(() => {
      for (const socket of this.io.sockets.sockets.values()) void this.check(socket);
    }, deps.recheckMs ?? 60_000);
    this.recheck.unref();
  }

  /** Follow the users feature: a session that ends, a user whose rights change, take their sockets. */
  follow(access: UserAccess): void {
    access.on('sessionEnded', ({ userId, sessionHash }) => {
      for (const socket of this.socketsOf(userId)) {
        if (socket.data.sessionHash === sessionHash) this.drop(socket, 'session ended');
      }
    });
    access.on('userChanged', ({ userId, changes }) => {
      for (const socket of this.socketsOf(userId)) this.drop(socket, `user changed: ${changes.join(', ')}`);
    });
  }

  /**
   * Every socket of the user, by the user its handshake found (socket.data), rooms joined or not yet:
   * a revocation during a socket's first check (below) disconnects it too.
   */
  private socketsOf(userId: string): RealtimeSocket[] {
    return [...this.io.sockets.sockets.values()].filter((s) => s.data?.userId === userId);
  }

  private drop(socket: RealtimeSocket, why: string): void {
    this.deps.log.info({ userId: socket.data.userId, socketId: socket.id, why }, 'socket disconnected');
    socket.disconnect(true);
  }

  /** Each socket's latest check: the next one waits for it (events in order, one read at a time). */
  private readonly checks = new WeakMap<RealtimeSocket, Promise<boolean>>();

  /**
   * Checks the socket again after its previous check: true while it is connected and stillValid. A
   * socket disconnected meanwhile (a logout, a revocation: `follow`) is never valid again, whatever a
   * read begun before the change found.
   */
  private check(socket: RealtimeSocket): Promise<boolean> {
    const before = this.checks.get(socket) ?? Promise.resolve(true);
    const mine = before.then(async (ok) => ok && socket.connected && (await this.stillValid(socket)) && socket.connected);
    this.checks.set(socket, mine);
    return mine;
  }

  /**
   * The socket's session is still there and unexpired, and its user still has the role and extension
   * its rooms were chosen by; otherwise (or when the database cannot say) it is disconnected. One
   * indexed read. Never rejects.
   */
  private async stillValid(socket: RealtimeSocket): Promise<boolean> {
    const d = socket.data;
    let s;
    try {
      s = await sessionByHash(this.deps.db, d.sessionHash, this.clock());
    } catch (err) {
      this.deps.log.error({ err, userId: d.userId }, 'socket check: the session could not be read');
      this.drop(socket, 'session could not be checked');
      return false;
    }
    if (s && s.actor.role === d.role && s.actor.extension === d.extension && s.actor.pbxId === d.pbxId) {
      d.expiresAt = s.expiresAt;
      return true;
    }
    this.drop(socket, s ? 'user changed' : 'session ended or expired');
    return false;
  }

  /** A timer at the session's expiry, so an expired session's socket stops at once, not at its next event. */
  private armExpiry(socket: RealtimeSocket): void {
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      const ms = socket.data.expiresAt - this.clock();
      timer = setTimeout(() => {
        void this.check(socket).then((ok) => { if (ok) arm(); });
      }, Math.max(0, Math.min(ms, MAX_TIMER_MS)));
      timer.unref();
    };
    arm();
    socket.once('disconnect', () => clearTimeout(timer));
  }

  /**
   * Follow the call tracker: pops, answered, ended. The tracker emits synchronously; who is on a phone
   * is read from the database (awaited), so each call's messages go out one after another in the
   * tracker's order (a queue per call: a call:answered never overtakes its call:ringing), and a failure
   * is logged, never thrown at the tracker.
   */
  attach(tracker: CallTracker): void {
    tracker.on('legRinging', (call, leg, info) => {
      if (!leg.extension) return;
      // Click-to-call rings the manager who asked for it: no card for their own call.
      if (info.originate) return;
      this.inOrder(call.id, 'screen pop', async () => {
        const user = await whoIsOn(this.deps.db, call.pbxId, leg.extension);
        if (user) await this.pop(call, user, leg);
      }, { pbxId: call.pbxId, ext: leg.extension });
    });
    tracker.on('legAnswered', (call, leg, info) => {
      if (info.originate || !leg.extension) return;
      this.inOrder(call.id, 'call:answered', async () => {
        const to = await this.rang(call);
        if (!to.length) return;
        const who = await whoIsOn(this.deps.db, call.pbxId, leg.extension);
        this.io.to(to.map(rooms.user)).emit('call:answered', {
          callId: call.id, linkedId: call.linkedId, extension: leg.extension!, answeredAt: new Date(info.at).toISOString(),
          answeredBy: who ? { id: who.id, name: who.name } : null,
        });
      }, { pbxId: call.pbxId, ext: leg.extension });
    });
    tracker.on('ended', (ended, live) => {
      this.inOrder(ended.id, 'call:ended', async () => {
        // The caller-ID lookup (a query) may still be on its way for a call that short: the ended
        // record names the contact once it is back.
        await live.matched();
        const call = live.snapshot();
        const to = await this.rang(call);
        if (!to.length) return;
        const r = call.record;
        const base = {
          callId: call.id, linkedId: call.linkedId, extension: r.extension, disposition: r.disposition, talkSeconds: Math.round(r.talkMs / 1000),
          direction: r.direction, origin: r.origin,
          externalNumber: r.externalNumber, startedAt: new Date(r.startedAt).toISOString(),
        };
        // Each recipient's phone rang for this call: the call grant names its caller to them, whoever owns
        // the client (src/contacts/context.ts), as their pop did.
        const recipients = await this.deps.db.select({ id: users.id, role: users.role }).from(users).where(inArray(users.id, to));
        for (const u of recipients) {
          const [parties] = await partiesOf(this.deps.db, u, [{ id: call.id, contactId: r.contactId, clientId: r.clientId }], { ringing: true });
          this.io.to(rooms.user(u.id)).emit('call:ended', { ...base, ...parties! });
        }
      });
    });
  }

  /**
   * Per call, its messages in the order of the tracker's events: a pop whose card is still being read
   * goes out before that call's call:answered and call:ended (each waits for the one before it); a
   * call's entry goes when its last message is out.
   */
  private readonly callQueues = new Map<string, Promise<void>>();

  private inOrder(callId: string, what: string, fn: () => Promise<void>, extra: Record<string, unknown> = {}): void {
    const before = this.callQueues.get(callId) ?? Promise.resolve();
    const mine = before.then(fn).catch((err: unknown) => {
      this.deps.log.error({ err, callId, ...extra }, `${what} failed`);
    });
    this.callQueues.set(callId, mine);
    void mine.then(() => {
      if (this.callQueues.get(callId) === mine) this.callQueues.delete(callId);
    });
  }

  /**
   * The users on the phones that rang for the call (the snapshot has them in order, merges included):
   * they get call:answered and call:ended. Users, not extension rooms: a socket joins its extension's
   * room at the handshake, so a page open since before its phone went to someone else would still be
   * in that room (src/users/directory.ts).
   */
  private async rang(call: CallSnapshot): Promise<string[]> {
    const ids = new Set<string>();
    for (const ext of call.rungExtensions) {
      const u = await whoIsOn(this.deps.db, call.pbxId, ext);
      if (u) ids.add(u.id);
    }
    return [...ids];
  }

  /** The card goes to every page of the user on the ringing phone, and only theirs. */
  private async pop(call: CallSnapshot, recipient: PhoneOwner, leg: LegView): Promise<void> {
    const room = rooms.user(recipient.id);
    // Nobody is looking at this phone's page: no card to build (alone; with several instances the page
    // may be open on another).
    if (!this.deps.clustered && !this.io.sockets.adapter.rooms.get(room)?.size) return;
    const card = await buildScreenPop(this.deps.db, call, leg, recipient);
    this.io.to(room).emit('call:ringing', card);
  }

  /** The assignee's sockets and supervisors'. */
  private taskRooms(t: TaskView): string[] {
    return [rooms.user(t.assigneeId), rooms.supervisors];
  }

  taskCreated(t: TaskView): void {
    this.io.to(this.taskRooms(t)).emit('task:created', t);
  }

  taskUpdated(t: TaskView): void {
    this.io.to(this.taskRooms(t)).emit('task:updated', t);
  }

  taskOverdue(t: TaskView): void {
    this.io.to(this.taskRooms(t)).emit('task:overdue', t);
  }

  /** Someone has the live board open. */
  hasLiveWatchers(): boolean {
    if (this.deps.clustered) return true; // a board may be open on another instance
    return (this.io.sockets.adapter.rooms.get(rooms.live)?.size ?? 0) > 0;
  }

  liveDelta(d: LiveDelta): void {
    this.io.to(rooms.live).emit('live:delta', d);
  }

  c2cProgress(userId: string, p: C2cProgress): void {
    this.io.to(rooms.user(userId)).emit('c2c:progress', p);
  }

  /** Disconnects every browser; the HTTP server itself is fastify's to close. */
  close(): void {
    clearInterval(this.recheck);
    this.io.disconnectSockets(true);
    this.io.engine.close();
  }
}
