// Replays AMI traffic recorded from the sandbox Asterisk (tests/fixtures/ami/*.ami) through the real
// pipeline over a loopback socket, and prints:
//   - the AMI library's bare parse rate (asterisk-manager, counting its events), measured in this run;
//   - the whole pipeline's rate (asterisk-manager -> typed events -> call tracker -> SQLite), events/s
//     and calls/s, and its share of the bare rate (target: at least 70 %);
//   - memory held per call in progress (target: under 4 KB).
// Usage: npm run bench   (node --expose-gc dist/bench/pipeline.js [copies])
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import AsteriskManager from 'asterisk-manager';
import pino from 'pino';
import { CallLog } from '../src/calls/call-log.js';
import { CallTracker } from '../src/calls/tracker.js';
import { openDb } from '../src/db/client.js';
import { AmiClient } from '../src/pbx/ami-client.js';
import { toPbxEvent } from '../src/pbx/ami-events.js';
import { serveAmi } from './ami-server.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = resolve(here, here.includes('/dist/') ? '../..' : '..');
const fixtures = join(root, 'tests/fixtures/ami');
const COPIES = Number(process.argv[2] ?? 400);
const silent = pino({ level: 'silent' });

/** Event blocks of every recorded scenario (no greeting, no action responses). */
function recordedBlocks(): string[] {
  const blocks: string[] = [];
  for (const f of readdirSync(fixtures).filter((n) => n.endsWith('.ami')).sort()) {
    const text = readFileSync(join(fixtures, f), 'utf8').replace(/\r\n/g, '\n');
    for (const b of text.split('\n\n')) if (b.startsWith('Event: ')) blocks.push(b);
  }
  return blocks;
}

const ID_HEADER = /^([A-Za-z]*(?:Uniqueid|Linkedid|UniqueID|LinkedID)): (.+)$/gm;
/** Ids inside CEL's Extra JSON (a bridge, the channels of a transfer): each copy gets its own too. */
const EXTRA_ID = /("(?:bridge_id|bridge1_id|bridge2_id|channel2_uniqueid|transferee_channel_uniqueid|transfer_target_channel_uniqueid)":")([^"]+)"/g;

/** `copies` copies of the recording, each with its own uniqueids and linkedids (distinct calls). */
function traffic(blocks: string[], copies: number): { text: string; events: number } {
  const one = (blocks.join('\n\n') + '\n\n').replace(/\n/g, '\r\n');
  const parts: string[] = [];
  for (let k = 0; k < copies; k++) {
    parts.push(one.replace(ID_HEADER, (_m, h: string, v: string) => `${h}: ${v}-${k}`).replace(EXTRA_ID, (_m, h: string, v: string) => `${h}${v}-${k}"`));
  }
  return { text: parts.join(''), events: blocks.length * copies };
}

/** The recording, then a BenchDone marker, to every socket that logs in. */
function server(payload: Buffer): Promise<{ port: number; close: () => void }> {
  return serveAmi((sock) => {
    setTimeout(() => {
      sock.write(payload);
      sock.write('Event: BenchDone\r\n\r\n');
    }, 50);
  });
}

async function bare(port: number): Promise<number> {
  return new Promise((done) => {
    const m = AsteriskManager(undefined, '127.0.0.1', 'bench', 'bench', true);
    let n = 0;
    let t0 = 0;
    m.on('managerevent', (e: Record<string, unknown>) => {
      if (n === 0) t0 = performance.now();
      if (e['event'] === 'BenchDone') {
        const s = (performance.now() - t0) / 1000;
        m.disconnect();
        done(n / s);
        return;
      }
      n++;
    });
    m.on('error', () => {});
    m.connect(port, '127.0.0.1', () => m.login(() => {}));
  });
}

async function pipeline(port: number): Promise<{ calls: number; seconds: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'cti-bench-'));
  const db = await openDb(process.env['CTI_BENCH_DATABASE_URL'] ?? join(dir, 'bench.sqlite'));
  const log = new CallLog({
    db: db.db, log: silent, extensionPattern: /^[0-9]{2,5}$/, region: 'RU',
    recordingsDir: dir, celFile: join(dir, 'none.csv'), reconcileIntervalMs: 3_600_000,
  });
  const ami = new AmiClient({ host: '127.0.0.1', port, user: 'bench', secret: 'bench', actionTimeoutMs: 5000 }, silent);
  let calls = 0;
  log.tracker.on('ended', () => calls++);
  // The service's path: AmiClient turns raw events into PbxEvents, the call log tracks and stores them.
  ami.on('event', (e) => log.handle(e));
  // BenchDone is no domain event: watch the raw stream (the same hook AmiClient uses) for first and last.
  const hook = ami as unknown as { onRaw(raw: Record<string, unknown>): void };
  const onRaw = hook.onRaw.bind(ami);
  const seconds = await new Promise<number>((done) => {
    let t0 = 0;
    hook.onRaw = (r) => {
      if (t0 === 0) t0 = performance.now();
      if (r['event'] === 'BenchDone') {
        // The last writes count too.
        void log.flush().then(() => done((performance.now() - t0) / 1000));
      }
      else onRaw(r);
    };
    ami.start();
  });
  await ami.stop();
  await log.stop();
  await db.close();
  rmSync(dir, { recursive: true, force: true });
  return { calls, seconds };
}

