// What the benches on real calls share (bench/calls.ts): the sandbox PBX's processes and their CPU; the
// service as separate processes (`node bin/cti.js serve`, tests/support/service.ts startService) on a
// database of their own, with a memory probe (bench/memory-probe.ts); managers with session cookies;
// their browsers (socket.io clients in a worker, bench/pop-sockets.ts). The calls themselves and their
// comparison with Asterisk's CDR: bench/sandbox-calls.ts.
import { existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import { openDb } from '../src/db/client.js';
import { createSession } from '../src/users/sessions.js';
import { addUser, createToken } from '../src/users/users.js';
import { databaseUrl, withServer } from '../tests/support/database.js';
import { loadSandboxEnv, readCdr, sandboxDir } from '../tests/support/sandbox.js';
import { startService, type ServiceProcess } from '../tests/support/service.js';
import type { FromSockets, PopSeen, SocketSpec } from './pop-sockets.js';
import { now, pct } from './replay.js';

/** The sandbox's desk phones that answer by themselves: every bench call rings one of them. */
export const PHONES = ['101', '102', '103'] as const;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
export const mb = (bytes: number): string => `${(bytes / 1048576).toFixed(0)} MB`;

/** "p50 x ms, p99 y ms (n=z)" of a list of milliseconds. */
export function p50p99(xs: number[]): string {
  if (!xs.length) return 'no samples';
  const s = [...xs].sort((a, b) => a - b);
  return `p50 ${pct(s, 50).toFixed(1)} ms, p99 ${pct(s, 99).toFixed(1)} ms (n=${s.length}, max ${s.at(-1)!.toFixed(1)})`;
}

// ------------------------------------------------------------------ processes: CPU and memory

/** The pids of the sandbox's Asterisk and phones (the pid files `sandbox/pbx.sh up` writes). */
export function sandboxProcesses(): { asterisk: number[]; phones: number[] } {
  const run = join(sandboxDir(), 'run');
  const pid = (f: string) => Number(readFileSync(join(run, f), 'utf8').trim());
  return {
    asterisk: [pid('asterisk.pid')],
    phones: readdirSync(run).filter((f) => /^phone-\d+\.pid$/.test(f)).map(pid),
  };
}

/**
 * Moves the sandbox's CDR and CEL logs aside (to <file>.1; Asterisk opens them anew for every record):
 * a service on a new database imports the calls of the last CTI_RECONCILE_DAYS from the CEL log on its
 * first start, and the calls of earlier bench runs would be that history.
 */
export function rotateSandboxLogs(): number {
  const env = loadSandboxEnv();
  const calls = readCdr().length;
  for (const f of [env.CTI_CDR_FILE, env.CTI_CEL_FILE]) if (existsSync(f)) renameSync(f, `${f}.1`);
  return calls;
}

/** CPU seconds (user + system, all threads) a process has used so far; 0 once it is gone. */
function cpuSeconds(pid: number): number {
  try {
    // The fields after the command's ")" (which may hold spaces): utime and stime are the 12th and 13th.
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

/** The whole machine's busy and total CPU seconds (all cores). */
function machineSeconds(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = f.reduce((a, b) => a + b, 0) / 100;
  return { busy: total - (f[3]! + f[4]!) / 100, total };
}

/** Resident memory of a process in bytes (0 once it is gone). */
export function rssOf(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** CPU of named groups of processes over a window, in % of one core; `machine` in % of all cores. */
export class CpuMeter {
  private t0 = 0;
  private base = new Map<string, number>();
  private m0 = machineSeconds();
  constructor(private readonly groups: Record<string, number[]>) {}

  private used(name: string): number {
    return this.groups[name]!.reduce((s, p) => s + cpuSeconds(p), 0);
  }

  start(): void {
    this.t0 = now();
    this.m0 = machineSeconds();
    for (const name of Object.keys(this.groups)) this.base.set(name, this.used(name));
  }

  read(): Record<string, number> {
    const wall = (now() - this.t0) / 1000;
    const out: Record<string, number> = {};
    for (const name of Object.keys(this.groups)) out[name] = (100 * (this.used(name) - this.base.get(name)!)) / wall;
    const m = machineSeconds();
    out['machine'] = (100 * (m.busy - this.m0.busy)) / (m.total - this.m0.total);
    return out;
  }
}

export const formatCpu = (c: Record<string, number>): string => Object.entries(c).map(([k, v]) => `${k} ${v.toFixed(0)}%`).join(', ');

// ------------------------------------------------------------------ the database

export interface BenchDb {
  /** What the service opens: a SQLite file or a postgres:// URL. */
  target: string;
  /** A path in the bench's own directory: the service's log and routing rules go beside it. */
  dbFile: string;
  engine: 'sqlite' | 'postgres';
  drop(): Promise<void>;
}

/**
 * A new, empty database: on the PostgreSQL server of CTI_BENCH_DATABASE_URL (a database of its own
 * beside the one the URL names, dropped afterwards), else a SQLite file in a scratch directory.
 */
export async function benchDatabase(): Promise<BenchDb> {
  const dir = mkdtempSync(join(tmpdir(), 'cti-bench-calls-'));
  const dbFile = join(dir, 'cti.sqlite');
  const server = process.env['CTI_BENCH_DATABASE_URL'];
  if (!server) return { target: dbFile, dbFile, engine: 'sqlite', drop: async () => rmSync(dir, { recursive: true, force: true }) };
  const name = `cti_bench_calls_${process.pid}`;
  await withServer(server, (c) => c.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`));
  return {
    target: databaseUrl(server, name), dbFile, engine: 'postgres',
    async drop() {
      await withServer(server, (c) => c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Seeded {
  adminToken: string;
  supervisorToken: string;
  /** One session of a manager: the sockets log in with these. */
  sessions: { extension: string; cookie: string }[];
}

/**
 * Migrates the database and adds an admin, a supervisor and a manager per extension, each manager with
 * `sessionsPerManager` sessions (one per browser tab the bench opens).
 */
export async function seedManagers(db: BenchDb, extensions: string[], sessionsPerManager: number): Promise<Seeded> {
  const h = await openDb(db.target, { poolSize: 4 });
  try {
    await addUser(h.db, { name: 'root', role: 'admin' });
    await addUser(h.db, { name: 'sveta', role: 'supervisor' });
    const sessions: Seeded['sessions'] = [];
    for (const extension of extensions) {
      const u = await addUser(h.db, { name: `manager.${extension}`, role: 'manager', extension });
      for (let k = 0; k < sessionsPerManager; k++) sessions.push({ extension, cookie: `cti_session=${(await createSession(h.db, u.id, 86_400_000)).id}` });
    }
    return { adminToken: await createToken(h.db, 'root'), supervisorToken: await createToken(h.db, 'sveta'), sessions };
  } finally {
    await h.close();
  }
}

// ------------------------------------------------------------------ the service

export interface Memory { rss: number; heapUsed: number }

export interface Instance extends ServiceProcess {
  /** The process's memory after a GC, from its probe; null when it did not answer in 3 s. */
  memory(): Promise<Memory | null>;
  /** single, leader or follower (GET /healthz as an admin). */
  role(): Promise<string | undefined>;
}

/**
 * The service as a process of its own on `db`, attached to the sandbox (its sandbox.env), logging at
 * info; `cluster`: CTI_CLUSTER=true (PostgreSQL only). `n` tells its files apart from the others'.
 */
export async function startInstance(db: BenchDb, seeded: Seeded, n: number, cluster: boolean): Promise<Instance> {
  const memFile = `${db.dbFile}.memory-${n}.json`;
  const svc = await startService({
    dbFile: db.dbFile,
    env: {
      CTI_LOG_LEVEL: 'info',
      ...(db.engine === 'postgres' ? { CTI_DATABASE_URL: db.target } : {}),
      ...(cluster ? { CTI_CLUSTER: 'true' } : {}),
      CTI_BENCH_MEMORY_FILE: memFile,
      NODE_OPTIONS: `--expose-gc --import=${new URL('./memory-probe.js', import.meta.url).href}`,
    },
  });
  return Object.assign(svc, {
    async memory(): Promise<Memory | null> {
      const asked = Date.now();
      svc.proc.kill('SIGUSR2');
      for (let i = 0; i < 30; i++) {
        await sleep(100);
        if (!existsSync(memFile)) continue;
        const m = JSON.parse(readFileSync(memFile, 'utf8') || '{}') as { at?: number; rss: number; heapUsed: number };
        if ((m.at ?? 0) >= asked) return { rss: m.rss, heapUsed: m.heapUsed };
      }
      return null;
    },
    async role(): Promise<string | undefined> {
      try {
        const r = await fetch(`${svc.url}/healthz`, { headers: { authorization: `Bearer ${seeded.adminToken}` } });
        return ((await r.json()) as { role?: string }).role;
      } catch {
        return undefined;
      }
    },
  });
}

// ------------------------------------------------------------------ the browsers

/** socket.io clients in a worker thread (bench/pop-sockets.ts); `pops` fills as call:ringing arrive. */
export class PopSockets {
  readonly pops: PopSeen[] = [];
  private constructor(private readonly worker: Worker, readonly specs: SocketSpec[]) {}

  static async open(specs: SocketSpec[]): Promise<PopSockets> {
    const worker = new Worker(new URL('./pop-sockets.js', import.meta.url), { workerData: specs });
    const s = new PopSockets(worker, specs);
    await new Promise<void>((resolve, reject) => {
      worker.once('error', reject);
      worker.on('message', (m: FromSockets) => {
        if (m.type === 'ready') resolve();
        if (m.type === 'pops') s.pops.push(...m.pops);
      });
    });
    return s;
  }

  /** How many sockets would show a pop ringing this extension (on one instance, or on any). */
  sockets(extension: string, instance?: number): number {
    return this.specs.filter((x) => x.extension === extension && (instance === undefined || x.instance === instance)).length;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((r) => this.worker.on('message', (m: FromSockets) => { if (m.type === 'closed') r(); }));
    this.worker.postMessage('close');
    await closed;
    await this.worker.terminate();
  }
}
