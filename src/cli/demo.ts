// `cti demo`: the sandbox PBX, the service, and demo calls flowing, so the log fills as you watch.
// Demo traffic is made with the sandbox's own AMI user (test driver rights), never the service's.
import { spawnSync } from 'node:child_process';
import { randomInt, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { upsertClientByExternalId } from '../contacts/clients.js';
import { upsertContactByExternalId } from '../contacts/contacts.js';
import { SYSTEM_ACTOR } from '../contacts/context.js';
import { desc, eq } from 'drizzle-orm';
import { loadServiceConfig } from '../config/config.js';
import { openDb } from '../db/client.js';
import { calls } from '../db/schema/index.js';
import { createLogger } from '../lib/logger.js';
import { AmiClient } from '../pbx/ami-client.js';
import { addUser, createToken, findUser } from '../users/users.js';

const DEMO_USERS = [
  { name: 'anna', role: 'manager', extension: '101' },
  { name: 'boris', role: 'manager', extension: '102' },
  { name: 'olga', role: 'manager', extension: '103' },
  // The sandbox's phone 198 never answers: denis collects missed calls and callback tasks.
  { name: 'denis', role: 'manager', extension: '198' },
  { name: 'sveta', role: 'supervisor', extension: null },
  { name: 'admin', role: 'admin', extension: null },
] as const;
export const DEMO_PASSWORD = 'demo-password';

/** Demo clients: routing sends their calls to the owner, the prior manager or by turnover. */
const DEMO_CLIENTS = [
  { ext: 'demo-romashka', name: 'ООО «Ромашка»', turnover: 2_000, owner: 'anna', phone: '+79160000001' },
  { ext: 'demo-vector', name: 'АО «Вектор Опт»', turnover: 250_000, owner: null, phone: '+79160000002' },
  { ext: 'demo-lotus', name: 'Lotus Trading', turnover: 40_000, owner: 'boris', phone: '+79160000003' },
  { ext: 'demo-smirnova', name: 'ИП Смирнова', turnover: 15_000, owner: 'olga', phone: '+79160000004' },
] as const;

/** Half the demo calls come from known clients, half from numbers nobody knows. */
const randomClient = () =>
  randomInt(0, 2) === 0 ? DEMO_CLIENTS[randomInt(0, DEMO_CLIENTS.length)]!.phone : `+7916${String(randomInt(10, 10_000_000)).padStart(7, '0')}`;

export async function runDemo(projectRoot: string): Promise<void> {
  const up = spawnSync('bash', [resolve(projectRoot, 'sandbox/pbx.sh'), 'up'], { stdio: 'inherit' });
  if (up.status !== 0) {
    console.error('cti demo: the sandbox PBX did not come up (see above)');
    process.exit(1);
  }
  const envFile = resolve(process.env['CTI_PBX_DIR'] ?? resolve(projectRoot, '.pbx'), 'sandbox.env');
  if (!existsSync(envFile)) throw new Error(`${envFile} missing after pbx up`);
  const keep = { ...process.env };
  process.loadEnvFile(envFile);
  Object.assign(process.env, keep);
  process.env['CTI_DB_FILE'] ??= resolve(projectRoot, 'data/demo.sqlite');
  process.env['CTI_LOG_LEVEL'] ??= 'warn';
  const rulesFile = resolve(projectRoot, 'data/demo-routing.json');
  process.env['CTI_ROUTING_FILE'] ??= rulesFile;
  if (!existsSync(rulesFile)) {
    mkdirSync(dirname(rulesFile), { recursive: true, mode: 0o700 });
    const example = JSON.parse(readFileSync(resolve(projectRoot, 'config/routing.example.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(rulesFile, JSON.stringify({ ...example, managerRingSeconds: 10, targetRingSeconds: 15 }, null, 2), { mode: 0o600 });
  }
  const config = loadServiceConfig();

  // Demo users and a supervisor token to try the API with.
  const h = openDb(config.CTI_DB_FILE);
  for (const u of DEMO_USERS) if (!findUser(h.db, u.name)) await addUser(h.db, { ...u, password: DEMO_PASSWORD });
  const ctx = { db: h.db, actor: SYSTEM_ACTOR, region: config.CTI_DEFAULT_REGION, rematchWindowMs: 30 * 86_400_000 };
  for (const c of DEMO_CLIENTS) {
    upsertClientByExternalId(ctx, c.ext, { kind: 'company', name: c.name, turnover: c.turnover, currency: 'RUB', ownerName: c.owner });
    upsertContactByExternalId(ctx, `${c.ext}-1`, { clientExternalId: c.ext, name: `${c.name}: contact`, phones: [{ number: c.phone, label: 'work' }] });
  }
  const token = createToken(h.db, 'sveta');
  h.close();

  const { runServer } = await import('../server.js');
  await runServer();
  const base = `http://${config.CTI_HTTP_HOST}:${config.CTI_HTTP_PORT}`;
  console.log(`\nservice on ${base}  (API docs: ${base}/api/docs)`);
  console.log(`log in at ${base} with password ${DEMO_PASSWORD} as: anna, boris, olga (managers, phones 101-103),`);
  console.log('  denis (manager, phone 198 never answers), sveta (supervisor: reports, live board), admin (users, routing)');
  console.log(`supervisor token: ${token}`);
  console.log(`try: curl -s -H "Authorization: Bearer ${token}" ${base}/api/v1/calls | head -c 600\n`);

  // Demo traffic through the sandbox user.
  const ami = new AmiClient({
    host: config.CTI_AMI_HOST, port: config.CTI_AMI_PORT, actionTimeoutMs: 5000,
    user: process.env['CTI_SANDBOX_AMI_USER'] ?? '', secret: process.env['CTI_SANDBOX_AMI_SECRET'] ?? '',
  }, createLogger('warn', 'demo'));
  ami.start();
  const scenarios = [
    { weight: 4, run: () => inbound(ami, '74950000000', randomInt(3, 12)) },
    { weight: 1, run: () => inbound(ami, '74950000198', 0) },
    { weight: 1, run: () => inbound(ami, '74950000199', 0) },
    { weight: 2, run: () => clickToCall(ami, pick(['101', '102', '103'])) },
  ];
  const total = scenarios.reduce((a, s) => a + s.weight, 0);
  const tick = async () => {
    let r = randomInt(0, total);
    const s = scenarios.find((x) => (r -= x.weight) < 0) ?? scenarios[0];
    try {
      await s?.run();
    } catch (err) {
      console.error(`demo call failed: ${(err as Error).message}`);
    }
  };
  setInterval(() => void tick(), 6000).unref();
  setTimeout(() => void tick(), 1500).unref();

  // Print each call as it is logged.
  const view = openDb(config.CTI_DB_FILE, { migrate: false });
  const printed = new Set<string>();
  setInterval(() => {
    const rows = view.db.select().from(calls).where(eq(calls.state, 'ended')).orderBy(desc(calls.endedAt)).limit(20).all().reverse();
    for (const c of rows) {
      if (printed.has(c.id)) continue;
      printed.add(c.id);
      const t = new Date(c.startedAt).toISOString().slice(11, 19);
      console.log(`${t}  ${c.direction.padEnd(8)} ${String(c.externalNumber ?? '').padEnd(13)} ext ${c.extension ?? '-'}  ${String(c.disposition).padEnd(9)} ring ${Math.round(c.ringMs / 1000)}s talk ${Math.round(c.talkMs / 1000)}s${c.routedBy ? `  routed: ${c.routedBy}` : ''}${c.recordingFile && c.talkMs > 0 ? '  recorded' : ''}`);
    }
  }, 1000);
  console.log('calls appear below as they end (Ctrl-C to stop; `node bin/cti.js pbx down` stops the PBX)');
}

function pick<T>(xs: readonly T[]): T {
  return xs[randomInt(0, xs.length)] as T;
}

/** A client calls a DID through the trunk context; the sandbox routes DID ...101 to extension 101. */
function inbound(ami: AmiClient, did: string, talkSeconds: number) {
  return ami.action({
    action: 'Originate', channel: `Local/${did}@cti-inbound`, context: 'sandbox-caller', exten: 's', priority: 1,
    callerid: `"Client" <${randomClient()}>`, async: 'true', timeout: 30_000, channelid: randomUUID(),
    variable: talkSeconds > 0 ? { TALK: String(talkSeconds) } : undefined,
  });
}

/** Click-to-call: the manager's phone rings first, then the client (context cti-click2call). */
function clickToCall(ami: AmiClient, ext: string) {
  return ami.action({
    action: 'Originate', channel: `PJSIP/${ext}`, context: 'cti-click2call', exten: randomClient().slice(1), priority: 1,
    callerid: `"Click to call" <${ext}>`, async: 'true', timeout: 30_000, channelid: randomUUID(),
    // Inherited (_) down to the simulated client in sandbox-pstn, which hangs up after TALK seconds.
    variable: { _TALK: String(randomInt(5, 25)) },
  });
}
