// Integration-tier helpers: the real service as a separate process (node bin/cti.js serve, built code)
// attached to the sandbox Asterisk, so a test can kill -9 it like a crash; an HTTP client for its API;
// and a TCP proxy in front of AMI that a test can cut to drop the connection.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { databaseEnv, openTestDb } from './database.js';
import { addUser, createToken } from '../../src/users/users.js';
import { loadSandboxEnv, PROJECT_ROOT, waitUntil } from './sandbox.js';
import { freePort } from './ports.js';

export interface ServiceProcess {
  url: string;
  dbFile: string;
  logFile: string;
  proc: ChildProcess;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /** kill -9: a crash. */
  kill9(): Promise<void>;
}

export function newDbFile(): string {
  return join(mkdtempSync(join(tmpdir(), 'cti-it-')), 'cti.sqlite');
}

/** Adds a user with a token to the service's database (works while the service runs: WAL). */
export async function seedUser(dbFile: string, name: string, role: 'manager' | 'supervisor' | 'admin', extension: string | null = null, mobile: string | null = null): Promise<string> {
  const h = await openTestDb(dbFile);
  try {
    await addUser(h.db, { name, role, extension, mobile });
    return await createToken(h.db, name);
  } finally {
    await h.close();
  }
}

/** Rules for tests: short rings, so a call nobody answers ends in seconds. */
export const TEST_RULES = {
  defaultTarget: { extension: '101' },
  managerRingSeconds: 6,
  targetRingSeconds: 10,
  tiers: [],
};

export async function startService(opts: { dbFile: string; env?: Record<string, string>; waitConnected?: boolean; rules?: object }): Promise<ServiceProcess> {
  const port = await freePort();
  const rulesFile = `${opts.dbFile}.routing.json`;
  if (opts.rules || !existsSync(rulesFile)) writeFileSync(rulesFile, JSON.stringify(opts.rules ?? TEST_RULES));
  const logFile = `${opts.dbFile}.${Date.now()}.log`;
  const env = {
    ...process.env,
    ...loadSandboxEnv(),
    // The test's database: the file, or on a postgres run the database it stands for (CTI_DATABASE_URL).
    ...(await databaseEnv(opts.dbFile)),
    CTI_HTTP_PORT: String(port),
    CTI_LOG_LEVEL: 'debug',
    CTI_RECONCILE_INTERVAL_S: '5',
    CTI_ROUTING_FILE: rulesFile,
    ...opts.env,
  };
  const proc = spawn(process.execPath, [join(PROJECT_ROOT, 'bin/cti.js'), 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = createWriteStream(logFile);
  proc.stdout?.pipe(out);
  proc.stderr?.pipe(out);
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  const svc: ServiceProcess = {
    url, dbFile: opts.dbFile, logFile, proc,
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await exited;
    },
    async kill9() {
      if (proc.exitCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
  try {
    await waitUntil(async () => {
      if (proc.exitCode !== null) throw new Error(`service exited with ${proc.exitCode}:\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
      try {
        const r = await fetch(`${url}/healthz`);
        return opts.waitConnected === false ? true : r.status === 200;
      } catch {
        return false;
      }
    }, 20_000, 'the service to connect to AMI and ARI', 100);
  } catch (err) {
    await svc.kill9();
    throw err;
  }
  return svc;
}

export async function api<T = any>(svc: { url: string }, path: string, token: string, init: RequestInit = {}): Promise<{ status: number; body: T; headers: Headers; bytes: Buffer }> {
  const r = await fetch(`${svc.url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) } });
  const bytes = Buffer.from(await r.arrayBuffer());
  let body: unknown = null;
  if ((r.headers.get('content-type') ?? '').includes('json')) body = JSON.parse(bytes.toString('utf8'));
  return { status: r.status, body: body as T, headers: r.headers, bytes };
}

/**
 * A client (a company) with one contact on `phone`, through the API as `token` (an admin): what the
 * routing tests call their callers. `turnover` in RUB when given; `owner` a user's name or null.
 */
export async function addClient(svc: { url: string }, token: string, o: { name: string; owner: string | null; phone: string; turnover?: number | null }): Promise<string> {
  const body = { kind: 'company', name: o.name, ...(o.turnover !== undefined ? { turnover: o.turnover, currency: o.turnover === null ? null : 'RUB' } : {}), ownerName: o.owner };
  const c = await api(svc, '/api/v1/clients', token, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (c.status !== 201) throw new Error(`POST /api/v1/clients: ${c.status} ${JSON.stringify(c.body)}`);
  const ct = await api(svc, '/api/v1/contacts', token, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ clientId: c.body.id, name: `${o.name} contact`, phones: [{ number: o.phone, label: 'work' }] }),
  });
  if (ct.status !== 201) throw new Error(`POST /api/v1/contacts: ${ct.status} ${JSON.stringify(ct.body)}`);
  return c.body.id;
}

/** The logged call with this linkedid once it has ended (and its recording, if any, was measured). */
export async function loggedCall(svc: { url: string }, token: string, linkedId: string, timeoutMs = 20_000): Promise<any> {
  return waitUntil(async () => {
    const r = await api(svc, `/api/v1/calls?linkedId=${encodeURIComponent(linkedId)}`, token);
    const c = r.body?.items?.[0];
    return c && c.state === 'ended' ? c : undefined;
  }, timeoutMs, `call ${linkedId} in the log`, 200);
}

/** A TCP proxy to AMI that a test can cut (all connections dropped, new ones refused) and restore. */
export class AmiProxy {
  private server: net.Server | null = null;
  private sockets = new Set<net.Socket>();
  port = 0;
  constructor(private readonly target: number) {}

  async start(port = 0): Promise<number> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.target, loadSandboxEnv().CTI_AMI_HOST);
      this.sockets.add(client);
      this.sockets.add(upstream);
      client.pipe(upstream).pipe(client);
      const drop = () => { client.destroy(); upstream.destroy(); this.sockets.delete(client); this.sockets.delete(upstream); };
      client.on('error', drop); upstream.on('error', drop); client.on('close', drop); upstream.on('close', drop);
    });
    await new Promise<void>((r) => this.server!.listen(port, '127.0.0.1', () => r()));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  /** Drops every connection and stops listening: the service sees the PBX vanish. */
  async cut(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.server = null;
  }

  async restore(): Promise<void> {
    await this.start(this.port);
  }
}
