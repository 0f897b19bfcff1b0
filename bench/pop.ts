// Screen-pop latency: from Asterisk's event timestamp of the DialBegin that starts a manager's phone
// ringing to the call:ringing arriving in a socket.io client. Prints p50/p90/p99/max, no assertions.
// The service pops on the phone channel's CEL CHAN_START, which Asterisk sends a few ms before that
// DialBegin: a pop may arrive before the DialBegin (a negative latency, counted), so the replay also
// times from the CHAN_START; "missing" is a page of the ringing manager that never got the call's pop.
//
//   1. replay: the real service (buildApp: AMI client -> tracker -> pops -> socket.io), fed by a
//      loopback AMI server replaying the recorded inbound-answered call (tests/fixtures/ami) as new calls
//      at RATE calls/s for SECONDS s, each call ringing one of EXTENSIONS managers' phones, with every
//      event's Timestamp rewritten to its send time; CLIENTS socket.io clients spread over the
//      extensions. The AMI server and the clients run in a worker thread (their own event loop); the
//      service has the main thread to itself, as in production.
//   2. real calls (with --sandbox, the sandbox PBX up; CTI_PBX_DIR picks which): inbound calls to
//      101 through the sandbox Asterisk; the DialBegin timestamps come from Asterisk itself.
//
// Usage: npm run bench:pop [-- --seconds 30 --rate 20 --clients 200 --extensions 50 --sandbox]
//        CTI_BENCH_DATABASE_URL=postgres://... npm run bench:pop -- --instances 2   (leader and follower)
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import AsteriskManager from 'asterisk-manager';
import pino from 'pino';
import { io as connect, type Socket } from 'socket.io-client';
import { CallStore } from '../src/calls/store.js';
import type { CallRecord } from '../src/calls/model.js';
import { loadServiceConfig } from '../src/config/config.js';
import { createClient } from '../src/contacts/clients.js';
import { SYSTEM_ACTOR } from '../src/contacts/context.js';
import { createContact } from '../src/contacts/contacts.js';
import { openDb } from '../src/db/client.js';
import { buildApp } from '../src/app.js';
import { serveAmi } from './ami-server.js';
import { arg, now, ownCall, pct, recordedEvents, replayConfig, replayEnv, summary } from './replay.js';
import { benchDatabase } from './sandbox-load.js';
import { freePort } from '../tests/support/ports.js';
import { waitUntil } from '../tests/support/sandbox.js';
import type { ScreenPop } from '../src/contract/index.js';
import { createSession } from '../src/users/sessions.js';
import { addUser } from '../src/users/users.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = resolve(here, here.includes('/dist/') ? '../..' : '..');
const fixture = join(root, 'tests/fixtures/ami/inbound-answered.ami');


interface WorkerIn { seconds: number; rate: number; extensions: string[]; numbers: string[] }
type Msg = { type: 'amiPort'; port: number } | { type: 'clientsReady' }
  | { type: 'done'; fromDial: number[]; fromChanStart: number[]; windows: number[][]; byInstance: number[][]; missingByInstance: number[]; calls: number; missing: number; wrongPage: number };
/** The run in windows of this many seconds: a tail that grows over the run shows as growing p99s. */
const WINDOW_S = 5;

