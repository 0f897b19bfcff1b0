// The report page's drill-down at scale: on the 10,000,000-call database of bench/reports.ts, the calls
// behind report cells (manager x day of one month, and the month's totals) through the real call-log query
// (listCalls) with the filters the page sends (web/src/reports-model.ts drillQuery): the first page a
// supervisor sees, every page (what the cell's CSV export reads), and a cell of one wrap-up outcome with a
// million wrap-ups (added in a transaction that is rolled back, so the cached database stays as it was).
// Prints figures; asserts nothing but that a listed cell has as many calls as the report says.
// Usage: npm run bench:reports (builds the database), then npm run bench:drilldown [calls]
//        PostgreSQL: CTI_BENCH_DATABASE_URL=postgres://... for both (the database bench:reports filled).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { openDb } from '../src/db/client.js';
import { execute, rows, transaction } from '../src/db/query.js';
import { listCalls, type CallFilters, type QueryContext } from '../src/calls/queries.js';
import { callsCsv } from '../src/calls/csv.js';
import { DEFAULT_KPI } from '../src/reports/kpi.js';
import { callReport, type ReportContext } from '../src/reports/report.js';
import { DEFAULT_OUTCOMES } from '../src/tasks/outcomes.js';
import { drillQuery, type CallReport, type DrillMetric } from '../web/src/reports-model.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = resolve(here, here.includes('/dist/') ? '../..' : '..');
const CALLS = Number(process.argv[2] ?? 10_000_000);
const dbFile = join(root, 'bench/out', `reports-${CALLS}.sqlite`);
const pgUrl = process.env['CTI_BENCH_DATABASE_URL'];
if (!pgUrl && !existsSync(dbFile)) {
  console.error(`${dbFile} is missing: run \`npm run bench:reports\` first (it builds or copies the database)`);
  process.exit(1);
}

const h = await openDb(pgUrl ?? dbFile, { poolSize: 2 });
const actor = { id: 'bench', name: 'bench', role: 'supervisor' as const, pbxId: 'main', extension: null };
const rctx: ReportContext = { db: h.db, actor, timeZone: 'Europe/Moscow', kpi: DEFAULT_KPI, outcomes: DEFAULT_OUTCOMES };
const qctx: QueryContext = { db: h.db, actor, recordingsDir: join(root, 'bench/out/no-recordings') };

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;
const f = (x: number) => x.toFixed(1);
async function timed<T>(fn: () => T | Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await fn();
  return [r, performance.now() - t0];
}

const [{ n, last }] = (await rows<{ n: number; last: number }>(h.db, sql`select count(*) as n, max(started_at) as last from calls`)) as [{ n: number; last: number }];
const lastDay = new Date(last);
const month = new Date(Date.UTC(lastDay.getUTCFullYear(), lastDay.getUTCMonth() - 1, 1));
const from = month.toISOString().slice(0, 10);
const to = new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth() + 1, 1)).toISOString().slice(0, 10);
const report: CallReport = JSON.parse(JSON.stringify(await callReport(rctx, { from, to, groupBy: 'manager,day' })));
console.log(`${n.toLocaleString('en-US')} calls; manager x day ${from} .. ${to}: ${report.rows.length} rows, ${report.totals.metrics.calls.value?.toLocaleString('en-US')} calls`);

