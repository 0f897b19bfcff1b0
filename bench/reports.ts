// Reports at scale (issue 5): the manager-by-day report for one month over 10,000,000 calls, through the
// real domain function (target <= 100 ms). SQLite: reuses the 10M-call database bench/routing.ts builds
// (copied, then migrated, so the routing bench's file is left as it is), or builds its own with every
// direction and disposition. PostgreSQL (CTI_BENCH_DATABASE_URL=postgres://...): builds the same calls in
// that database (batched INSERT ... SELECT generate_series, triggers off, one pass for the aggregates) and
// keeps them for the next run. Also times the same report in a half-hour zone (the hours a local midnight
// cuts come from the call log), the worst case (by hour in that zone: all from the call log through the
// covering index) and the cost of ending a call with the aggregate triggers.
// Usage: npm run bench:reports [calls]     (the SQLite database is cached under bench/out/)
//        CTI_BENCH_DATABASE_URL=postgres://user:pw@host/db npm run bench:reports [calls]
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { sql } from 'drizzle-orm';
import { describeTarget, openDb, type Db } from '../src/db/client.js';
import { execute, rows } from '../src/db/query.js';
import { CallStore } from '../src/calls/store.js';
import { DEFAULT_KPI } from '../src/reports/kpi.js';
import { callReport, type ReportContext } from '../src/reports/report.js';
import { DEFAULT_OUTCOMES } from '../src/tasks/outcomes.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = resolve(here, here.includes('/dist/') ? '../..' : '..');
const CALLS = Number(process.argv[2] ?? 10_000_000);
const outDir = join(root, 'bench/out');
const dbFile = join(outDir, `reports-${CALLS}.sqlite`);
const routingDb = join(outDir, `routing-1000000-${CALLS}.sqlite`);
const DAY = 86_400_000;
const pgUrl = process.env['CTI_BENCH_DATABASE_URL'];
const EXTS = Array.from({ length: 20 }, (_, i) => String(101 + i));

