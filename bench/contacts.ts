// Contacts at scale. Prints figures, asserts nothing:
//   - CSV import of 1,000,000 rows (a Russian-Excel-style file: BOM, semicolons) into an empty
//     database: elapsed seconds, rows/s, and RSS sampled during the import (target: under 60 s, flat);
//   - caller-ID lookup with 1,000,000 contacts (and 1,000,000 calls) in the database: matchNumber
//     (what the call log and routing use, E.164 in) and the whole API lookup from a formatted number,
//     p50 / p99 / p99.9 / max.
// Usage: npm run bench:contacts   (node --expose-gc dist/bench/contacts.js [contacts] [csvRows]; contacts 0:
// the import only). PostgreSQL: CTI_BENCH_DATABASE_URL=postgres://... (an empty database) imports into it,
// then times the lookups on the imported contacts (no calls: the generator below writes SQLite only).
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import type Database from 'better-sqlite3';
import { SYSTEM_ACTOR } from '../src/contacts/context.js';
import { importContacts } from '../src/contacts/import.js';
import { lookupNumber } from '../src/contacts/lookup.js';
import { matchNumber } from '../src/contacts/match.js';
import { isPostgresUrl, openDb, type DbHandle } from '../src/db/client.js';
import { users } from '../src/db/schema/index.js';
import { newId } from '../src/lib/ids.js';
import { addUser } from '../src/users/users.js';

const CONTACTS = Number(process.argv[2] ?? 1_000_000);
const CSV_ROWS = Number(process.argv[3] ?? 1_000_000);
const CONTACTS_PER_CLIENT = 5;
const PG_URL = process.env['CTI_BENCH_DATABASE_URL'];
if (PG_URL !== undefined && !isPostgresUrl(PG_URL)) throw new Error('CTI_BENCH_DATABASE_URL: a postgres:// URL');
const dir = mkdtempSync(join(tmpdir(), 'cti-bench-contacts-'));
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;

/** The n-th mobile number, +7 9xx xxx xx xx: distinct for n < 1,000,000,000. */
const e164Of = (n: number) => `+79${String(1_000_000_000 + n).slice(1)}`;
/** The n-th client's office switchboard, +7 495 xxx xx xx. */
const boardOf = (c: number) => `+7495${String(10_000_000 + c).slice(1)}`;

function percentiles(ns: number[]): string {
  ns.sort((a, b) => a - b);
  const at = (p: number) => ns[Math.min(ns.length - 1, Math.floor(p * ns.length))]! / 1000;
  return `p50 ${at(0.5).toFixed(1)} µs, p99 ${at(0.99).toFixed(1)} µs, p99.9 ${at(0.999).toFixed(1)} µs, max ${(ns.at(-1)! / 1000).toFixed(0)} µs (${ns.length} lookups)`;
}

