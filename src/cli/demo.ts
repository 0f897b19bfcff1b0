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
import { databaseTarget, loadServiceConfig } from '../config/config.js';
import { openDb } from '../db/client.js';
import { calls } from '../db/schema/index.js';
import { DEMO_CLIENTS, DEMO_PASSWORD, DEMO_USERS } from '../demo/data.js';
import { DemoPickup, answeringPhones } from '../demo/phones.js';
import { ANSWERING_EXTENSIONS, DEMO_DIDS, nextDemoCall, phonesOfDecision, ringsFeatured, type DemoCall } from '../demo/traffic.js';
import { createLogger } from '../lib/logger.js';
import { toE164 } from '../lib/phone.js';
import { AmiClient } from '../pbx/ami-client.js';
import { decide, type CallerFacts } from '../routing/decide.js';
import { factsSource } from '../routing/facts.js';
import { parseRules } from '../routing/rules.js';
import { addUser, createToken, findUser } from '../users/users.js';
import { MAIN_PBX } from '../pbx/pbx-id.js';

export { DEMO_PASSWORD };

/** Undoes what the demo changed in the sandbox (the phones' answer mode), on SIGINT/SIGTERM. */
let stopDemo: () => Promise<void> = async () => {};

/** The sandbox's DID targets (sandbox/asterisk/extensions.conf, [cti-did-targets]). */
const didTarget = (did: string) => {
  const ext = /(101|102|103|198|199)$/.exec(did)?.[1];
  return ext ? `PJSIP/${ext}` : null;
};

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
  process.env['CTI_DEMO'] ??= 'true';
  const rulesFile = resolve(projectRoot, 'data/demo-routing.json');
  process.env['CTI_ROUTING_FILE'] ??= rulesFile;
  if (!existsSync(rulesFile)) {
    mkdirSync(dirname(rulesFile), { recursive: true, mode: 0o700 });
    const example = JSON.parse(readFileSync(resolve(projectRoot, 'config/routing.example.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(rulesFile, JSON.stringify({ ...example, managerRingSeconds: 10, targetRingSeconds: 15 }, null, 2), { mode: 0o600 });
  }
  const config = loadServiceConfig();

  // Demo users and a supervisor token to try the API with.
  const h = await openDb(databaseTarget(config));
  let token: string;
  try {
    for (const u of DEMO_USERS) if (!(await findUser(h.db, u.name))) await addUser(h.db, { ...u, password: DEMO_PASSWORD });
    const ctx = { db: h.db, actor: SYSTEM_ACTOR, region: config.CTI_DEFAULT_REGION, rematchWindowMs: 30 * 86_400_000 };
    for (const c of DEMO_CLIENTS) {
      await upsertClientByExternalId(ctx, c.ext, { kind: 'company', name: c.name, turnover: c.turnover, currency: 'RUB', ownerName: c.owner });
      for (const [i, p] of c.contacts.entries()) {
        await upsertContactByExternalId(ctx, `${c.ext}-${i + 1}`, { clientExternalId: c.ext, name: p.name, phones: p.phones });
      }
    }
    token = await createToken(h.db, 'sveta');
  } finally {
    await h.close();
  }

  const { runServer } = await import('../server.js');
  await runServer(process.env, () => stopDemo());
  const base = `http://${config.CTI_HTTP_HOST}:${config.CTI_HTTP_PORT}`;
  console.log(`\nservice on ${base}  (API docs: ${base}/api/docs)`);
  console.log(`log in at ${base} with password ${DEMO_PASSWORD} as: anna, boris, olga (managers, phones 101-103),`);
  console.log('  denis (manager, phone 198 never answers), sveta (supervisor: reports, live board), admin (users, routing)');
  console.log(`supervisor token: ${token}`);
  console.log(`try: curl -s -H "Authorization: Bearer ${token}" ${base}/api/v1/calls | head -c 600\n`);

  // Demo traffic through the sandbox user: one call per manager at a time (its own calls in flight and
  // the phones' device states say who is free), anna's phone rung often (src/demo/traffic.ts).
  const ami = new AmiClient({
    host: config.CTI_AMI_HOST, port: config.CTI_AMI_PORT, actionTimeoutMs: 5000,
    user: process.env['CTI_SANDBOX_AMI_USER'] ?? '', secret: process.env['CTI_SANDBOX_AMI_SECRET'] ?? '',
  }, createLogger('warn', 'demo'));
  const view = await openDb(databaseTarget(config), { migrate: false });
  const facts = factsSource(view.db);
  // The rules as the service has them now (an admin may change them in the browser).
  let rules = parseRules(JSON.parse(readFileSync(config.CTI_ROUTING_FILE, 'utf8')));
  // The demo clients' facts are read before each tick (the database is async); any other caller is nobody's.
  const known = new Map<string, CallerFacts>();
  const nobody: CallerFacts = { client: null, priorManagerExtension: null, ownerExtension: null };
  const route = (from: string, did: string) => phonesOfDecision(decide(rules, known.get(from) ?? nobody, didTarget(did)));
  const inFlight = new Map<string, { phones: string[]; until: number }>();
  const deviceBusy = new Set<string>();
  let lastFeaturedAt: number | null = null;
  const noteDevice = (d: { tech: string; resource: string; state: string }) => {
    if (d.tech !== 'PJSIP') return;
    if (['in_use', 'busy', 'ringing', 'ringing_in_use', 'on_hold'].includes(d.state)) deviceBusy.add(d.resource);
    else deviceBusy.delete(d.resource);
  };
  ami.on('event', (e) => {
    if (e.type === 'channel.hangup') inFlight.delete(e.uniqueId);
    else if (e.type === 'originate.response' && !e.success && e.uniqueId) inFlight.delete(e.uniqueId);
    else if (e.type === 'device.state') noteDevice(e);
  });
  // The phones' states now, at every (re)connect: a call left from an earlier run (the demo stopped and
  // started again mid-call) keeps its phone busy until it ends. No demo call before the first answer.
  let synced = false;
  ami.on('ready', () => {
    ami.deviceStates().then((states) => { states.forEach(noteDevice); synced = true; },
      (err: Error) => { console.error(`demo: the phones' states: ${err.message}`); synced = true; });
  });
  ami.start();
  const pickup = new DemoPickup(() => 2000 + randomInt(0, 3001));
  await pickup.start(answeringPhones(process.env['CTI_SANDBOX_PHONES'] ?? '', ANSWERING_EXTENSIONS))
    .catch((err: Error) => console.error(`demo: the phones answer at once (their control port: ${err.message})`));
  stopDemo = () => pickup.stop();
  const tick = async () => {
    if (!synced) return;
    const now = Date.now();
    try { rules = parseRules(JSON.parse(readFileSync(config.CTI_ROUTING_FILE, 'utf8'))); } catch { /* keep the last good rules */ }
    for (const [id, c] of inFlight) if (c.until < now) inFlight.delete(id); // a hangup we missed
    try {
      for (const c of DEMO_CLIENTS) known.set(c.phone, await facts(MAIN_PBX, toE164(c.phone, config.CTI_DEFAULT_REGION), rules.priorManager.windowDays));
    } catch (err) {
      console.error(`demo: routing facts: ${(err as Error).message}`);
      return;
    }
    const busy = new Set([...deviceBusy, ...[...inFlight.values()].flatMap((c) => c.phones)]);
    const call = nextDemoCall({ now, busy, lastFeaturedAt }, { clients: DEMO_CLIENTS, random: (n) => randomInt(0, n), route });
    if (!call) return;
    const id = randomUUID();
    inFlight.set(id, { phones: call.phones, until: now + 10 * 60_000 });
    if (ringsFeatured(call)) lastFeaturedAt = now;
    try {
      await ami.action(originateOf(call, id));
    } catch (err) {
      inFlight.delete(id);
      console.error(`demo call failed: ${(err as Error).message}`);
    }
  };
  setInterval(() => void tick(), 4000).unref();
  setTimeout(() => void tick(), 1500).unref();

  // Print each call as it is logged.
  const printed = new Set<string>();
  let printing = false;
  setInterval(() => {
    if (printing) return;
    printing = true;
    void printEnded().catch((err: Error) => console.error(`demo: reading the call log: ${err.message}`)).finally(() => { printing = false; });
  }, 1000);
  const printEnded = async () => {
    const rows = (await view.db.select().from(calls).where(eq(calls.state, 'ended')).orderBy(desc(calls.endedAt)).limit(20)).reverse();
    for (const c of rows) {
      if (printed.has(c.id)) continue;
      printed.add(c.id);
      const t = new Date(c.startedAt).toISOString().slice(11, 19);
      console.log(`${t}  ${c.direction.padEnd(8)} ${String(c.externalNumber ?? '').padEnd(13)} ext ${c.extension ?? '-'}  ${String(c.disposition).padEnd(9)} ring ${Math.round(c.ringMs / 1000)}s talk ${Math.round(c.talkMs / 1000)}s${c.routedBy ? `  routed: ${c.routedBy}` : ''}${c.recordingFile && c.talkMs > 0 ? '  recorded' : ''}`);
    }
  };
  console.log('calls appear below as they end (Ctrl-C to stop; `node bin/cti.js pbx down` stops the PBX)');
}

/**
 * The AMI Originate of a demo call. Inbound: Local/<DID>@cti-inbound, whose ;1 half is the client in
 * sandbox-caller; TALK (copied to both halves of the Local channel) makes it hang up that long after the
 * answer, wherever routing sent the call. Without it the client stays on, and the call ends only when
 * the sandbox phone's 120 s tone file runs out (baresip: "audio error (0,end of file)"): the demo's
 * calls of exactly 2:00. Click-to-call: the manager's phone rings first, then the client; _TALK is
 * inherited down to the simulated client in sandbox-pstn.
 */
export function originateOf(call: DemoCall, channelId: string): Record<string, unknown> {
  if (call.kind === 'inbound') {
    return {
      action: 'Originate', channel: `Local/${call.did}@cti-inbound`, context: 'sandbox-caller', exten: 's', priority: 1,
      callerid: `"Client" <${call.from}>`, async: 'true', timeout: 30_000, channelid: channelId,
      variable: { TALK: String(call.talkSeconds) },
    };
  }
  return {
    action: 'Originate', channel: `PJSIP/${call.extension}`, context: 'cti-click2call', exten: call.to.replace(/^\+/, ''), priority: 1,
    callerid: `"Click to call" <${call.extension}>`, async: 'true', timeout: 30_000, channelid: channelId,
    variable: { _TALK: String(call.talkSeconds) },
  };
}
