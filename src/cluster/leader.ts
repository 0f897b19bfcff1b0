// Who leads: exactly one instance of a deployment consumes the PBX's events, owns the Stasis
// application, writes the call log and runs the timers (src/cluster/duties.ts). One process alone
// (SQLite, or PostgreSQL without CTI_CLUSTER) always leads (SoloLeadership). Several instances on one
// PostgreSQL take a session-level advisory lock on a connection of its own (AdvisoryLockLeadership):
// whoever holds it leads. PostgreSQL releases the lock when that session ends, so:
// - a leader killed -9 (or whose host dies) loses the lock as soon as PostgreSQL sees its connection
//   close, and its own session's idle_session_timeout ends it even when no packet says so (a cut
//   cable): a follower, trying every `pollMs`, leads within that time;
// - a leader that cannot reach PostgreSQL for `leaseMs` must assume another has taken over: it says
//   'lost' and the process exits (src/cluster/plugin.ts), so two never lead at once for longer than that.
import { EventEmitter } from 'node:events';
import pg from 'pg';
import type { Logger } from '../lib/logger.js';

export interface LeadershipEvents {
  /** This instance leads from now on: start the PBX duties. */
  elected: [];
  /** This instance may no longer lead (another may already): stop at once. */
  lost: [reason: string];
}

export interface Leadership {
  readonly isLeader: boolean;
  on<K extends keyof LeadershipEvents>(event: K, fn: (...args: LeadershipEvents[K]) => void): this;
  start(): void;
  stop(): Promise<void>;
}

/** One process: it leads from start to stop. */
export class SoloLeadership extends EventEmitter<LeadershipEvents> implements Leadership {
  isLeader = false;
  start(): void {
    this.isLeader = true;
    this.emit('elected');
  }
  async stop(): Promise<void> {
    this.isLeader = false;
  }
}

export interface AdvisoryLockOptions {
  url: string;
  /** The lock's key: one per deployment (instances of another deployment on the same server differ). */
  key: string;
  log: Logger;
  /** How often a follower tries to take the lock, and a leader checks it still has its session (ms). */
  pollMs?: number;
  /** How long a leader's session may go unheard before PostgreSQL ends it, and before the leader gives up (ms). */
  leaseMs?: number;
}

/** The lock's two int4 keys: our class ('cti'), and a hash of the deployment's key. */
export function lockKeys(key: string): [number, number] {
  let h = 0x811c9dc5;
  for (const ch of Buffer.from(key, 'utf8')) {
    h ^= ch;
    h = Math.imul(h, 0x01000193);
  }
  return [0x637469, h | 0];
}

export class AdvisoryLockLeadership extends EventEmitter<LeadershipEvents> implements Leadership {
  isLeader = false;
  private client: pg.Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private busy = false;
  private readonly keys: [number, number];
  private readonly pollMs: number;
  private readonly leaseMs: number;

  constructor(private readonly o: AdvisoryLockOptions) {
    super();
    this.keys = lockKeys(o.key);
    this.pollMs = o.pollMs ?? 1000;
    this.leaseMs = o.leaseMs ?? 5000;
  }

  start(): void {
    this.stopped = false;
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.pollMs);
  }

  private async connect(): Promise<pg.Client> {
    const c = new pg.Client({
      connectionString: this.o.url, application_name: 'cti-leader',
      connectionTimeoutMillis: this.leaseMs, query_timeout: this.leaseMs,
      keepAlive: true, keepAliveInitialDelayMillis: 1000,
    });
    c.on('error', (err) => this.o.log.warn({ err }, 'leader lock connection failed'));
    await c.connect();
    // The server ends this session (and with it the lock) when it is idle for leaseMs: a leader that
    // went silent without closing its connection stops holding the lock within that time.
    await c.query(`SET idle_session_timeout = ${Math.round(this.leaseMs)}`);
    c.on('end', () => { if (this.client === c) this.client = null; });
    return c;
  }

  private async tick(): Promise<void> {
    if (this.busy || this.stopped) return;
    this.busy = true;
    try {
      if (!this.client) this.client = await this.connect();
      if (this.isLeader) {
        // Our session is alive, so the lock is still ours.
        await this.client.query('SELECT 1');
        return;
      }
      const r = await this.client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', this.keys);
      if (r.rows[0]?.ok && !this.stopped) {
        this.isLeader = true;
        this.o.log.info('this instance leads: it consumes the PBX events from now on');
        this.emit('elected');
      }
    } catch (err) {
      const c = this.client;
      this.client = null;
      void c?.end().catch(() => {});
      if (this.isLeader) {
        this.isLeader = false;
        this.o.log.error({ err }, 'the leader lock could not be confirmed: another instance may lead now');
        this.emit('lost', err instanceof Error ? err.message : String(err));
      } else {
        this.o.log.warn({ err }, 'could not ask for the leader lock; trying again');
      }
    } finally {
      this.busy = false;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const c = this.client;
    this.client = null;
    this.isLeader = false;
    // Ending the session releases the lock: a follower takes over at its next try.
    await c?.end().catch(() => {});
  }
}