// ------------------------------------------------------------------ worker: AMI server + browsers
async function workerMain(): Promise<void> {
  const w = workerData as WorkerIn;
  const port = parentPort!;
  const { blocks, ts, t0 } = recordedEvents(fixture);
  const timeline = blocks.map((b) => ({ at: (ts(b) - t0) * 1000, b }));
  let sock = null as net.Socket | null;
  let loggedIn!: () => void;
  const login = new Promise<void>((r) => (loggedIn = r));
  const srv = await serveAmi((s) => {
    sock = s;
    loggedIn();
  });
  port.postMessage({ type: 'amiPort', port: srv.port } satisfies Msg);

  // The instances' HTTP ports (the first leads): the clients take them in turn, each manager on each.
  const { httpPorts, cookies } = await new Promise<{ httpPorts: number[]; cookies: Record<string, string[]> }>((r) => port.once('message', r));
  // Per call (linkedid): when the phone's first event was written (its channel's CEL CHAN_START, which the
  // service pops on; Asterisk sends it a few ms before the DialBegin) and when the DialBegin to the phone was.
  const chanStartAt = new Map<string, number>();
  const dialAt = new Map<string, { at: number; ext: string; call: number }>();
  // Per client: the call:ringing it received, by linkedid (arrival time); pops for another extension's phone.
  const got: { ext: string; instance: number; pops: Map<string, number> }[] = [];
  let wrongPage = 0;
  const clients: Socket[] = [];
  for (const [ext, list] of Object.entries(cookies)) {
    for (const cookie of list) {
      const instance = clients.length % httpPorts.length;
      const c = connect(`http://127.0.0.1:${httpPorts[instance]}`, { transports: ['websocket'], extraHeaders: { cookie }, reconnection: false, forceNew: true });
      const mine = { ext, instance, pops: new Map<string, number>() };
      got.push(mine);
      c.on('call:ringing', (pop: ScreenPop) => {
        const t = now();
        if (pop.extension !== ext) wrongPage++;
        else if (!mine.pops.has(pop.linkedId)) mine.pops.set(pop.linkedId, t);
      });
      clients.push(c);
    }
  }
  await Promise.all(clients.map((c) => new Promise<void>((r, j) => { c.once('connect', () => r()); c.once('connect_error', j); })));
  port.postMessage({ type: 'clientsReady' } satisfies Msg);
  await login;

  // Schedule every event of every call; stamp each with the time it is written.
  const calls = Math.round(w.seconds * w.rate);
  const queue: { at: number; text: string; call: number }[] = [];
  const start = now() + 200;
  for (let k = 0; k < calls; k++) {
    const ext = w.extensions[k % w.extensions.length]!;
    const num = w.numbers[k % w.numbers.length]!;
    const callStart = start + (k * 1000) / w.rate;
    for (const { at, b } of timeline) {
      const text = ownCall(b, k, ext, num);
      queue.push({ at: callStart + at, text, call: k });
    }
  }
  queue.sort((a, b) => a.at - b.at);
  let i = 0;
  await new Promise<void>((done) => {
    const tick = () => {
      const t = now();
      let out = '';
      while (i < queue.length && queue[i]!.at <= t) {
        const q = queue[i++]!;
        const stamp = now();
        const text = q.text.replace(/^Timestamp: [0-9.]+$/m, `Timestamp: ${(stamp / 1000).toFixed(6)}`);
        const linked = () => (/^Linkedid: (.+)$/im.exec(text)?.[1] ?? /^DestLinkedid: (.+)$/m.exec(text)?.[1])?.trim();
        if (text.startsWith('Event: DialBegin') && /DestChannel: PJSIP\//.test(text)) {
          const l = linked();
          if (l) dialAt.set(l, { at: stamp, ext: /DestChannel: PJSIP\/([0-9]+)-/.exec(text)?.[1] ?? '', call: q.call });
        } else if (text.startsWith('Event: CEL') && /^EventName: CHAN_START$/m.test(text) && /^Channel: PJSIP\//m.test(text)) {
          const l = linked();
          if (l && !chanStartAt.has(l)) chanStartAt.set(l, stamp);
        }
        out += `${text.replace(/\n/g, '\r\n')}\r\n\r\n`;
      }
      if (out) sock!.write(out);
      if (i < queue.length) setTimeout(tick, 1);
      else setTimeout(done, 1500);
    };
    tick();
  });
  for (const c of clients) c.close();
  srv.close();
  sock?.destroy();
  // Every page of the manager whose phone a call rang is owed that call's pop. A pop may arrive before
  // the DialBegin is even written (the service pops on the phone's CHAN_START): it is counted, with a
  // negative latency from the DialBegin, not lost.
  const fromDial: number[] = [];
  const fromChanStart: number[] = [];
  // The same, per WINDOW_S seconds of the run (by when the call started): does the tail grow as it goes?
  const windows: number[][] = [];
  const byInstance: number[][] = httpPorts.map(() => []);
  const missingByInstance: number[] = httpPorts.map(() => 0);
  let missing = 0;
  for (const g of got) {
    for (const [l, d] of dialAt) {
      if (d.ext !== g.ext) continue;
      const t = g.pops.get(l);
      if (t === undefined) { missing++; missingByInstance[g.instance]!++; continue; }
      fromDial.push(t - d.at);
      byInstance[g.instance]!.push(t - d.at);
      (windows[Math.floor(d.call / (w.rate * WINDOW_S))] ??= []).push(t - d.at);
      const c = chanStartAt.get(l);
      if (c !== undefined) fromChanStart.push(t - c);
    }
  }
  port.postMessage({ type: 'done', fromDial, fromChanStart, windows, byInstance, missingByInstance, calls, missing, wrongPage } satisfies Msg);
}

