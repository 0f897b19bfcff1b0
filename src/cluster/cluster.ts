// Several instances behind one address (CTI_CLUSTER=true, PostgreSQL only). What they share:
// - the database: sessions, the login limiter, import progress, the call log (src/db);
// - socket.io's PostgreSQL adapter (LISTEN/NOTIFY on that same server): a pop, a task notice or a live
//   delta emitted to a room reaches that room's sockets on every instance;
// - one leader (src/cluster/leader.ts) that consumes the PBX's events and owns the Stasis application;
//   the others ask it, over the adapter's server-side emits, for what only it can do (click-to-call,
//   the live board's snapshot), and tell every instance what changed (a revoked session, a user).
// Without CTI_CLUSTER the same interface runs in one process: the leader is this process and the
// messages go nowhere else.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createAdapter } from '@socket.io/postgres-adapter';
import type { ErrorCode } from '../lib/errors.js';
import { CtiError, ERRORS } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { AccessChange } from '../users/access.js';
import type { Actor, UserView } from '../users/users.js';
import type { LiveSnapshot } from '../contract/index.js';
import type { RoutingRules } from '../routing/rules.js';
import { AdvisoryLockLeadership, SoloLeadership, type Leadership } from './leader.js';

/** What one instance asks the leader, and what it answers. */
export interface LeaderRequests {
  'click-to-call': { args: { actor: Actor; input: { number: string; contactId?: string | null } }; result: { requestId: string } };
  'live-snapshot': { args: { pbx?: string }; result: LiveSnapshot };
}
export type LeaderRequest = keyof LeaderRequests;

/** What one instance tells every instance (itself included). */
export interface ClusterNotices {
  /** A session ended (logout): its sockets go, on whichever instance they are. */
  'session-ended': { userId: string; sessionHash: string };
  /** A user's rights or phone changed, or the user is gone: their sockets go (src/users/access.ts). */
  'access-changed': { userId: string; changes: AccessChange[] };
  /** A user was added, changed or deleted: the leader's caches (mobiles, the board, browser phones) follow. */
  'user-changed': { before: UserView | null; after: UserView | null };
  /** The routing rules were replaced through the API on instance `from`: the others write them too. */
  'rules-changed': { from: string; rules: RoutingRules };
}
export type ClusterNotice = keyof ClusterNotices;

type Reply = { ok: true; value: unknown } | { ok: false; code: ErrorCode; message: string; details?: Record<string, unknown> };
/** A question to the leader: `from` names the asking instance, `id` the question. */
interface Ask { id: string; from: string; request: LeaderRequest; args: unknown }
/** The leader's answer, to instance `to`. */
interface Answer { id: string; to: string; reply: Reply }

/**
 * The server-side events between instances (socket.io's fourth type parameter). A question goes to
 * every instance and only the leader answers, with an event of its own: the asker takes the first
 * answer and never waits for instances that are gone (socket.io's own acknowledgements wait for every
 * instance it still counts, seconds after one died).
 */
export interface InterServerEvents {
  'cti:ask': (ask: Ask) => void;
  'cti:answer': (answer: Answer) => void;
  'cti:notice': (notice: ClusterNotice, body: unknown) => void;
}

/** How long an instance waits for the leader's answer before it says there is none (ms). */
const ASK_TIMEOUT_MS = 5000;

/** The part of socket.io's server the cluster needs (src/realtime/hub.ts owns the server). */
export interface ClusterIo {
  on(event: 'cti:ask', fn: InterServerEvents['cti:ask']): unknown;
  on(event: 'cti:answer', fn: InterServerEvents['cti:answer']): unknown;
  on(event: 'cti:notice', fn: InterServerEvents['cti:notice']): unknown;
  serverSideEmit(event: 'cti:notice', notice: ClusterNotice, body: unknown): boolean;
  serverSideEmit(event: 'cti:ask', ask: Ask): boolean;
  serverSideEmit(event: 'cti:answer', answer: Answer): boolean;
  adapter(factory: unknown): unknown;
}

export interface ClusterOptions {
  /** The PostgreSQL URL of CTI_DATABASE_URL; null: one process (no adapter, SoloLeadership). */
  url: string | null;
  /** Names the deployment's leader lock (instances of another deployment on the same server differ). */
  lockKey: string;
  log: Logger;
  pollMs?: number;
  leaseMs?: number;
}

type Handler<R extends LeaderRequest> = (args: LeaderRequests[R]['args']) => Promise<LeaderRequests[R]['result']>;

/**
 * When a duty starts once this instance leads: `prepare` (read caches, replay Asterisk's log, timers)
 * all before `connect` (attach to the PBX), so the log is complete even while the PBX is unreachable.
 */
export type DutyPhase = 'prepare' | 'connect';

export class Cluster {
  readonly leadership: Leadership;
  /** This instance's name in the logs and /healthz. */
  readonly instanceId = randomUUID();
  readonly clustered: boolean;
  private io: ClusterIo | null = null;
  private pool: pg.Pool | null = null;
  private readonly handlers = new Map<LeaderRequest, Handler<LeaderRequest>>();
  /** Questions this instance asked the leader, by id: what to do with the answer. */
  private readonly waiting = new Map<string, (r: Reply) => void>();
  private readonly listeners = new Map<ClusterNotice, ((body: never) => void)[]>();
  private readonly duties: { what: string; phase: DutyPhase; start: () => void | Promise<void> }[] = [];

  constructor(private readonly o: ClusterOptions) {
    this.clustered = o.url !== null;
    this.leadership = o.url
      ? new AdvisoryLockLeadership({ url: o.url, key: o.lockKey, log: o.log, pollMs: o.pollMs, leaseMs: o.leaseMs })
      : new SoloLeadership();
    this.leadership.on('elected', () => { this.leading = this.lead(); });
  }

