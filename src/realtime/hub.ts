// Realtime: socket.io on the service's HTTP server. A socket is the browser of a logged-in user
// (session cookie checked at the handshake); it joins its user's room, its extension's room and, for
// supervisors and admins, `supervisors`. The hub turns the call tracker's leg events into pops for
// exactly the user on the extension that rings (src/users/directory.ts; sent to their user room), as
// soon as the DialBegin arrives (not after the 50 ms storage flush), and routes task and click-to-call
// events to the people they concern.
import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import type { Call } from '../calls/call.js';
import type { CallTracker } from '../calls/tracker.js';
import type { Db } from '../db/client.js';
import type { LiveDelta } from '../live/model.js';
import type { Logger } from '../lib/logger.js';
import type { TaskView } from '../tasks/tasks.js';
import { actorForSession, readCookie, SESSION_COOKIE } from '../users/sessions.js';
import { rooms, type C2cProgress, type ClientToServerEvents, type ServerToClientEvents, type SocketData } from './events.js';
import { whoIsOn, type PhoneOwner } from '../users/directory.js';
import { buildScreenPop } from './screen-pop.js';

export type RealtimeServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

export class RealtimeHub {
  readonly io: RealtimeServer;
  /**
   * The users whose phone rang, per live call: they get call:answered and call:ended. Users, not
   * extension rooms: a socket joins its extension's room at the handshake, so a page open since before
   * its phone went to someone else would still be in that room (src/users/directory.ts).
   */
  private readonly rang = new Map<string, Set<string>>();

  constructor(server: HttpServer, private readonly deps: { db: Db; log: Logger }) {
    this.io = new Server(server, { path: '/socket.io', serveClient: false });
    this.io.use((socket, next) => {
      const sid = readCookie(socket.request.headers.cookie, SESSION_COOKIE);
      const actor = sid ? actorForSession(deps.db, sid) : null;
      if (!actor) return next(new Error('CTI_ERR_UNAUTHORIZED'));
      socket.data = { userId: actor.id, role: actor.role, extension: actor.extension };
      next();
    });
    this.io.on('connection', (socket) => {
      const d = socket.data;
      const joined = [rooms.user(d.userId)];
      if (d.extension) joined.push(rooms.ext(d.extension));
      if (d.role !== 'manager') joined.push(rooms.supervisors);
      void socket.join(joined);
      // Deltas go only to open boards: on a busy floor they are ~50 KiB/s, wasted on other pages.
      socket.on('live:watch', (watch) => {
        if (d.role === 'manager') return;
        void (watch === true ? socket.join(rooms.live) : socket.leave(rooms.live));
      });
    });
  }

  /** Follow the call tracker: pops, answered, ended. */
  attach(tracker: CallTracker): void {
    tracker.on('legRinging', (call, leg, info) => {
      if (!leg.extension) return;
      const user = whoIsOn(this.deps.db, leg.extension);
      if (!user) return;
      this.rangSet(call.id).add(user.id);
      // Click-to-call rings the manager who asked for it: no card for their own call.
      if (info.originate) return;
      try {
        this.pop(call, user, leg);
      } catch (err) {
        call.log.error({ err, ext: leg.extension }, 'screen pop failed');
      }
    });
    tracker.on('legAnswered', (call, leg, info) => {
      if (info.originate || !leg.extension) return;
      const to = this.rang.get(call.id);
      if (!to?.size) return;
      this.io.to([...to].map(rooms.user)).emit('call:answered', {
        callId: call.id, linkedId: call.linkedId, extension: leg.extension, answeredAt: new Date(info.at).toISOString(),
      });
    });
    tracker.on('merged', (into, fromId) => {
      const from = this.rang.get(fromId);
      if (!from) return;
      for (const e of from) this.rangSet(into.id).add(e);
      this.rang.delete(fromId);
    });
    tracker.on('ended', (call) => {
      const to = this.rang.get(call.id);
      this.rang.delete(call.id);
      if (!to?.size) return;
      const r = call.toRecord();
      this.io.to([...to].map(rooms.user)).emit('call:ended', {
        callId: call.id, linkedId: call.linkedId, extension: r.extension, disposition: r.disposition, talkSeconds: Math.round(r.talkMs / 1000),
      });
    });
  }

  private rangSet(callId: string): Set<string> {
    let s = this.rang.get(callId);
    if (!s) this.rang.set(callId, (s = new Set()));
    return s;
  }

  /** The card goes to every page of the user on the ringing phone, and only theirs. */
  private pop(call: Call, recipient: PhoneOwner, leg: Parameters<typeof buildScreenPop>[3]): void {
    const room = rooms.user(recipient.id);
    // Nobody is looking at this phone's page: no card to build.
    if (!this.io.sockets.adapter.rooms.get(room)?.size) return;
    const card = buildScreenPop(this.deps.db, call, call.toRecord(), leg, recipient);
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
    this.io.disconnectSockets(true);
    this.io.engine.close();
  }
}
