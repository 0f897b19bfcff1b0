// The supervisors' live board with CALLS calls in progress (200 by default). Prints figures, no assertions.
//
// The real service (buildApp: AMI client -> call tracker -> live board -> socket.io) is fed by a loopback
// AMI server replaying the recorded inbound-answered call (tests/fixtures/ami) with every event's
// Timestamp rewritten to its send time: each call rings its own phone (one of CALLS extensions, one
// manager each) for RING_MS, is answered, and talks until the churn ends it. The AMI server and one
// supervisor's socket.io client run in a worker thread (their own event loop); the service has the main
// thread to itself, as in production. Measured:
//   1. the snapshot with CALLS calls in progress: LiveService.snapshot() in the service, and
//      GET /api/v1/live over HTTP (serialised, as a browser fetches it), with its size;
//   2. churn: for SECONDS s, CHURN calls/s end and as many new ones ring and are answered (so CALLS
//      stay in progress while ~3 x CHURN calls/s change state, with their phones' device states):
//      deltas per second, bytes per second to the client, and the latency from the AMI event's
//      Timestamp (an answer's DialEnd, a call's last Hangup) to the delta that shows it in the client;
//   3. memory of the service (heap after GC, and the whole process's RSS, worker included).
// Today's counters are re-read while calls end, over TODAY calls already logged today.
//
// Usage: npm run bench:live [-- --calls 200 --churn 40 --seconds 10 --today 20000]
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import { io as connect } from 'socket.io-client';
import { CallStore } from '../src/calls/store.js';
import type { CallRecord } from '../src/calls/model.js';
import { createClient } from '../src/contacts/clients.js';
import { SYSTEM_ACTOR } from '../src/contacts/context.js';
import { createContact } from '../src/contacts/contacts.js';
import { openDb } from '../src/db/client.js';
import { buildApp } from '../src/app.js';
import { todayCounters } from '../src/live/counters.js';
import type { LiveDelta } from '../src/live/model.js';
import { createSession } from '../src/users/sessions.js';
import { addUser, createToken } from '../src/users/users.js';
import { serveAmi } from './ami-server.js';
import { arg, now, ownCall, pct, recordedEvents, replayConfig, summary } from './replay.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = resolve(here, here.includes('/dist/') ? '../..' : '..');
const fixture = join(root, 'tests/fixtures/ami/inbound-answered.ami');
const RING_MS = 1000;

const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;

interface WorkerIn { calls: number; churn: number; seconds: number; numbers: string[]; extensions: string[] }
type ToWorker = { type: 'start'; httpPort: number; cookie: string } | { type: 'churn' };
type FromWorker =
  | { type: 'amiPort'; port: number }
  | { type: 'ramped'; inProgress: number }
  | { type: 'done'; deltas: number; bytes: number; seconds: number; answered: number[]; ended: number[]; inProgress: number; callsPerDelta: number[] };