  private leading: Promise<void> = Promise.resolve();

  /** Begins: one process leads at once (and this waits for its duties to start); several ask for the lock. */
  async start(): Promise<void> {
    this.leadership.start();
    await this.leading;
  }

  /**
   * What a feature does once this instance leads (one process: from onReady on; several: from the
   * moment it holds the lock). Its onClose undoes it.
   */
  onLead(what: string, phase: DutyPhase, start: () => void | Promise<void>): void {
    this.duties.push({ what, phase, start });
  }

  private async lead(): Promise<void> {
    for (const phase of ['prepare', 'connect'] as const) {
      for (const d of this.duties.filter((x) => x.phase === phase)) {
        try {
          await d.start();
        } catch (err) {
          this.o.log.error({ err, duty: d.what }, 'a leader duty could not start');
        }
      }
    }
  }

  get isLeader(): boolean {
    return this.leadership.isLeader;
  }

  /** Plugs the adapter into the socket.io server and answers the other instances through it. */
  attach(io: ClusterIo): void {
    this.io = io;
    if (this.o.url) {
      // Two connections: the adapter's LISTEN holds one; every NOTIFY goes through the other, one after
      // another, so this instance's messages reach the others in the order they were emitted (a pool
      // of more would send them side by side, and a c2c:progress or a call's events could overtake).
      // A message over NOTIFY's 8000 bytes travels as a row of socket_io_attachments, and a later small
      // one may arrive before it: pops and progress are far smaller; a busy board's delta can be larger,
      // and a board that sees a gap in the deltas' seq fetches a new snapshot (web/src/live-state.ts).
      this.pool = new pg.Pool({ connectionString: this.o.url, max: 2, application_name: 'cti-socket.io' });
      this.pool.on('error', (err) => this.o.log.warn({ err }, 'socket.io adapter: a PostgreSQL connection failed'));
      io.adapter(createAdapter(this.pool, {
        channelPrefix: `cti-${this.o.lockKey}`.slice(0, 40),
        tableName: 'socket_io_attachments',
        errorHandler: (err: Error) => this.o.log.warn({ err }, 'socket.io adapter error'),
      }));
    }
    io.on('cti:ask', (ask) => {
      if (!this.leadership.isLeader) return;
      void this.answer(ask.request, ask.args).then((reply) => io.serverSideEmit('cti:answer', { id: ask.id, to: ask.from, reply }));
    });
    io.on('cti:answer', (answer) => {
      if (answer.to !== this.instanceId) return;
      this.waiting.get(answer.id)?.(answer.reply);
    });
    io.on('cti:notice', (notice, body) => this.deliver(notice, body));
  }

  /** What this instance does when it leads and another asks (or it asks itself). */
  handle<R extends LeaderRequest>(request: R, fn: Handler<R>): void {
    this.handlers.set(request, fn as unknown as Handler<LeaderRequest>);
  }

  private async answer(request: LeaderRequest, args: unknown): Promise<Reply> {
    const fn = this.handlers.get(request);
    if (!fn) return { ok: false, code: 'CTI_ERR_NO_LEADER', message: ERRORS.CTI_ERR_NO_LEADER.message };
    try {
      return { ok: true, value: await fn(args as never) };
    } catch (err) {
      if (err instanceof CtiError) return { ok: false, code: err.code, message: err.message, details: err.details };
      this.o.log.error({ err, request }, 'a request from another instance failed');
      return { ok: false, code: 'CTI_ERR_INTERNAL', message: ERRORS.CTI_ERR_INTERNAL.message };
    }
  }

  /**
   * Asks the leader, wherever it runs: here, or another instance over the adapter. No leader (the
   * moments of a takeover): CTI_ERR_NO_LEADER, which the user may retry.
   */
  async ask<R extends LeaderRequest>(request: R, args: LeaderRequests[R]['args']): Promise<LeaderRequests[R]['result']> {
    if (this.leadership.isLeader) {
      const fn = this.handlers.get(request);
      if (!fn) throw new CtiError('CTI_ERR_NO_LEADER');
      return (await fn(args)) as LeaderRequests[R]['result'];
    }
    const io = this.io;
    const reply = this.clustered && io ? await new Promise<Reply | null>((resolve) => {
      const id = randomUUID();
      const timer = setTimeout(() => done(null), ASK_TIMEOUT_MS);
      const done = (r: Reply | null) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(r);
      };
      this.waiting.set(id, done);
      io.serverSideEmit('cti:ask', { id, from: this.instanceId, request, args });
    }) : null;
    if (!reply) throw new CtiError('CTI_ERR_NO_LEADER');
    if (!reply.ok) throw new CtiError(reply.code, reply.message, reply.details);
    return reply.value as LeaderRequests[R]['result'];
  }

  /** Tells every instance, this one included. */
  notify<N extends ClusterNotice>(notice: N, body: ClusterNotices[N]): void {
    this.deliver(notice, body);
    if (this.clustered) this.io?.serverSideEmit('cti:notice', notice, body);
  }

  on<N extends ClusterNotice>(notice: N, fn: (body: ClusterNotices[N]) => void): void {
    const list = this.listeners.get(notice) ?? [];
    list.push(fn as (body: never) => void);
    this.listeners.set(notice, list);
  }

  private deliver(notice: ClusterNotice, body: unknown): void {
    for (const fn of this.listeners.get(notice) ?? []) {
      try {
        fn(body as never);
      } catch (err) {
        this.o.log.error({ err, notice }, 'a cluster notice failed');
      }
    }
  }

  async close(): Promise<void> {
    await this.leadership.stop();
    await this.pool?.end().catch(() => {});
  }
}