// ------------------------------------------------------------------ main: the service
async function seed(dbFile: string, extensions: string[], clientsPerExt: number, numbers: string[]): Promise<Record<string, string[]>> {
  const h = await openDb(dbFile);
  const cookies: Record<string, string[]> = {};
  const ctx = { db: h.db, actor: SYSTEM_ACTOR, region: 'RU', rematchWindowMs: 0 };
  const store = new CallStore(h.db);
  for (const [i, ext] of extensions.entries()) {
    const u = await addUser(h.db, { name: `m${ext}`, role: 'manager', extension: ext });
    cookies[ext] = [];
    for (let c = 0; c < clientsPerExt; c++) cookies[ext].push(`cti_session=${(await createSession(h.db, u.id, 86_400_000)).id}`);
    // Each manager owns the client calling their phone, with a contact on its number.
    const num = numbers[i % numbers.length]!;
    const client = await createClient(ctx, { kind: 'company', name: `Client ${ext}`, turnover: '150000', currency: 'RUB', ownerId: u.id, segment: 'bench' });
    await createContact(ctx, { clientId: client.id, name: `Contact ${ext}`, phones: [{ number: `+${num}` }] } as never);
  }
  // History: 100,000 earlier calls, so last-calls lookups run on a real-sized table.
  const t0 = Date.now() - 90 * 86_400_000;
  const batch: [string, CallRecord][] = [];
  for (let k = 0; k < 100_000; k++) {
    const ext = extensions[k % extensions.length]!;
    const at = t0 + k * 60_000;
    batch.push([`hist-${k}`, {
      linkedId: `hist-${k}`, mergedLinkedIds: [], state: 'ended', source: 'cdr', needsCdr: false, direction: 'inbound', origin: null,
      externalNumber: `+7916${String(1_000_000 + (k % 50_000)).slice(1)}`, contactId: null, clientId: null, routedBy: null, extension: ext,
      startedAt: at, answeredAt: at + 5000, endedAt: at + 65_000, ringMs: 5000, talkMs: 60_000, disposition: 'answered', hangupCause: null, recordingFile: null, legs: [],
    }]);
    if (batch.length === 5000) await store.saveMany(batch.splice(0));
  }
  await store.saveMany(batch.splice(0));
  await h.close();
  return cookies;
}

