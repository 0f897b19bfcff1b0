// Real calls on the sandbox PBX against the real service, as separate processes (`node bin/cti.js serve`
// with the sandbox's env; recordings on, as the dialplan has them). Prints figures, no assertions.
// Every call is an inbound call from a number of its own (AMI Originate, as tests/support/sandbox.ts
// inboundCall) to a DID that rings one of the auto-answering phones 101-103, talks --talk s on average
// and is replaced by a new one when it ends. The managers of those phones have socket.io clients open
// (bench/pop-sockets.ts, a worker thread): a pop's latency is Asterisk's DialBegin Timestamp to the
// call:ringing arriving there. Afterwards every call is compared with Asterisk's CDR (the Dial row to
// the phone): logged once, ended, disposition, talk and ring seconds within 1 s.
//
//   ramp (default): 10 (or --start), 20, then +STEP concurrent calls up to --max, each step held --seconds s; per step
//     CPU of Asterisk, the phones, the service, this bench and the whole machine, calls that agree with
//     the CDR, pop p50/p99, the service's RSS; stops at the first step where calls fail, a call
//     disagrees with the CDR, a pop is missing or the machine's CPU is saturated (>= 95 %).
//   --soak --minutes 10 --concurrency 40: one steady load; RSS and heap (after GC) every minute.
//   --instances 2 --sockets 1000: CTI_CLUSTER=true on PostgreSQL (CTI_BENCH_DATABASE_URL), the sockets
//     half on each instance (two tabs per manager, one on each; the managers of 101-103 among them),
//     --concurrency calls for --seconds s; pop latency on the leader's sockets vs the follower's.
// The sandbox must take many calls per phone: CTI_SANDBOX_PHONE_CALLS=60 sandbox/pbx.sh up.
//
// Usage: npm run bench:calls [-- --start 10 --max 200 --step 20 --seconds 45 --talk 15]
//        npm run bench:calls -- --soak --minutes 10 --concurrency 40
//        CTI_BENCH_DATABASE_URL=postgres://... npm run bench:calls -- --instances 2 --sockets 1000 --concurrency 20 --seconds 60
import { availableParallelism } from 'node:os';
import { closeSandbox, loadSandboxEnv } from '../tests/support/sandbox.js';
import { arg } from './replay.js';
import { CallDriver, compareWithCdr, formatAgreement, popFigures } from './sandbox-calls.js';
import {
  benchDatabase, CpuMeter, formatCpu, mb, p50p99, PHONES, PopSockets, rotateSandboxLogs, rssOf, sandboxProcesses, seedManagers, sleep,
  startInstance, type Instance,
} from './sandbox-load.js';

const soak = process.argv.includes('--soak');
const instances = arg('instances', 1);
const talk = arg('talk', 15);
const tabs = 2;
const cores = availableParallelism();
const sockets = arg('sockets', instances > 1 ? 1000 : PHONES.length * tabs);