// ------------------------------------------------------------------ worker: AMI server + a supervisor's browser
async function workerMain(): Promise<void> {
  const w = workerData as WorkerIn;
  const port = parentPort!;
  const { blocks, ts, t0 } = recordedEvents(fixture);
  // The recording: ring (up to the phone's RINGING), answer (to the talk), hang up (after 4 s of talk).
  const answerAt = blocks.findIndex((b) => b.startsWith('Event: Newstate') && /Channel: PJSIP\/101-/.test(b) && /ChannelState: 6/.test(b));
  const hangupAt = blocks.findIndex((b) => ts(b) - t0 > 1);
  const phases = { ring: blocks.slice(0, answerAt), answer: blocks.slice(answerAt, hangupAt), hangup: blocks.slice(hangupAt) };

  let sock: net.Socket | null = null;
  let loggedIn!: () => void;
  const login = new Promise<void>((r) => (loggedIn = r));
  const srv = await serveAmi((s) => { sock = s; loggedIn(); });
  port.postMessage({ type: 'amiPort', port: srv.port } satisfies FromWorker);
  const start = await new Promise<Extract<ToWorker, { type: 'start' }>>((r) => port.once('message', r));

  // What the client sees, and when.
  const sentAnswer = new Map<string, number>(); // number -> when its answer was written
  const sentEnd = new Map<string, number>(); // number -> when its last hangup was written
  const numberOf = new Map<string, string>(); // call id -> number
  const talking = new Set<string>();
  const answered: number[] = [];
  const ended: number[] = [];
  const callsPerDelta: number[] = [];
  let measuring = false;
  let deltas = 0;
  let bytes = 0;
  const client = connect(`http://127.0.0.1:${start.httpPort}`, { transports: ['websocket'], extraHeaders: { cookie: start.cookie }, reconnection: false, forceNew: true });
  client.emit('live:watch', true);
  client.on('live:delta', (d: LiveDelta) => {
    const t = now();
    if (measuring) {
      deltas++;
      // The payload as it goes on the wire (socket.io adds a few bytes of framing per message).
      bytes += Buffer.byteLength(JSON.stringify(d));
      callsPerDelta.push((d.calls?.length ?? 0) + (d.removedCalls?.length ?? 0));
    }
    for (const c of d.calls ?? []) {
      if (!c.externalNumber) continue;
      const n = c.externalNumber.replace(/^\+/, '');
      numberOf.set(c.id, n);
      if (c.state === 'talking' && !talking.has(n)) {
        talking.add(n);
        const s = sentAnswer.get(n);
        if (measuring && s !== undefined) answered.push(t - s);
      }
    }
    for (const id of d.removedCalls ?? []) {
      const n = numberOf.get(id);
      const s = n ? sentEnd.get(n) : undefined;
      if (measuring && s !== undefined) ended.push(t - s);
      numberOf.delete(id);
    }
  });
  await new Promise<void>((r, j) => { client.once('connect', () => r()); client.once('connect_error', j); });
  await login;
  // The service re-syncs after login (CoreShowChannels, answered empty here): calls must start after it,
  // or it ends them as vanished.
  await new Promise((r) => setTimeout(r, 500));

  const extOf = new Map<number, string>(w.extensions.map((e, i) => [i, e]));
  const write = (k: number, phase: keyof typeof phases): number => {
    const ext = extOf.get(k)!;
    const num = w.numbers[k]!;
    let out = '';
    const stamp = now();
    for (const b of phases[phase]) {
      out += ownCall(b, k, ext, num)
        .replace(/^Timestamp: [0-9.]+$/m, `Timestamp: ${(stamp / 1000).toFixed(6)}`)
        .replace(/\n/g, '\r\n') + '\r\n\r\n';
    }
    sock!.write(out);
    return stamp;
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const live: number[] = [];
  let next = 0;
  const begin = (k: number) => {
    write(k, 'ring');
    setTimeout(() => { sentAnswer.set(w.numbers[k]!, write(k, 'answer')); }, RING_MS);
    live.push(k);
  };

  // Ramp: CALLS calls over 2 s, all talking a second later.
  for (let i = 0; i < w.calls; i++) {
    begin(next++);
    if (i % 10 === 9) await sleep(100);
  }
  await sleep(RING_MS + 1500);
  port.postMessage({ type: 'ramped', inProgress: live.length } satisfies FromWorker);
  await new Promise((r) => port.once('message', r)); // the service measured its snapshot

  // Churn: every 50 ms, end CHURN/20 random calls and start as many new ones on the freed phones.
  measuring = true;
  const t1 = now();
  const perTick = w.churn / 20;
  let carry = 0;
  while (now() - t1 < w.seconds * 1000 && next < w.numbers.length) {
    carry += perTick;
    while (carry >= 1 && next < w.numbers.length) {
      carry -= 1;
      // Only calls that are talking end (a call answered less than a second ago is left alone).
      const i = Math.floor(Math.random() * live.length);
      const k = live[i]!;
      if (!sentAnswer.has(w.numbers[k]!)) continue;
      live.splice(i, 1);
      sentEnd.set(w.numbers[k]!, write(k, 'hangup'));
      const n = next++;
      // The new call rings the phone the ended one freed.
      extOf.set(n, extOf.get(k)!);
      begin(n);
    }
    await sleep(50);
  }
  const seconds = (now() - t1) / 1000;
  await sleep(RING_MS + 1500);
  measuring = false;
  client.close();
  srv.close();
  (sock as net.Socket | null)?.destroy();
  port.postMessage({ type: 'done', deltas, bytes, seconds, answered, ended, inProgress: live.length, callsPerDelta } satisfies FromWorker);
}

// ------------------------------------------------------------------ main: the service
async function seed(dbFile: string, extensions: string[], numbers: string[], today: number): Promise<{ cookie: string; token: string }> {
  const h = await openDb(dbFile);
  const ctx = { db: h.db, actor: SYSTEM_ACTOR, region: 'RU', rematchWindowMs: 0 };
  const managers: string[] = [];
  for (const ext of extensions) managers.push((await addUser(h.db, { name: `manager.${ext}`, role: 'manager', extension: ext })).id);
  const sup = await addUser(h.db, { name: 'sveta', role: 'supervisor' });
  const cookie = `cti_session=${(await createSession(h.db, sup.id, 86_400_000)).id}`;
  const token = await createToken(h.db, 'sveta');
  // Every caller is a known contact of some manager's client: names on the board cost lookups.
  for (const [i, num] of numbers.entries()) {
    const client = await createClient(ctx, { kind: 'company', name: `Client ${i}`, turnover: '150000', currency: 'RUB', ownerId: managers[i % managers.length]!, segment: 'bench' });
    await createContact(ctx, { clientId: client.id, name: `Contact ${i}`, phones: [{ number: `+${num}` }] } as never);
  }
  // Calls already logged today: what the counters sum every time calls end.
  const store = new CallStore(h.db);
  const t0 = Date.now() - 8 * 3_600_000;
  const batch: [string, CallRecord][] = [];
  for (let k = 0; k < today; k++) {
    const at = t0 + Math.floor((k * 8 * 3_600_000) / Math.max(1, today));
    const ok = k % 5 !== 0;
    batch.push([`today-${k}`, {
      linkedId: `today-${k}`, mergedLinkedIds: [], state: 'ended', source: 'cdr', needsCdr: false, direction: k % 3 ? 'inbound' : 'outbound', origin: null,
      externalNumber: `+7916${String(1_000_000 + (k % 50_000)).slice(1)}`, contactId: null, clientId: null, routedBy: null, extension: extensions[k % extensions.length]!,
      startedAt: at, answeredAt: ok ? at + 5000 : null, endedAt: at + 65_000, ringMs: 5000, talkMs: ok ? 60_000 : 0,
      disposition: ok ? 'answered' : 'no_answer', hangupCause: null, recordingFile: null, legs: [],
    }]);
    if (batch.length === 5000) await store.saveMany(batch.splice(0));
  }
  await store.saveMany(batch.splice(0));
  await h.close();
  return { cookie, token };
}

function heap(): { heap: number; rss: number } {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss };
}

