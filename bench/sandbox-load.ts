// What the benches on real calls share (bench/calls.ts): the sandbox PBX's processes and their CPU; the
// service as separate processes (`node bin/cti.js serve`, tests/support/service.ts startService) on a
// database of their own, with a memory probe (bench/memory-probe.ts); managers with session cookies;
// their browsers (socket.io clients in a worker, bench/pop-sockets.ts); a driver that keeps N real
// calls in progress on the sandbox Asterisk (AMI Originate, tests/support/sandbox.ts inboundCall; the
// dialplan records every call); and the comparison of every logged call with Asterisk's CDR.
import { existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import { openDb } from '../src/db/client.js';
import { createSession } from '../src/users/sessions.js';
import { addUser, createToken } from '../src/users/users.js';
import { databaseUrl, withServer } from '../tests/support/database.js';
import { dialTo, inboundCall, loadSandboxEnv, onAmiEvent, readCdr, sandboxAmi, sandboxDir, type AmiMessage, type CdrRow } from '../tests/support/sandbox.js';
import { api, startService, type ServiceProcess } from '../tests/support/service.js';
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

// ------------------------------------------------------------------ the calls

export interface BenchCall {
  linkedid: string;
  extension: string;
  from: string;
  talkSeconds: number;
  startedAt: number;
  /** Asterisk's Timestamp of the DialBegin to the phone (epoch ms). */
  dialAt?: number;
  /** When that DialBegin reached the bench's own AMI connection: how late Asterisk delivers its events. */
  dialSeenAt?: number;
  /** When the client's half hung up (the end of the talk). */
  endedAt?: number;
  /** Why the call did not go through (Originate failed, or nothing rang). */
  failed?: string;
}

const str = (v: AmiMessage[string] | undefined): string => (typeof v === 'string' ? v : '');

export interface LoadOptions {
  concurrency: number;
  /** How long to keep `concurrency` calls in progress once they are. */
  seconds: number;
  /** Mean talk time; each call talks between half and one and a half times it. */
  talk: number;
  /** At most this many new calls a second (the ramp up, and replacing calls that end). */
  rate?: number;
  /** Called about once a second while the calls run, with the calls in progress. */
  onTick?: (inProgress: number) => void | Promise<void>;
  /** Called when `concurrency` calls are first in progress (the steady state begins). */
  onSteady?: () => void;
}

/**
 * Real inbound calls on the sandbox Asterisk: keeps `concurrency` of them in progress for `seconds`
 * (a call that ends is replaced by a new one), each from a number of its own to a DID that rings one
 * of PHONES (round robin), then waits until every call has ended.
 */
export class CallDriver {
  readonly calls: BenchCall[] = [];
  private byLinkedid = new Map<string, BenchCall>();
  /** Events of a linkedid not known yet: an Originate's response may come after its call's first events. */
  private early = new Map<string, { dial?: { at: number; seenAt: number; channel: string }; endedAt?: number }>();
  private off: () => void = () => {};
  private serial = 0;

  async start(): Promise<void> {
    await sandboxAmi();
    this.off = onAmiEvent((e) => {
      const ev = str(e['event']);
      if (ev === 'DialBegin' && str(e['destchannel']).startsWith('PJSIP/')) {
        const id = str(e['destlinkedid']) || str(e['linkedid']);
        const dial = { at: Number(str(e['timestamp'])) * 1000, seenAt: now(), channel: str(e['destchannel']) };
        const c = this.byLinkedid.get(id);
        if (c) this.dialed(c, dial);
        else this.early.set(id, { ...this.early.get(id), dial: this.early.get(id)?.dial ?? dial });
      } else if (ev === 'Hangup') {
        // The originated channel (the client's half) carries the linkedid as its uniqueid.
        const id = str(e['uniqueid']);
        const c = this.byLinkedid.get(id);
        if (c) c.endedAt ??= Date.now();
        else this.early.set(id, { ...this.early.get(id), endedAt: Date.now() });
      }
    });
  }

  private dialed(c: BenchCall, d: { at: number; seenAt: number; channel: string }): void {
    if (c.dialAt !== undefined || !d.channel.startsWith(`PJSIP/${c.extension}-`)) return;
    c.dialAt = d.at;
    c.dialSeenAt = d.seenAt;
  }

  private known(c: BenchCall): void {
    this.byLinkedid.set(c.linkedid, c);
    const e = this.early.get(c.linkedid);
    if (!e) return;
    this.early.delete(c.linkedid);
    if (e.dial) this.dialed(c, e.dial);
    if (e.endedAt !== undefined) c.endedAt ??= e.endedAt;
  }

  stop(): void { this.off(); }

  private async place(talk: number): Promise<BenchCall> {
    const k = this.serial++;
    const extension = PHONES[k % PHONES.length]!;
    const talkSeconds = Math.max(2, Math.round(talk * (0.5 + Math.random())));
    const from = `+7916${String(process.pid % 1000).padStart(3, '0')}${String(k).padStart(4, '0')}`;
    const call: BenchCall = { linkedid: '', extension, from, talkSeconds, startedAt: Date.now() };
    try {
      const h = await inboundCall({ from, did: `7495000${extension.padStart(4, '0')}`, talkSeconds, timeoutSeconds: 30 });
      call.linkedid = h.linkedid;
      this.known(call);
      void h.originateResponse.then((r) => {
        if (str(r['response']) !== 'Success') { call.failed = `Originate: ${str(r['reason']) || str(r['response'])}`; call.endedAt ??= Date.now(); }
      }, () => { call.failed = 'no OriginateResponse'; call.endedAt ??= Date.now(); });
    } catch (err) {
      call.failed = (err as Error).message;
      call.endedAt = Date.now();
    }
    this.calls.push(call);
    return call;
  }

  /** Runs one load; returns the calls it placed. */
  async run(o: LoadOptions): Promise<BenchCall[]> {
    const mine: BenchCall[] = [];
    const rate = o.rate ?? 10;
    let steadyUntil = Infinity;
    let lastTick = 0;
    const active = () => mine.filter((c) => c.endedAt === undefined).length;
    for (;;) {
      const t = Date.now();
      if (t >= steadyUntil) break;
      // Up to rate/10 new calls every 100 ms while fewer than `concurrency` are in progress.
      for (let i = 0; i < Math.max(1, rate / 10) && active() < o.concurrency; i++) mine.push(await this.place(o.talk));
      if (steadyUntil === Infinity && active() >= o.concurrency) {
        steadyUntil = Date.now() + o.seconds * 1000;
        o.onSteady?.();
      }
      if (t - lastTick >= 1000) {
        lastTick = t;
        await o.onTick?.(active());
      }
      await sleep(100);
    }
    // Every call ends by itself (the client hangs up after its talk time); a call stuck for longer
    // than its talk, its ring and a margin is left as it is, and shows as not agreeing.
    const deadline = Date.now() + (o.talk * 1.5 + 40) * 1000;
    while (active() > 0 && Date.now() < deadline) {
      if (Date.now() - lastTick >= 1000) { lastTick = Date.now(); await o.onTick?.(active()); }
      await sleep(200);
    }
    for (const c of mine) if (c.dialAt === undefined) c.failed ??= 'no DialBegin to the phone';
    this.early.clear(); // every call is known by now: what is left are the other channels' hangups
    return mine;
  }
}

// ------------------------------------------------------------------ pops and the CDR

export interface PopFigures {
  /** Latency from the DialBegin's Timestamp to the socket, per instance (index), all sockets together. */
  latencies: Map<number, number[]>;
  /** Pops that some socket of the ringing manager never got. */
  missing: number;
  /** The DialBegin's Timestamp to its arrival on the bench's AMI connection (Asterisk's part of the latency). */
  amiDelivery: number[];
}

/** What the sockets got for these calls: every expected pop's latency, per instance, and how many never came. */
export function popFigures(calls: BenchCall[], sockets: PopSockets, instances: number): PopFigures {
  const byLinkedid = new Map(calls.map((c) => [c.linkedid, c]));
  const latencies = new Map<number, number[]>();
  for (let i = 0; i < instances; i++) latencies.set(i, []);
  let got = 0;
  for (const p of sockets.pops) {
    const c = byLinkedid.get(p.linkedId);
    if (!c || c.dialAt === undefined) continue;
    latencies.get(p.instance)!.push(p.at - c.dialAt);
    got++;
  }
  const expected = calls.filter((c) => c.dialAt !== undefined).reduce((s, c) => s + sockets.sockets(c.extension), 0);
  const amiDelivery = calls.filter((c) => c.dialSeenAt !== undefined).map((c) => c.dialSeenAt! - c.dialAt!);
  return { latencies, missing: expected - got, amiDelivery };
}

interface LoggedCall { linkedId: string; state: string; disposition: string | null; extension: string | null; ringSeconds: number; talkSeconds: number }

/** Every call the service logged since `from` (the API, as a supervisor, page by page). */
async function loggedCalls(svc: { url: string }, token: string, from: number): Promise<Map<string, LoggedCall>> {
  const out = new Map<string, LoggedCall>();
  let cursor: string | null = null;
  do {
    const q: URLSearchParams = new URLSearchParams({ from: new Date(from).toISOString(), limit: '500', ...(cursor ? { cursor } : {}) });
    const r: { body: { items: LoggedCall[]; nextCursor: string | null } } = await api(svc, `/api/v1/calls?${q}`, token);
    for (const c of r.body.items) out.set(c.linkedId, c);
    cursor = r.body.nextCursor;
  } while (cursor);
  return out;
}

/** Why a logged call does not agree with the CDR's Dial row to its phone (to the second), or null when it does. */
function disagreement(c: BenchCall, logged: LoggedCall | undefined, rows: CdrRow[]): string | null {
  if (!logged) return 'not logged';
  if (logged.state !== 'ended') return `logged ${logged.state}`;
  const dial = rows.find(dialTo(c.extension));
  if (!dial) return 'no CDR Dial row to the phone';
  const cdrDisposition = dial.disposition === 'ANSWERED' ? 'answered' : dial.disposition.toLowerCase();
  if (logged.disposition !== cdrDisposition) return `disposition ${logged.disposition} vs CDR ${dial.disposition}`;
  if (logged.extension !== c.extension) return `extension ${logged.extension} vs ${c.extension}`;
  if (Math.abs(logged.talkSeconds - dial.billsec) > 1) return `talk ${logged.talkSeconds} s vs CDR billsec ${dial.billsec}`;
  const ring = dial.duration - dial.billsec;
  if (Math.abs(logged.ringSeconds - ring) > 1) return `ring ${logged.ringSeconds} s vs CDR ${ring}`;
  return null;
}

export interface Agreement { placed: number; failed: number; logged: number; agree: number; reasons: Map<string, number> }

/**
 * Compares every call that went through with the service's log and Asterisk's CDR, once the CDR rows
 * and the logged calls are all there (or `timeoutMs` has passed: what is missing then counts as such).
 */
export async function compareWithCdr(svc: { url: string }, token: string, calls: BenchCall[], timeoutMs = 60_000): Promise<Agreement> {
  const placed = calls.filter((c) => c.linkedid);
  const through = placed.filter((c) => !c.failed);
  const from = Math.min(...placed.map((c) => c.startedAt)) - 60_000;
  const deadline = Date.now() + timeoutMs;
  let logged = new Map<string, LoggedCall>();
  let cdr = new Map<string, CdrRow[]>();
  for (;;) {
    logged = await loggedCalls(svc, token, from);
    cdr = new Map();
    for (const r of readCdr()) {
      if (!cdr.has(r.linkedid)) cdr.set(r.linkedid, []);
      cdr.get(r.linkedid)!.push(r);
    }
    const done = through.every((c) => logged.get(c.linkedid)?.state === 'ended' && (cdr.get(c.linkedid) ?? []).some(dialTo(c.extension)));
    if (done || Date.now() > deadline) break;
    await sleep(1000);
  }
  const reasons = new Map<string, number>();
  let agree = 0;
  for (const c of through) {
    const why = disagreement(c, logged.get(c.linkedid), cdr.get(c.linkedid) ?? []);
    if (why === null) agree++;
    else {
      const kind = why.replace(/[0-9]+/g, 'N');
      reasons.set(kind, (reasons.get(kind) ?? 0) + 1);
    }
  }
  for (const c of calls) if (c.failed) reasons.set(c.failed, (reasons.get(c.failed) ?? 0) + 1);
  return { placed: calls.length, failed: calls.filter((c) => c.failed).length, logged: placed.filter((c) => logged.has(c.linkedid)).length, agree, reasons };
}

export function formatAgreement(a: Agreement): string {
  const why = [...a.reasons].map(([k, n]) => `${n} ${k}`).join('; ');
  return `calls ${a.placed}, failed ${a.failed}, logged ${a.logged}, agree with the CDR ${a.agree}${why ? ` (${why})` : ''}`;
}