const env = loadSandboxEnv();
const phoneCalls = Number(env['CTI_SANDBOX_PHONE_CALLS'] ?? 4);
const earlier = rotateSandboxLogs();
const db = await benchDatabase();
if (instances > 1 && db.engine !== 'postgres') throw new Error('--instances 2 shares one PostgreSQL: set CTI_BENCH_DATABASE_URL=postgres://...');
// The managers of the phones first, then idle ones (extensions 2000 and up) until there are enough tabs.
const managers = [...PHONES, ...Array.from({ length: Math.max(0, Math.ceil(sockets / tabs) - PHONES.length) }, (_, i) => String(2000 + i))];
const seeded = await seedManagers(db, managers, tabs);
const running: Instance[] = [];
// Interrupted: the services go too (the calls in progress end by themselves).
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { for (const s of running) s.proc.kill('SIGKILL'); process.exit(130); });
/** The instances (the first one leads) and the browsers on them; on a failure, what started is stopped. */
async function setUp(): Promise<{ roles: (string | undefined)[]; browsers: PopSockets }> {
  try {
    for (let n = 0; n < instances; n++) {
      const inst = await startInstance(db, seeded, n, instances > 1);
      running.push(inst);
      // The first one leads: wait for it before the next joins as a follower.
      for (let i = 0; instances > 1 && n === 0 && i < 100 && (await inst.role()) !== 'leader'; i++) await sleep(200);
    }
    const roles = await Promise.all(running.map((s) => s.role()));
    const specs = seeded.sessions.slice(0, sockets).map((s, i) => ({ url: running[i % instances]!.url, cookie: s.cookie, extension: s.extension, instance: i % instances }));
    return { roles, browsers: await PopSockets.open(specs) };
  } catch (err) {
    for (const s of running) await s.kill9();
    await db.drop();
    throw err;
  }
}
const { roles, browsers } = await setUp();
const driver = new CallDriver();
await driver.start();
const sandbox = sandboxProcesses();
const cpu = new CpuMeter({ asterisk: sandbox.asterisk, phones: sandbox.phones, ...Object.fromEntries(running.map((s, i) => [`service${instances > 1 ? `#${i} (${roles[i]})` : ''}`, [s.proc.pid!]])), bench: [process.pid] });
console.log(`${cores} cores; sandbox ${env['CTI_AMI_PORT']} (phones 101-103 take ${phoneCalls} calls each), ${db.engine}, ${instances} instance(s) ${roles.join(', ')}, `
  + `${browsers.specs.length} sockets (${managers.length} managers, ${tabs} tabs each), talk ${talk / 2}-${talk * 1.5} s a call; `
  + `the sandbox's CDR and CEL logs moved aside (${earlier} CDR rows of earlier calls)`);

async function memoryLine(): Promise<string> {
  const ms = await Promise.all(running.map((s) => s.memory()));
  return [...ms.map((m, i) => `service${instances > 1 ? `#${i}` : ''} RSS ${mb(m?.rss ?? rssOf(running[i]!.proc.pid!))}, heap ${m ? mb(m.heapUsed) : '?'}`),
    `asterisk RSS ${mb(rssOf(sandbox.asterisk[0]!))}`].join('; ');
}

function popLine(calls: Parameters<typeof popFigures>[0]): { line: string; missing: number } {
  const p = popFigures(calls, browsers, instances);
  const per = [...p.latencies].map(([i, xs]) => `${instances > 1 ? `on #${i} (${roles[i]}) ` : ''}${p50p99(xs)}`).join('; ');
  return { line: `pop ${per}${p.missing ? `, ${p.missing} missing` : ''}; DialBegin to the bench's AMI client ${p50p99(p.amiDelivery)}`, missing: p.missing };
}

try {
  if (soak) {
    const minutes = arg('minutes', 10);
    const concurrency = arg('concurrency', 40);
    console.log(`soak: ${concurrency} calls in progress for ${minutes} min`);
    console.log(`start: ${await memoryLine()}`);
    let minute = 0;
    let steadyAt = 0;
    const calls = await driver.run({
      concurrency, seconds: minutes * 60, talk,
      onSteady: () => { steadyAt = Date.now(); cpu.start(); },
      onTick: async (inProgress) => {
        if (!steadyAt || Date.now() - steadyAt < (minute + 1) * 60_000) return;
        minute++;
        console.log(`minute ${minute}: ${inProgress} in progress, ${driver.calls.length} calls placed; CPU ${formatCpu(cpu.read())}; ${await memoryLine()}`);
        cpu.start();
      },
    });
    console.log(`end (calls over): ${await memoryLine()}`);
    console.log(formatAgreement(await compareWithCdr(running[0]!, seeded.supervisorToken, calls)));
    console.log(popLine(calls).line);
  } else if (instances > 1) {
    const concurrency = arg('concurrency', 20);
    const seconds = arg('seconds', 60);
    const calls = await driver.run({ concurrency, seconds, talk, onSteady: () => cpu.start() });
    console.log(`${concurrency} calls in progress for ${seconds} s: CPU ${formatCpu(cpu.read())}`);
    console.log(formatAgreement(await compareWithCdr(running[1]!, seeded.supervisorToken, calls)));
    console.log(popLine(calls).line);
    console.log(await memoryLine());
  } else {
    const max = arg('max', 200);
    const step = arg('step', 20);
    const seconds = arg('seconds', 45);
    for (let n = arg('start', 10); n <= max; n = n < 20 ? 20 : n + step) {
      if (n > phoneCalls * PHONES.length) { console.log(`${n}: more than the phones take (CTI_SANDBOX_PHONE_CALLS=${phoneCalls} each); stop`); break; }
      let rss = 0;
      const calls = await driver.run({
        concurrency: n, seconds, talk, onSteady: () => cpu.start(),
        onTick: () => { rss = Math.max(rss, rssOf(running[0]!.proc.pid!)); },
      });
      const c = cpu.read();
      const a = await compareWithCdr(running[0]!, seeded.supervisorToken, calls);
      const pop = popLine(calls);
      console.log(`${n} calls in progress: CPU ${formatCpu(c)} | ${formatAgreement(a)} | ${pop.line} | service RSS max ${mb(rss)}`);
      // Saturated: the machine's CPU is (it includes whatever else runs on it) and the sandbox, the
      // service and the bench use at least half of it, or they use 85 % of all cores by themselves.
      const ours = Object.entries(c).filter(([k]) => k !== 'machine').reduce((s, [, v]) => s + v, 0);
      const why = [a.failed && 'calls failed', a.agree < a.placed - a.failed && 'calls disagree with the CDR', pop.missing && 'pops missing',
        (ours >= 85 * cores || (c['machine']! >= 95 && ours >= 50 * cores)) && `the CPU is saturated (the sandbox, the service and the bench use ${ours.toFixed(0)} % of ${cores} cores)`].filter(Boolean);
      if (why.length) { console.log(`stop at ${n}: ${why.join(', ')}`); break; }
    }
  }
} finally {
  driver.stop();
  await browsers.close();
  for (const s of running) await s.stop();
  await closeSandbox();
  await db.drop();
}
process.exit(0);