async function main(): Promise<void> {
  const calls = arg('calls', 200);
  const churn = arg('churn', 40);
  const seconds = arg('seconds', 10);
  const today = arg('today', 20_000);
  const extensions = Array.from({ length: calls }, (_, i) => String(1000 + i));
  const total = calls + Math.ceil(churn * seconds * 1.1) + 10;
  const numbers = Array.from({ length: total }, (_, i) => `7916${String(3_000_000 + i).padStart(7, '0')}`);
  const dir = mkdtempSync(join(tmpdir(), 'cti-bench-live-'));
  const dbFile = join(dir, 'cti.sqlite');
  const t = now();
  const { cookie, token } = await seed(dbFile, extensions, numbers, today);
  console.log(`seeded ${calls} managers, ${numbers.length} contacts, ${today} calls logged today in ${((now() - t) / 1000).toFixed(1)} s`);

  const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { calls, churn, seconds, numbers, extensions } satisfies WorkerIn });
  const next = () => new Promise<FromWorker>((r) => worker.once('message', r));
  const amiPort = ((await next()) as { port: number }).port;
  const config = replayConfig(dir, dbFile, amiPort);
  const app = await buildApp(config, { logger: pino({ level: 'silent' }) });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const httpPort = (app.server.address() as net.AddressInfo).port;
  const idle = heap();
  worker.postMessage({ type: 'start', httpPort, cookie } satisfies ToWorker);

  const ramped = (await next()) as Extract<FromWorker, { type: 'ramped' }>;
  const board = await app.live!.snapshot();
  console.log(`\n${ramped.inProgress} calls in progress (the board shows ${board.calls.length}, ${board.calls.filter((c) => c.state === 'talking').length} talking; `
    + `${board.managers.filter((m) => m.state === 'talking').length} of ${board.managers.length} managers talking)`);
  const build: number[] = [];
  for (let i = 0; i < 200; i++) {
    const s = now();
    await app.live!.snapshot();
    build.push(now() - s);
  }
  console.log(summary('snapshot built in the service (LiveService.snapshot: users, counters over today\'s calls, 200 calls)', build));
  const sums: number[] = [];
  for (let i = 0; i < 50; i++) {
    const s = now();
    await todayCounters(app.db, config.CTI_TIMEZONE, Date.now());
    sums.push(now() - s);
  }
  console.log(summary(`today's counters re-read (${today} calls logged today, per manager and total; at most once a second)`, sums));
  const http: number[] = [];
  let size = 0;
  for (let i = 0; i < 100; i++) {
    const s = now();
    const r = await fetch(`http://127.0.0.1:${httpPort}/api/v1/live`, { headers: { authorization: `Bearer ${token}` } });
    size = (await r.arrayBuffer()).byteLength;
    http.push(now() - s);
  }
  console.log(summary('GET /api/v1/live over HTTP (as a browser loads the board)', http));
  console.log(`  snapshot size ${(size / 1024).toFixed(1)} KiB (${size} bytes)`);
  const full = heap();
  worker.postMessage({ type: 'churn' } satisfies ToWorker);

  const done = (await next()) as Extract<FromWorker, { type: 'done' }>;
  const after = heap();
  console.log(`\nchurn: ${churn} calls/s end and ${churn} new ones ring and are answered for ${done.seconds.toFixed(1)} s; ${done.inProgress} calls in progress at the end`);
  console.log(`  deltas to the supervisor: ${done.deltas} (${(done.deltas / done.seconds).toFixed(1)}/s), `
    + `${(done.bytes / 1024).toFixed(1)} KiB (${(done.bytes / done.seconds / 1024).toFixed(1)} KiB/s), `
    + `calls per delta p50 ${pct([...done.callsPerDelta].sort((a, b) => a - b), 50)} max ${Math.max(0, ...done.callsPerDelta)}`);
  console.log(summary('  answer (DialEnd Timestamp) -> the call talking in the client', done.answered));
  console.log(summary('  end (last Hangup Timestamp) -> the call gone in the client', done.ended));
  console.log(`\nmemory (after GC): service heap idle ${mb(idle.heap)}, with ${ramped.inProgress} calls ${mb(full.heap)}, after the churn ${mb(after.heap)}; `
    + `process RSS (worker and client included) ${mb(idle.rss)} / ${mb(full.rss)} / ${mb(after.rss)}`);
  await app.close();
  await worker.terminate();
  rmSync(dir, { recursive: true, force: true });
}

if (isMainThread) {
  await main();
  process.exit(0);
} else {
  await workerMain();
}