async function lookupBench(): Promise<void> {
  const h = await openDb(join(dir, 'lookup.sqlite'));
  const owner = await addUser(h.db, { name: 'anna', role: 'manager', extension: '101' });
  const sqlite = (h.db as unknown as { $client: Database.Database }).$client;
  const t0 = performance.now();
  const now = Date.now();
  // Generation only: raw prepared inserts in one transaction (the schema is the migrated one).
  const insClient = sqlite.prepare('insert into clients (id, kind, name, turnover_minor, currency, owner_id, segment, external_id, search, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const insContact = sqlite.prepare('insert into contacts (id, client_id, name, email, external_id, search, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?)');
  const insPhone = sqlite.prepare('insert into contact_phones (id, contact_id, raw, e164, label) values (?, ?, ?, ?, ?)');
  const insCall = sqlite.prepare("insert into calls (id, linked_id, state, source, direction, external_number, extension, contact_id, client_id, started_at, answered_at, ended_at, disposition, updated_at) values (?, ?, 'ended', 'ami', 'inbound', ?, '101', ?, ?, ?, ?, ?, ?, ?)");
  const contactIds: string[] = new Array(CONTACTS);
  const clientIds: string[] = new Array(Math.ceil(CONTACTS / CONTACTS_PER_CLIENT));
  // Bulk load as a restore would: secondary indexes dropped first and built once at the end (sorting
  // beats a million random inserts into each of them).
  const indexes = sqlite.prepare("select sql from sqlite_master where type = 'index' and sql is not null and tbl_name in ('clients', 'contacts', 'contact_phones', 'calls')").pluck().all() as string[];
  for (const ddl of indexes) sqlite.exec(`drop index ${/INDEX [`"]?(\w+)/i.exec(ddl)![1]}`);
  sqlite.transaction(() => {
    let clientId = '';
    for (let i = 0; i < CONTACTS; i++) {
      if (i % CONTACTS_PER_CLIENT === 0) {
        clientId = newId();
        const c = i / CONTACTS_PER_CLIENT;
        clientIds[c] = clientId;
        insClient.run(clientId, 'company', `Client ${c}`, (c % 1000) * 100_000, 'RUB', c % 3 ? owner.id : null, c % 2 ? 'retail' : 'wholesale', `C${c}`, `client ${c}`, now, now);
      }
      const id = newId();
      contactIds[i] = id;
      const e164 = e164Of(i);
      insContact.run(id, clientId, `Contact ${i}`, `c${i}@example.com`, `P${i}`, `contact ${i}\nc${i}@example.com\n${e164}`, now, now);
      insPhone.run(`${id}:00`, id, e164, e164, 'mobile');
      // Every contact but the client's first also has the office switchboard, shared by them all.
      if (i % CONTACTS_PER_CLIENT !== 0) insPhone.run(`${id}:01`, id, boardOf(Math.floor(i / CONTACTS_PER_CLIENT)), boardOf(Math.floor(i / CONTACTS_PER_CLIENT)), 'office');
    }
    for (let i = 0; i < CONTACTS; i++) {
      const k = (i * 7919) % CONTACTS;
      const started = now - (i % 90) * 86_400_000;
      const answered = i % 4 !== 0;
      insCall.run(`call-${i}`, `L${i}`, e164Of(k), contactIds[k], clientIds[Math.floor(k / CONTACTS_PER_CLIENT)], started, answered ? started + 5000 : null, started + 60_000, answered ? 'answered' : 'no_answer', now);
    }
  })();
  for (const ddl of indexes) sqlite.exec(ddl);
  sqlite.pragma('analysis_limit = 1000');
  sqlite.exec('analyze');
  console.log(`generated ${CONTACTS} contacts, ${clientIds.length} clients, ${CONTACTS} calls in ${((performance.now() - t0) / 1000).toFixed(1)} s (database ${mb(statSync(join(dir, 'lookup.sqlite')).size)})`);

  await timeLookups(h, CONTACTS, 200_000);
  await h.close();
  rmSync(join(dir, 'lookup.sqlite'));
}

/** matchNumber and the API lookup on `n` random numbers among the first `contacts` (and their switchboards). */
async function timeLookups(h: DbHandle, contacts: number, n: number): Promise<void> {
  const numbers: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = Math.floor(Math.random() * contacts);
    numbers.push(i % 10 === 9 ? e164Of(contacts + r) /* nobody's */ : i % 10 === 8 ? boardOf(Math.floor(r / CONTACTS_PER_CLIENT)) /* shared */ : e164Of(r));
  }
  for (let i = 0; i < Math.min(20_000, n / 10); i++) await matchNumber(h.db, numbers[i]!); // warm up
  const times: number[] = [];
  let found = 0;
  for (const num of numbers) {
    const s = process.hrtime.bigint();
    if (await matchNumber(h.db, num)) found++;
    times.push(Number(process.hrtime.bigint() - s));
  }
  console.log(`matchNumber (E.164 in; 80% one owner, 10% shared switchboards, 10% unknown; ${found} found): ${percentiles(times)}`);

  const ctx = { db: h.db, actor: SYSTEM_ACTOR, region: 'RU', rematchWindowMs: 30 * 86_400_000 };
  const formatted = numbers.slice(0, n / 4).map((x) => `8 (${x.slice(2, 5)}) ${x.slice(5, 8)}-${x.slice(8, 10)}-${x.slice(10)}`);
  const apiTimes: number[] = [];
  for (const num of formatted) {
    const s = process.hrtime.bigint();
    try {
      await lookupNumber(ctx, num);
    } catch {
      /* 404 */
    }
    apiTimes.push(Number(process.hrtime.bigint() - s));
  }
  console.log(`lookupNumber (API: "8 (916) 123-45-67" in, parse + match + contact, client, owner): ${percentiles(apiTimes)}`);
}

async function writeCsv(file: string, rows: number): Promise<void> {
  const out = createWriteStream(file);
  out.write('\ufeffclient_external_id;client_name;client_kind;turnover;currency;owner;segment;contact_external_id;contact_name;email;phones\r\n');
  let buf = '';
  for (let i = 0; i < rows; i++) {
    const c = Math.floor(i / CONTACTS_PER_CLIENT);
    const first = i % CONTACTS_PER_CLIENT === 0;
    const n = e164Of(i);
    const phones = first
      ? `mobile:8 (${n.slice(2, 5)}) ${n.slice(5, 8)}-${n.slice(8, 10)}-${n.slice(10)}|office:${boardOf(c).replace(/^\+7495(\d{3})(\d{2})(\d{2})$/, '+7 495 $1-$2-$3')}, доб. ${i % 100}`
      : `mobile:${n}`;
    buf += first
      ? `C${c};"ООО ""Клиент ${c}""";company;${(c % 1000) * 1000} 000,00;RUB;anna;${c % 2 ? 'розница' : 'опт'};P${i};Контакт ${i};c${i}@example.com;${phones}\r\n`
      : `C${c};;;;;;;P${i};Контакт ${i};c${i}@example.com;${phones}\r\n`;
    if (buf.length > 1 << 16) {
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  }
  out.end(buf);
  await once(out, 'finish');
}

async function importBench(): Promise<void> {
  const file = join(dir, 'contacts.csv');
  const t0 = performance.now();
  await writeCsv(file, CSV_ROWS);
  console.log(`wrote ${CSV_ROWS} CSV rows (${mb(statSync(file).size)}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const h = await openDb(PG_URL ?? join(dir, 'import.sqlite'));
  console.log(`database: ${h.dialect}`);
  // The owner the file names; written directly (any engine), as the generator below writes its rows.
  await h.db.insert(users).values({ id: newId(), name: 'anna', role: 'manager', extension: '101', createdAt: Date.now() });
  const ctx = { db: h.db, actor: SYSTEM_ACTOR, region: 'RU', rematchWindowMs: 30 * 86_400_000 };
  globalThis.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const samples: { rows: number; rss: number; heap: number }[] = [];
  let rows = 0;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    samples.push({ rows, rss: m.rss, heap: m.heapUsed });
  }, 250);
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  let bad = 0;
  const r = await importContacts(ctx, { path: file }, {
    onProgress: (c) => { rows = c.rowsRead; },
    onRowError: () => { bad++; },
  });
  const secs = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  clearInterval(timer);
  console.log(`import: ${r.rowsRead} rows, ${r.rowsImported} imported, ${r.rowsRejected} rejected (${bad} reported) in ${secs.toFixed(1)} s = ${Math.round(r.rowsRead / secs)} rows/s (target: under 60 s)`);
  // CPU of all threads (writer and checking worker): steadier than wall time on a shared machine.
  console.log(`  CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s (user ${(cpu.user / 1e6).toFixed(1)}, system ${(cpu.system / 1e6).toFixed(1)}); load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const rss = samples.map((s) => s.rss);
  console.log(`  RSS before ${mb(rssBefore)}; during: min ${mb(Math.min(...rss))}, max ${mb(Math.max(...rss))} (${samples.length} samples every 250 ms)`);
  const at = (f: number) => samples[Math.min(samples.length - 1, Math.floor(f * samples.length))]!;
  console.log(`  RSS / heap used over the import: ${[0.1, 0.25, 0.5, 0.75, 0.95].map((f) => `${Math.round(f * 100)}%: ${mb(at(f).rss)} / ${mb(at(f).heap)}`).join(', ')}`);

  const again = performance.now();
  const cpuAgain = process.cpuUsage();
  const r2 = await importContacts(ctx, { path: file }, {});
  const cpu2 = process.cpuUsage(cpuAgain);
  console.log(`second import of the same file: ${r2.rowsChanged} rows changed, in ${((performance.now() - again) / 1000).toFixed(1)} s (CPU ${((cpu2.user + cpu2.system) / 1e6).toFixed(1)} s; peak RSS of the process ${mb(process.resourceUsage().maxRSS * 1024)})`);
  // PostgreSQL: the lookups run on the contacts just imported.
  if (h.dialect === 'postgres') await timeLookups(h, CSV_ROWS, 20_000);
  await h.close();
  rmSync(join(dir, 'import.sqlite'), { force: true });
}

try {
  // The import first, on a quiet disk (the lookup database is 1.3 GB of fresh writes).
  await importBench();
  if (CONTACTS > 0 && !PG_URL) await lookupBench();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
