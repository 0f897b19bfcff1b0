// Routing at scale: builds a database with 1,000,000 contacts (one client and one number each) and
// 10,000,000 calls, then times the real decision path the Stasis application runs for each inbound
// call: StasisStart received -> facts (caller-ID match, prior manager, owner) -> decision -> CTI_ROUTE
// encoded, i.e. the moment `continue` is sent (the two loopback ARI requests themselves are timed on
// the real sandbox in tests/integration/routing.test.ts logs). Also the caller-ID lookup alone.
// Usage: npm run bench:routing [contacts] [calls]     (the database is cached under bench/out/)
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pino from 'pino';
import { openDb } from '../src/db/client.js';
import { matchNumber } from '../src/contacts/match.js';
import { factsSource } from '../src/routing/facts.js';
import { Router } from '../src/routing/router.js';
import { RulesStore } from '../src/routing/rules.js';
import { encodeRoute } from '../src/pbx/stasis.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = resolve(here, here.includes('/dist/') ? '../..' : '..');
const CONTACTS = Number(process.argv[2] ?? 1_000_000);
const CALLS = Number(process.argv[3] ?? 10_000_000);
const outDir = join(root, 'bench/out');
const dbFile = join(outDir, `routing-${CONTACTS}-${CALLS}.sqlite`);
const silent = pino({ level: 'silent' });
const number = (i: number) => `+7916${String(i).padStart(7, '0')}`;

async function build(): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  for (const f of [dbFile, `${dbFile}-wal`, `${dbFile}-shm`]) rmSync(f, { force: true });
  await (await openDb(dbFile)).close(); // schema by the real migrations
  const db = new Database(dbFile);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const t0 = performance.now();
  const now = Date.now();
  const users = ['101', '102', '103', '104', '105'];
  const insUser = db.prepare("insert into users (id, name, role, extension, language, created_at) values (?, ?, 'manager', ?, 'ru', ?)");
  for (const e of users) insUser.run(`u${e}`, `m${e}`, e, now);
  const insClient = db.prepare("insert into clients (id, kind, name, turnover_minor, currency, owner_id, search, created_at, updated_at) values (?, 'company', ?, ?, 'RUB', ?, ?, ?, ?)");
  const insContact = db.prepare('insert into contacts (id, client_id, name, search, created_at, updated_at) values (?, ?, ?, ?, ?, ?)');
  const insPhone = db.prepare('insert into contact_phones (id, contact_id, raw, e164, label) values (?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (let i = 0; i < CONTACTS; i++) {
      const turnover = (i % 1000) * 1000 * 100; // 0 .. 999,000 RUB in kopecks
      const owner = i % 3 === 0 ? null : `u${users[i % users.length]}`;
      insClient.run(`cl${i}`, `Client ${i}`, turnover, owner, `client ${i}`, now, now);
      insContact.run(`ct${i}`, `cl${i}`, `Contact ${i}`, `contact ${i}`, now, now);
      insPhone.run(`p${i}`, `ct${i}`, number(i), number(i), 'work');
    }
  })();
  const t1 = performance.now();
  // manager_id: the user on the extension, as the call log writes it (src/users/directory.ts).
  const insCall = db.prepare(`insert into calls (id, linked_id, state, source, needs_cdr, direction, external_number, extension, manager_id, contact_id, client_id,
    started_at, answered_at, ended_at, ring_ms, talk_ms, disposition, merged_linked_ids, updated_at)
    values (?, ?, 'ended', 'ami', 0, 'inbound', ?, ?, ?, ?, ?, ?, ?, ?, 5000, 60000, ?, '', ?)`);
  const batch = 200_000;
  for (let b = 0; b < CALLS; b += batch) {
    db.transaction(() => {
      for (let i = b; i < Math.min(CALLS, b + batch); i++) {
        const c = (i * 7919) % CONTACTS;
        const started = now - (i % (400 * 86_400)) * 1000;
        const answered = i % 4 !== 0;
        insCall.run(`call${i}`, `L${i}`, number(c), users[i % users.length], `u${users[i % users.length]}`, `ct${c}`, `cl${c}`, started,
          answered ? started + 5000 : null, started + 65_000, answered ? 'answered' : 'no_answer', now);
      }
    })();
  }
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.exec('analyze');
  db.close();
  console.log(`built ${dbFile}: ${CONTACTS.toLocaleString('en-US')} contacts in ${((t1 - t0) / 1000).toFixed(1)} s, ${CALLS.toLocaleString('en-US')} calls in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

async function main(): Promise<void> {
  if (!existsSync(dbFile)) await build();
  else console.log(`using cached ${dbFile}`);
  const h = await openDb(dbFile);
  const rulesFile = join(outDir, 'routing-bench-rules.json');
  const rules = new RulesStore(rulesFile, silent);
  rules.replace({
    defaultTarget: { extension: '101' },
    tiers: [{ name: 'retail', minTurnover: 0, target: { extension: '103' } }, { name: 'wholesale', minTurnover: 100_000, target: { extension: '102' } }],
  });
  const router = new Router({ pbxId: 'main', rules, facts: factsSource(h.db), region: 'RU', log: silent });
  const N = 20_000;
  const lookups: number[] = [];
  const decisions: number[] = [];
  const routedBy = new Map<string, number>();
  // Warm-up, then measure; every tenth caller is unknown.
  for (let i = 0; i < 2000; i++) await matchNumber(h.db, number((i * 104_729) % CONTACTS));
  for (let i = 0; i < N; i++) {
    const c = (i * 104_729) % CONTACTS;
    const caller = i % 10 === 0 ? `+7495${String(i).padStart(7, '0')}` : number(c);
    const t0 = performance.now();
    await matchNumber(h.db, caller);
    lookups.push(performance.now() - t0);
    const s0 = performance.now();
    const reply = await router.route({ channelId: `ch${i}`, callerNumber: caller.replace('+7', '8'), did: '74950000000', didTarget: null, receivedAt: s0, leftover: false });
    encodeRoute(reply);
    decisions.push(performance.now() - s0);
    const why = reply.first?.routedBy ?? reply.then.routedBy;
    routedBy.set(why, (routedBy.get(why) ?? 0) + 1);
  }
  const f = (x: number) => x.toFixed(3);
  console.log(`caller-ID lookup      : p50 ${f(pct(lookups, 50))} ms, p99 ${f(pct(lookups, 99))} ms, max ${f(Math.max(...lookups))} ms (${N} lookups)`);
  console.log(`routing decision      : p50 ${f(pct(decisions, 50))} ms, p99 ${f(pct(decisions, 99))} ms, max ${f(Math.max(...decisions))} ms (StasisStart -> continue; target p99 <= 5 ms)`);
  console.log(`decisions by reason   : ${[...routedBy].map(([k, v]) => `${k} ${v}`).join(', ')}`);
  await h.close();
}

await main();