async function replay(): Promise<void> {
  const seconds = arg('seconds', 30);
  const rate = arg('rate', 20);
  const nClients = arg('clients', 200);
  const nExt = arg('extensions', 50);
  const extensions = Array.from({ length: nExt }, (_, i) => String(101 + i));
  const numbers = extensions.map((_, i) => `7916${String(2_000_000 + i).padStart(7, '0')}`);
  // --instances 2: a leader (this process) and a follower (a process of its own) on one PostgreSQL,
  // CTI_CLUSTER=true; the clients take the instances in turn, so a pop on the follower's sockets crosses
  // PostgreSQL's NOTIFY (socket.io's adapter).
  const instances = arg('instances', 1);
  const shared = instances > 1 ? await benchDatabase() : null;
  if (shared && shared.engine !== 'postgres') throw new Error('--instances 2 shares one PostgreSQL: set CTI_BENCH_DATABASE_URL=postgres://...');
  const dir = mkdtempSync(join(tmpdir(), 'cti-bench-pop-'));
  const dbFile = join(dir, 'cti.sqlite');
  const cookies = await seed(shared?.target ?? dbFile, extensions, Math.ceil(nClients / nExt), numbers);
  const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { seconds, rate, extensions, numbers } satisfies WorkerIn });
  const next = () => new Promise<Msg>((r) => worker.once('message', r));
  const amiPort = ((await next()) as { port: number }).port;
  const extra: Record<string, string> = shared ? { CTI_DATABASE_URL: shared.target, CTI_CLUSTER: 'true' } : {};
  const config = replayConfig(dir, dbFile, amiPort, extra);
  const app = await buildApp(config, { logger: pino({ level: 'silent' }) });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const httpPorts = [(app.server.address() as net.AddressInfo).port];
  let follower: ChildProcess | null = null;
  if (shared) {
    await waitUntil(() => app.cluster.isLeader, 10_000, 'the first instance to take the lead');
    const followerPort = await freePort();
    follower = spawn(process.execPath, [join(root, 'bin/cti.js'), 'serve'], {
      env: { PATH: process.env['PATH'] ?? '', ...replayEnv(dir, dbFile, amiPort, { ...extra, CTI_HTTP_PORT: String(followerPort) }) },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    // Up once it answers at all (a follower's /healthz is 503).
    await waitUntil(async () => {
      if (follower!.exitCode !== null) throw new Error(`the follower exited with ${follower!.exitCode}`);
      return fetch(`http://127.0.0.1:${followerPort}/healthz`).then(() => true, () => false);
    }, 20_000, 'the follower to answer');
    httpPorts.push(followerPort);
  }
  worker.postMessage({ httpPorts, cookies });
  await next(); // clients connected
  console.log(`replay: ${Object.values(cookies).flat().length} socket.io clients on ${nExt} extensions${shared ? ', half of them on each of 2 instances (PostgreSQL, CTI_CLUSTER=true)' : ''}, ${rate} new calls/s for ${seconds} s (recorded inbound-answered, timestamps = send time), 100,000 calls of history`);
  // The service's event loop while the calls run: a pop waits for whatever holds it.
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const done = (await next()) as Extract<Msg, { type: 'done' }>;
  loop.disable();
  console.log(summary('DialBegin timestamp -> call:ringing in a client (replay; a pop before the DialBegin is negative)', done.fromDial));
  console.log(summary("the phone channel's CEL CHAN_START (what the service pops on) -> call:ringing", done.fromChanStart));
  const sorted = done.windows.map((xs) => [...xs].sort((a, b) => a - b));
  console.log(`  from DialBegin, p50/p99 per ${WINDOW_S} s of the run: ${sorted.map((xs) => `${pct(xs, 50).toFixed(1)}/${pct(xs, 99).toFixed(1)}`).join('  ')} ms`);
  if (shared) {
    for (const [i, xs] of done.byInstance.entries()) {
      console.log(summary(`  on the ${i === 0 ? "leader's" : "follower's"} sockets, from DialBegin (missing ${done.missingByInstance[i]})`, xs));
    }
  }
  console.log(`  calls ${done.calls}, pops owed ${done.fromDial.length + done.missing}, received ${done.fromDial.length}, missing ${done.missing}, on a page of another extension ${done.wrongPage}`);
  const ms = (ns: number) => (ns / 1e6).toFixed(2);
  console.log(`  service event-loop delay: p50 ${ms(loop.percentile(50))} ms  p99 ${ms(loop.percentile(99))} ms  max ${ms(loop.max)} ms`);
  if (follower && follower.exitCode === null) {
    const exited = new Promise((r) => follower!.once('exit', r));
    follower.kill('SIGTERM');
    await exited;
  }
  await app.close();
  await worker.terminate();
  await shared?.drop();
  rmSync(dir, { recursive: true, force: true });
}

// ------------------------------------------------------------------ real calls on the sandbox PBX
async function sandbox(): Promise<void> {
  const pbxDir = process.env['CTI_PBX_DIR'] ?? join(root, '.pbx');
  const envFile = join(pbxDir, 'sandbox.env');
  if (!existsSync(envFile)) {
    console.log(`real calls: skipped (${envFile} missing: the sandbox PBX is not up)`);
    return;
  }
  const env: Record<string, string> = {};
  for (const line of readFileSync(envFile, 'utf8').split('\n')) {
    const m = /^([A-Z_0-9]+)=(.*)$/.exec(line.trim());
    if (m) env[m[1]!] = m[2]!;
  }
  const calls = arg('real-calls', 10);
  const dir = mkdtempSync(join(tmpdir(), 'cti-bench-pop-real-'));
  const dbFile = join(dir, 'cti.sqlite');
  const h = await openDb(dbFile);
  const u = await addUser(h.db, { name: 'anna', role: 'manager', extension: '101' });
  const cookie = `cti_session=${(await createSession(h.db, u.id, 3_600_000)).id}`;
  await h.close();
  writeFileSync(join(dir, 'routing.json'), JSON.stringify({ defaultTarget: { extension: '101' }, managerRingSeconds: 6, targetRingSeconds: 10, tiers: [] }));
  const config = loadServiceConfig({ ...env, CTI_DB_FILE: dbFile, CTI_ROUTING_FILE: join(dir, 'routing.json'), CTI_WEB_DIR: join(dir, 'web'), CTI_LOG_LEVEL: 'silent', CTI_RECONCILE_DAYS: '1' });
  const app = await buildApp(config, { logger: pino({ level: 'silent' }) });
  await app.listen({ port: 0, host: '127.0.0.1' });
  for (let i = 0; i < 100 && app.pbx?.health().ami.state !== 'connected'; i++) await new Promise((r) => setTimeout(r, 100));
  // Asterisk's own DialBegin timestamps, as the sandbox AMI user sees them.
  const ami = AsteriskManager(Number(env['CTI_AMI_PORT']), '127.0.0.1', env['CTI_SANDBOX_AMI_USER']!, env['CTI_SANDBOX_AMI_SECRET']!, true);
  ami.on('error', () => {});
  const dialAt = new Map<string, number>();
  ami.on('managerevent', (e: Record<string, string>) => {
    if (e['event'] === 'DialBegin' && (e['destchannel'] ?? '').startsWith('PJSIP/101-')) dialAt.set(e['destlinkedid'] ?? e['linkedid']!, Number(e['timestamp']) * 1000);
  });
  await new Promise((r) => setTimeout(r, 500));
  const sock = connect(`http://127.0.0.1:${(app.server.address() as net.AddressInfo).port}`, { transports: ['websocket'], extraHeaders: { cookie }, reconnection: false });
  await new Promise<void>((r) => sock.once('connect', () => r()));
  const latencies: number[] = [];
  const arrived = new Map<string, number>();
  sock.on('call:ringing', (pop: ScreenPop) => arrived.set(pop.linkedId, now()));
  for (let k = 0; k < calls; k++) {
    ami.action({ action: 'Originate', channel: 'Local/8005550101@cti-inbound', context: 'sandbox-caller', exten: 's', priority: 1, callerid: `<7916300${String(k).padStart(4, '0')}>`, variable: { TALK: '1' }, async: 'true', timeout: 30000 }, () => {});
    await new Promise((r) => setTimeout(r, 3000));
  }
  await new Promise((r) => setTimeout(r, 2000));
  for (const [l, t] of arrived) {
    const d = dialAt.get(l);
    if (d !== undefined) latencies.push(t - d);
  }
  console.log(summary(`DialBegin timestamp -> call:ringing in a client (real calls, sandbox Asterisk, ${pbxDir})`, latencies));
  sock.close();
  ami.disconnect();
  await app.close();
  rmSync(dir, { recursive: true, force: true });
}

if (isMainThread) {
  await replay();
  if (process.argv.includes('--sandbox')) await sandbox();
  process.exit(0);
} else {
  await workerMain();
}