/** Our own data: 20 managers, a year of calls, every direction, a quarter unanswered. */
async function build(): Promise<void> {
  for (const f of [dbFile, `${dbFile}-wal`, `${dbFile}-shm`]) rmSync(f, { force: true });
  await (await openDb(dbFile)).close(); // schema by the real migrations
  const db = new Database(dbFile);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  // Bulk load without the per-call triggers, then one pass to fill the aggregates, then the triggers back.
  const triggers = db.prepare("select name, sql from sqlite_master where type = 'trigger'").all() as { name: string; sql: string }[];
  for (const t of triggers) db.exec(`drop trigger ${t.name}`);
  const now = Date.now();
  const exts = EXTS;
  const insUser = db.prepare("insert into users (id, name, role, extension, language, created_at) values (?, ?, 'manager', ?, 'ru', ?)");
  for (const e of exts) insUser.run(`u${e}`, `m${e}`, e, now);
  // manager_id: the user on the extension, as the call log writes it (src/users/directory.ts).
  const ins = db.prepare(`insert into calls (id, linked_id, state, source, needs_cdr, direction, external_number, extension, manager_id,
    started_at, answered_at, ended_at, ring_ms, talk_ms, disposition, merged_linked_ids, updated_at)
    values (?, ?, 'ended', 'ami', 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?)`);
  const dirs = ['inbound', 'inbound', 'outbound', 'internal'] as const;
  const span = 365 * DAY;
  const t0 = performance.now();
  for (let b = 0; b < CALLS; b += 200_000) {
    db.transaction(() => {
      for (let i = b; i < Math.min(CALLS, b + 200_000); i++) {
        const started = now - span + Math.floor((i / CALLS) * span);
        const answered = i % 4 !== 0;
        const ring = 1000 + (i % 30) * 1000;
        const talk = answered ? 5000 + ((i * 7919) % 900) * 1000 : 0;
        const ext = exts[(i * 31) % exts.length]!;
        ins.run(`call${i}`, `L${i}`, dirs[i % 4], `+7916${String(i % 1_000_000).padStart(7, '0')}`, ext, `u${ext}`,
          started, answered ? started + ring : null, started + ring + talk, ring, talk, answered ? 'answered' : 'no_answer', now);
      }
    })();
  }
  const t1 = performance.now();
  db.exec(`insert into call_stats_hourly (hour_start, extension, manager_id, direction, calls, answered, ring_answered_ms, talk_ms, max_talk_ms)
    select started_at - started_at % 3600000, extension, manager_id, direction, count(*), sum(disposition = 'answered'),
      coalesce(sum(case when disposition = 'answered' then ring_ms end), 0), sum(talk_ms), max(talk_ms)
    from calls where state = 'ended' group by 1, 2, 3, 4`);
  for (const t of triggers) db.exec(t.sql);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.exec('analyze');
  db.close();
  console.log(`built ${dbFile}: ${CALLS.toLocaleString('en-US')} calls in ${((t1 - t0) / 1000).toFixed(1)} s, aggregates in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
}

async function prepare(): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  if (existsSync(dbFile)) return console.log(`using cached ${dbFile}`);
  if (existsSync(routingDb)) {
    const t0 = performance.now();
    copyFileSync(routingDb, dbFile);
    await (await openDb(dbFile)).close(); // the reports migration: backfills the aggregates, adds the covering index
    return console.log(`copied ${routingDb} and migrated it in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  await build();
}

/**
 * The same calls as build() in PostgreSQL, unless the database already holds CALLS calls: 1,000,000 a
 * statement from generate_series (the same formulas), with the report triggers off, then the aggregates
 * in one pass, the triggers back on, and VACUUM ANALYZE (statistics, and the visibility map that lets
 * a covering index answer without reading the table).
 */
async function buildPostgres(db: Db): Promise<void> {
  const [have] = await rows<{ n: number }>(db, sql`SELECT count(*) AS n FROM calls`);
  if (have!.n === CALLS) return console.log(`using the ${CALLS.toLocaleString('en-US')} calls already in ${describeTarget(pgUrl!)}`);
  const t0 = performance.now();
  await execute(db, sql`TRUNCATE calls, call_legs, call_wrapups, call_stats_hourly, call_outcome_stats_hourly, report_dirty, users CASCADE`);
  const now = Date.now();
  for (const e of EXTS) await execute(db, sql`INSERT INTO users (id, name, role, extension, language, created_at) VALUES (${`u${e}`}, ${`m${e}`}, 'manager', ${e}, 'ru', ${now})`);
  await execute(db, sql`ALTER TABLE calls DISABLE TRIGGER USER`);
  const span = 365 * DAY;
  const STEP = 1_000_000;
  for (let b = 0; b < CALLS; b += STEP) {
    // i: the call's number; started spreads the calls evenly over the year before now, as build() does.
    await execute(db, sql`INSERT INTO calls (id, linked_id, state, source, needs_cdr, direction, external_number, extension, manager_id,
        started_at, answered_at, ended_at, ring_ms, talk_ms, disposition, merged_linked_ids, updated_at)
      SELECT 'call' || i, 'L' || i, 'ended', 'ami', false, CASE i % 4 WHEN 2 THEN 'outbound' WHEN 3 THEN 'internal' ELSE 'inbound' END,
        '+7916' || lpad((i % 1000000)::text, 7, '0'), ext, 'u' || ext,
        started, CASE WHEN i % 4 <> 0 THEN started + ring END, started + ring + talk, ring, talk,
        CASE WHEN i % 4 <> 0 THEN 'answered' ELSE 'no_answer' END, '', ${now}::bigint
      FROM (SELECT i, (101 + (i * 31) % 20)::text AS ext, ${now - span}::bigint + (i * ${span}::bigint) / ${CALLS}::bigint AS started,
          1000 + (i % 30) * 1000 AS ring, CASE WHEN i % 4 <> 0 THEN 5000 + ((i * 7919) % 900) * 1000 ELSE 0 END AS talk
        FROM generate_series(${b}::bigint, ${Math.min(CALLS, b + STEP) - 1}::bigint) AS i) g`);
    process.stdout.write(`\r${Math.min(CALLS, b + STEP).toLocaleString('en-US')} calls`);
  }
  const t1 = performance.now();
  await execute(db, sql`INSERT INTO call_stats_hourly (hour_start, extension, manager_id, direction, calls, answered, ring_answered_ms, talk_ms, max_talk_ms)
    SELECT started_at - started_at % 3600000, extension, manager_id, direction, count(*), count(CASE WHEN disposition = 'answered' THEN 1 END),
      coalesce(sum(CASE WHEN disposition = 'answered' THEN ring_ms END), 0), sum(talk_ms), max(talk_ms)
    FROM calls WHERE state = 'ended' GROUP BY 1, 2, 3, 4`);
  await execute(db, sql`ALTER TABLE calls ENABLE TRIGGER USER`);
  const t2 = performance.now();
  await execute(db, sql`VACUUM ANALYZE`);
  console.log(`\rbuilt ${CALLS.toLocaleString('en-US')} calls in ${describeTarget(pgUrl!)} in ${((t1 - t0) / 1000).toFixed(1)} s, aggregates in ${((t2 - t1) / 1000).toFixed(1)} s, VACUUM ANALYZE in ${((performance.now() - t2) / 1000).toFixed(1)} s`);
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

async function time(runs: number, fn: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < Math.min(3, runs); i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

if (!pgUrl) await prepare();
const h = await openDb(pgUrl ?? dbFile, { poolSize: 2 });
if (pgUrl) await buildPostgres(h.db);
const [{ n, last }] = (await rows<{ n: number; last: number }>(h.db, sql`select count(*) as n, max(started_at) as last from calls`)) as [{ n: number; last: number }];
console.log(`engine: ${h.dialect}`);
// The last full calendar month before the newest call.
const lastDay = new Date(last);
const month = new Date(Date.UTC(lastDay.getUTCFullYear(), lastDay.getUTCMonth() - 1, 1));
const from = month.toISOString().slice(0, 10);
const to = new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth() + 1, 1)).toISOString().slice(0, 10);
const ctx: ReportContext = {
  db: h.db, actor: { id: 'bench', name: 'bench', role: 'supervisor', pbxId: 'main', extension: null }, timeZone: 'Europe/Moscow', kpi: DEFAULT_KPI, outcomes: DEFAULT_OUTCOMES,
};
const f = (x: number) => x.toFixed(1);
const input = { from, to, groupBy: 'manager,day' };
const sample = await callReport(ctx, input);
const inMonth = sample.rows.reduce((s, r) => s + (r.metrics.calls.value ?? 0), 0);
console.log(`${n.toLocaleString('en-US')} calls; month ${from} .. ${to} (Europe/Moscow): ${inMonth.toLocaleString('en-US')} calls, ${sample.rows.length} rows`);
const agg = await time(100, () => callReport(ctx, input));
console.log(`manager x day, 1 month (aggregates) : p50 ${f(pct(agg, 50))} ms, p99 ${f(pct(agg, 99))} ms, max ${f(Math.max(...agg))} ms over ${agg.length} runs  (target <= 100 ms; source ${sample.source})`);
const kolkata = { ...input, tz: 'Asia/Kolkata' };
const slow = await time(3, () => callReport(ctx, kolkata));
console.log(`manager x day, 1 month, Asia/Kolkata: p50 ${f(pct(slow, 50))} ms, max ${f(Math.max(...slow))} ms  (source ${(await callReport(ctx, kolkata)).source}: the hours cut by midnight from the call log)`);
// The worst case: by hour in a half-hour zone, every hour is cut, so the whole month comes from the call log.
const worst = await time(1, () => callReport(ctx, { ...kolkata, groupBy: 'manager,hour' }));
console.log(`manager x hour, 1 month, Asia/Kolkata: ${f(worst[0]!)} ms  (source calls: every row through the covering index calls_report_idx)`);
const year = await time(5, () => callReport(ctx, { from: new Date(last - 365 * DAY).toISOString().slice(0, 10), to, groupBy: 'manager,month' }));
console.log(`manager x month, 12 months (aggregates): p50 ${f(pct(year, 50))} ms`);

// What the triggers add to ending a call: a live call saved, then ended (recomputes its hour bucket).
const store = new CallStore(h.db);
const ends: number[] = [];
const base = month.getTime() + 10 * DAY;
try {
  for (let i = 0; i < 500; i++) {
    const startedAt = base + i * 60_000;
    const rec = {
      linkedId: `bench-end-${i}`, mergedLinkedIds: [], state: 'live' as const, source: 'ami' as const, needsCdr: false, direction: 'inbound' as const,
      origin: null, contactId: null, clientId: null, routedBy: null, externalNumber: '+79160000000', extension: '101', startedAt,
      answeredAt: startedAt + 5000, endedAt: null, ringMs: 5000, talkMs: 0, disposition: null, hangupCause: null, recordingFile: null, legs: [],
    };
    // await: a no-op while CallStore is synchronous (SQLite only), its wait once it writes PostgreSQL too.
    await store.save(`bench-end-${i}`, rec);
    const t0 = performance.now();
    await store.save(`bench-end-${i}`, { ...rec, state: 'ended', endedAt: startedAt + 65_000, talkMs: 60_000, disposition: 'answered' });
    ends.push(performance.now() - t0);
  }
  for (let i = 0; i < 500; i++) await store.remove(`bench-end-${i}`);
  console.log(`ending a call (save incl. aggregate trigger): p50 ${ends.length ? pct(ends, 50).toFixed(3) : '-'} ms, p99 ${pct(ends, 99).toFixed(3)} ms`);
} catch (err) {
  console.log(`ending a call: not measured on ${h.dialect} (${(err as Error).message.split('\n')[0]})`);
}
await h.close();