/** Every call of a query, page by page (500 a page, as the CSV export does with 1,000). */
async function countAll(q: CallFilters): Promise<number> {
  let total = 0;
  let cursor: string | undefined;
  do {
    // await: a no-op while listCalls is synchronous (SQLite only).
    const page = await listCalls(qctx, { ...q, limit: 500, cursor });
    total += page.items.length;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return total;
}

// First page of a cell: what the supervisor waits for after a click.
const metrics: DrillMetric[] = ['calls', 'answered', 'missed', 'talkSeconds'];
const step = Math.max(1, Math.floor(report.rows.length / 50));
const sampled = report.rows.filter((_, i) => i % step === 0).slice(0, 50);
const firstPage: number[] = [];
for (const row of sampled) {
  for (const m of metrics) {
    const q = drillQuery(report, { kind: 'row', row }, m)!;
    firstPage.push((await timed(() => listCalls(qctx, { ...q, limit: 50 })))[1]);
  }
}
console.log(`first page (50 calls) of a manager-day cell: p50 ${f(pct(firstPage, 50))} ms, p99 ${f(pct(firstPage, 99))} ms (${firstPage.length} cells)`);

const totalsFirst: number[] = [];
for (const m of metrics) {
  const q = drillQuery(report, { kind: 'total' }, m)!;
  totalsFirst.push((await timed(() => listCalls(qctx, { ...q, limit: 50 })))[1]);
}
console.log(`first page of a month-total cell (${metrics.join(', ')}): max ${f(Math.max(...totalsFirst))} ms`);

// Every call of a cell, checked against the cell: what the list's CSV export reads.
const busiest = [...report.rows].sort((a, b) => (b.metrics.missed.value ?? 0) - (a.metrics.missed.value ?? 0))[0]!;
const q = drillQuery(report, { kind: 'row', row: busiest }, 'missed')!;
const [all, allMs] = await timed(() => countAll(q));
if (all !== busiest.metrics.missed.value) throw new Error(`drill-down lists ${all} calls, the cell says ${busiest.metrics.missed.value}`);
console.log(`every call of the busiest missed cell (${all} calls, = the cell): ${f(allMs)} ms`);
const csvStart = performance.now();
let bytes = 0;
for await (const chunk of await callsCsv(qctx, q, { lang: 'ru', timeZone: 'Europe/Moscow', outcomes: DEFAULT_OUTCOMES, baseUrl: 'http://127.0.0.1:3000' })) bytes += Buffer.byteLength(chunk);
console.log(`its CSV export: ${f(performance.now() - csvStart)} ms, ${(bytes / 1024).toFixed(0)} KiB`);

// A wrap-up outcome's cell with a million wrap-ups in the table (rolled back afterwards: the transaction
// ends by throwing this).
class RollBack extends Error {}
try {
  await transaction(h.db, async (tx) => {
    const tctx: QueryContext = { ...qctx, db: tx };
    // A tenth of the calls get a wrap-up (every call whose start is a multiple of 10 ms), in three outcomes.
    const [, insMs] = await timed(() => execute(tx, sql`INSERT INTO call_wrapups (call_id, description, outcome, at)
      SELECT id, '', CASE started_at % 3 WHEN 0 THEN 'sale' WHEN 1 THEN 'consultation' ELSE 'quote_sent' END, 0
      FROM calls WHERE started_at % 10 = 0 ON CONFLICT DO NOTHING`));
    const [{ n: wrapups }] = (await rows<{ n: number }>(tx, sql`select count(*) as n from call_wrapups`)) as [{ n: number }];
    const outcomeFirst: number[] = [];
    for (const row of sampled) {
      const oq = drillQuery(report, { kind: 'row', row }, 'outcome:sale')!;
      outcomeFirst.push((await timed(() => listCalls(tctx, { ...oq, limit: 50 })))[1]);
    }
    console.log(`first page of an outcome cell with ${wrapups.toLocaleString('en-US')} wrap-ups (added in ${f(insMs / 1000)} s): p50 ${f(pct(outcomeFirst, 50))} ms, p99 ${f(pct(outcomeFirst, 99))} ms`);
    const [, totalMs] = await timed(() => listCalls(tctx, { ...drillQuery(report, { kind: 'total' }, 'outcome:sale')!, limit: 50 }));
    console.log(`first page of the month's total outcome cell: ${f(totalMs)} ms`);
    throw new RollBack();
  });
} catch (err) {
  if (!(err instanceof RollBack)) throw err;
}
await h.close();