function memoryPerLiveCall(blocks: string[], calls: number): number {
  // The events of one answered inbound call up to the moment it is talking (no hangup yet).
  const inbound = readFileSync(join(fixtures, 'inbound-answered.ami'), 'utf8').replace(/\r\n/g, '\n').split('\n\n')
    .filter((b) => b.startsWith('Event: '));
  const cut = inbound.findIndex((b) => b.startsWith('Event: Hangup') || b.startsWith('Event: HangupRequest') || b.startsWith('Event: SoftHangupRequest')
    || (b.startsWith('Event: CEL') && /\nEventName: (HANGUP|BRIDGE_EXIT)\n/.test(b)));
  const open = inbound.slice(0, cut);
  const parse = (b: string) => Object.fromEntries(b.split('\n').map((l) => { const i = l.indexOf(': '); return [l.slice(0, i).toLowerCase(), l.slice(i + 2)]; }));
  const parsed = open.map(parse);
  const tracker = new CallTracker({ extensionPattern: /^[0-9]{2,5}$/, region: 'RU', log: silent });
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const before = process.memoryUsage().heapUsed;
  for (let k = 0; k < calls; k++) {
    for (const raw of parsed) {
      const copy: Record<string, string> = {};
      for (const [key, v] of Object.entries(raw)) {
        copy[key] = /uniqueid$|linkedid$/.test(key) ? `${v}-${k}` : key === 'extra' ? v.replace(EXTRA_ID, (_m, h: string, id: string) => `${h}${id}-${k}"`) : v;
      }
      const e = toPbxEvent(copy);
      if (e) tracker.handle(e);
    }
  }
  gc?.();
  gc?.();
  const after = process.memoryUsage().heapUsed;
  if (tracker.liveCount !== calls) throw new Error(`expected ${calls} live calls, have ${tracker.liveCount}`);
  void blocks;
  return (after - before) / calls;
}

async function main(): Promise<void> {
  const blocks = recordedBlocks();
  const { text, events } = traffic(blocks, COPIES);
  const payload = Buffer.from(text);
  console.log(`replay: ${blocks.length} recorded events x ${COPIES} copies = ${events} events, ${(payload.length / 1e6).toFixed(1)} MB`);
  const srv = await server(payload);
  const bareRates: number[] = [];
  const pipeRates: { ev: number; calls: number }[] = [];
  const only = process.env['BENCH_ONLY'];
  for (let i = 0; i < 3; i++) {
    if (only !== 'pipeline') bareRates.push(await bare(srv.port));
    if (only === 'bare') continue;
    const p = await pipeline(srv.port);
    pipeRates.push({ ev: events / p.seconds, calls: p.calls / p.seconds });
  }
  srv.close();
  const best = (xs: number[]) => Math.max(...xs);
  const bareBest = best(bareRates);
  const pipeBest = best(pipeRates.map((p) => p.ev));
  const callsBest = best(pipeRates.map((p) => p.calls));
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  console.log(`asterisk-manager bare parse : ${bareRates.map(fmt).join(' / ')} events/s (best ${fmt(bareBest)})`);
  console.log(`pipeline parse+track+store  : ${pipeRates.map((p) => fmt(p.ev)).join(' / ')} events/s (best ${fmt(pipeBest)}), ${fmt(callsBest)} calls/s`);
  console.log(`pipeline / bare             : ${((pipeBest / bareBest) * 100).toFixed(1)} % (target >= 70 %)`);
  if (only) return;
  const live = 10_000;
  const perCall = memoryPerLiveCall(blocks, live);
  console.log(`memory per call in progress : ${fmt(perCall)} bytes (${live} live calls; target < 4096)${(globalThis as { gc?: unknown }).gc ? '' : ' (run with --expose-gc for a steadier figure)'}`);
}

await main();
