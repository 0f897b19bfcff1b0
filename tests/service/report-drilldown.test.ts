// A report cell drills down to exactly the calls it counts: for every row, the totals and the previous
// period, and every metric and outcome of a seeded data set, the call log filtered the way the web page
// filters it (web/src/reports-model.ts drillQuery) lists as many calls as the cell says, and their talk
// and ring times add up to the cell's durations. Day boundaries in Moscow, New York and Kolkata (a
// half-hour zone, where the report takes some hours from the call log), weeks that stick out of the range,
// calls without a manager, busy and failed inbound calls, a live call that nothing counts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CallStore } from '../../src/calls/store.js';
import type { CallRecord } from '../../src/calls/model.js';
import { callWrapups } from '../../src/db/schema/index.js';
import { addUser, createToken } from '../../src/users/users.js';
import { cellValue, drillQuery, METRICS, type CallQuery, type CallReport, type DrillMetric, type DrillScope } from '../../web/src/reports-model.js';
import { testApp, type TestApp } from '../support/app.js';

const at = (iso: string) => Date.parse(iso);

function call(ext: string | null, direction: CallRecord['direction'], startIso: string, ringS: number, talkS: number, over: Partial<CallRecord> = {}): CallRecord {
  const startedAt = at(startIso);
  const answered = talkS > 0;
  return {
    linkedId: `L-${startIso}-${ext}`, mergedLinkedIds: [], state: 'ended', source: 'ami', needsCdr: false, direction, origin: null,
    contactId: null, clientId: null, routedBy: null, externalNumber: '+79161234567', extension: ext, startedAt,
    answeredAt: answered ? startedAt + ringS * 1000 : null, endedAt: startedAt + (ringS + talkS) * 1000,
    ringMs: ringS * 1000, talkMs: talkS * 1000, disposition: answered ? 'answered' : 'no_answer', hangupCause: null, recordingFile: null, legs: [],
    ...over,
  };
}

interface ListedCall { id: string; talkSeconds: number; ringSeconds: number; disposition: string | null; direction: string; state: string; extension: string | null }

describe('report drill-down', () => {
  let t: TestApp;
  let sveta: string; // supervisor
  const auth = (tok: string) => ({ authorization: `Bearer ${tok}` });

  beforeEach(async () => {
    t = await testApp();
    const db = t.app.db;
    await addUser(db, { name: 'anna', role: 'manager', extension: '101' });
    await addUser(db, { name: 'boris', role: 'manager', extension: '102' });
    await addUser(db, { name: 'sveta', role: 'supervisor' });
    sveta = await createToken(db, 'sveta');
    const store = new CallStore(db);
    const seed: [string, CallRecord][] = [
      //                                                                  Moscow (UTC+3)  New York (UTC-5)  Kolkata (+5:30)
      ['c1', call('101', 'inbound', '2026-11-20T08:00:00Z', 5, 60)], //   20th 11:00      20th 03:00        20th 13:30
      ['c2', call('101', 'inbound', '2026-11-20T20:30:00Z', 20, 0)], //   20th 23:30 missed
      ['c3', call('101', 'outbound', '2026-11-20T21:30:00Z', 10, 120)], // 21st 00:30
      ['c4', call('102', 'inbound', '2026-11-20T20:50:00Z', 8, 1200)], // 20th 23:50, talks past midnight
      ['c5', call('102', 'inbound', '2026-11-21T04:00:00Z', 4, 30)], //   21st 07:00      20th 23:00
      ['c6', call('102', 'internal', '2026-11-21T10:00:00Z', 2, 10)], //  21st 13:00
      ['c7', call('101', 'inbound', '2026-11-21T11:00:00Z', 3, 0, { state: 'live', endedAt: null, disposition: null })], // live: not counted
      ['c8', call('101', 'inbound', '2026-11-19T10:00:00Z', 6, 40)], //   19th: the previous period
      ['c9', call(null, 'inbound', '2026-11-20T18:29:00Z', 30, 0)], //    no manager (nobody's phone rang); Kolkata 23:59
      ['c10', call('102', 'inbound', '2026-11-20T18:31:00Z', 0, 0, { disposition: 'busy' })], // Kolkata 21st 00:01
      ['c11', call('101', 'inbound', '2026-11-21T13:15:00Z', 0, 0, { disposition: 'failed' })],
      ['c12', call('101', 'outbound', '2026-11-21T14:00:00Z', 12, 0)], // an outbound call nobody answered: not "missed"
      ['c13', call('102', 'outbound', '2026-11-16T09:00:00Z', 3, 200)], // Monday of the same ISO week
      ['c14', call('101', 'inbound', '2026-11-21T20:59:59Z', 7, 15, { disposition: 'answered' })], // 21st 23:59:59 Moscow
      ['c15', call('101', 'inbound', '2026-11-21T21:00:00Z', 7, 15)], //  22nd 00:00 Moscow: after the range
      ['c16', call('102', 'inbound', '2026-11-21T12:00:00Z', 9, 0, { disposition: null })], // ended without a disposition
    ];
    for (const [id, c] of seed) await store.save(id, c);
    const now = Date.now();
    await db.insert(callWrapups).values([
      { callId: 'c1', description: 'sale', outcome: 'sale', at: now },
      { callId: 'c4', description: 'sale', outcome: 'sale', at: now },
      { callId: 'c5', description: 'question', outcome: 'consultation', at: now },
      { callId: 'c7', description: 'live, not counted', outcome: 'sale', at: now },
      { callId: 'c13', description: 'quote', outcome: 'quote_sent', at: now },
    ]);
  });
  afterEach(async () => t.close());

  /** Every call the log lists for a query, over all pages. */
  async function listAll(q: CallQuery): Promise<ListedCall[]> {
    const out: ListedCall[] = [];
    let cursor: string | null = null;
    do {
      const params = new URLSearchParams({ ...(q as unknown as Record<string, string>), limit: '2' });
      if (cursor) params.set('cursor', cursor);
      const r = await t.app.inject({ url: `/api/v1/calls?${params}`, headers: auth(sveta) });
      expect(r.statusCode, r.body).toBe(200);
      const body = r.json() as { items: ListedCall[]; nextCursor: string | null };
      out.push(...body.items);
      cursor = body.nextCursor;
    } while (cursor);
    return out;
  }

  /** Checks every cell of a report against its drill-down; returns how many cells were compared. */
  async function checkReport(query: string, filters: { direction?: 'inbound' | 'outbound' | 'internal' } = {}): Promise<number> {
    const r = await t.app.inject({ url: `/api/v1/reports/calls?${query}`, headers: auth(sveta) });
    expect(r.statusCode, r.body).toBe(200);
    const report = r.json() as CallReport;
    const scopes: [DrillScope, { metrics: CallReport['totals']['metrics']; outcomes: Record<string, number> }][] = [
      ...report.rows.map((row) => [{ kind: 'row', row }, row] as [DrillScope, typeof row]),
      [{ kind: 'total' }, report.totals],
      [{ kind: 'previous' }, report.previous],
    ];
    let compared = 0;
    for (const [scope, cells] of scopes) {
      const where = `${query} ${scope.kind === 'row' ? `${scope.row.extension} ${scope.row.period}` : scope.kind}`;
      const metrics: DrillMetric[] = [...METRICS, ...['sale', 'consultation', 'quote_sent'].map((o) => `outcome:${o}` as const)];
      for (const metric of metrics) {
        const q = drillQuery(report, scope, metric, filters);
        const value = cellValue(cells, metric);
        if (!q) {
          // No calls behind it: callbacks (tasks), or a direction the report's filter rules out (0, or no rate).
          expect(metric.startsWith('callbacks') || value === 0 || value === null, `${where} ${metric}`).toBe(true);
          continue;
        }
        const calls = await listAll(q);
        expect(calls.every((c) => c.state === 'ended'), where).toBe(true);
        const answered = calls.filter((c) => c.disposition === 'answered');
        const sum = (xs: ListedCall[], k: 'talkSeconds' | 'ringSeconds') => xs.reduce((s, c) => s + c[k], 0);
        const round1 = (x: number) => Math.round(x * 10) / 10;
        const m = `${where} ${metric}`;
        switch (metric) {
          case 'answerRate':
            expect(calls.length ? Math.round((answered.length / calls.length) * 10_000) / 10_000 : null, m).toBe(value);
            break;
          case 'talkSeconds': expect(sum(calls, 'talkSeconds'), m).toBe(value); break;
          case 'avgTalkSeconds': expect(calls.length ? round1(sum(calls, 'talkSeconds') / calls.length) : null, m).toBe(value); break;
          case 'avgRingSeconds': expect(calls.length ? round1(sum(calls, 'ringSeconds') / calls.length) : null, m).toBe(value); break;
          case 'longestCallSeconds': expect(Math.max(0, ...calls.map((c) => c.talkSeconds)), m).toBe(value); break;
          default: expect(calls.length, m).toBe(value);
        }
        compared++;
      }
    }
    return compared;
  }

  it('per manager and day in Moscow: every cell, the totals and the previous period', async () => {
    expect(await checkReport('from=2026-11-20&to=2026-11-22&groupBy=manager,day')).toBeGreaterThan(90); // 5 rows, the totals, the previous period: 14 cells each
  });

  it('per manager and day in New York, and per hour', async () => {
    await checkReport('from=2026-11-20&to=2026-11-22&groupBy=manager,day&tz=America/New_York');
    await checkReport('from=2026-11-20&to=2026-11-22&groupBy=hour');
  });

  it('in Kolkata (+05:30), where hours cut by midnight come from the call log', async () => {
    await checkReport('from=2026-11-20&to=2026-11-22&groupBy=manager,day&tz=Asia/Kolkata');
    await checkReport('from=2026-11-20&to=2026-11-22&groupBy=manager,hour&tz=Asia/Kolkata');
  });

  it('per week and month when the range starts mid-week: only the part inside the range', async () => {
    await checkReport('from=2026-11-18&to=2026-11-22&groupBy=manager,week');
    await checkReport('from=2026-11-18&to=2026-11-22&groupBy=month');
  });

  it('per manager with a bound off the hour, and with a direction filter', async () => {
    await checkReport('from=2026-11-20T10:30:00%2B03:00&to=2026-11-22&groupBy=manager');
    await checkReport('from=2026-11-15&to=2026-11-22&groupBy=manager&direction=outbound', { direction: 'outbound' });
    await checkReport('from=2026-11-15&to=2026-11-22&direction=inbound', { direction: 'inbound' });
  });

  it('lists the calls without a manager, and the missed ones as the report counts them', async () => {
    const none = await listAll({ from: '2026-11-20T00:00:00Z', to: '2026-11-22T00:00:00Z', state: 'ended', extension: 'none' });
    expect(none.map((c) => c.id)).toEqual(['c9']);
    const missed = await listAll({ from: '2026-11-15T00:00:00Z', to: '2026-11-23T00:00:00Z', state: 'ended', result: 'missed' });
    // Inbound and not answered, whatever the reason: no answer, busy, failed, no disposition; not the outbound c12 nor the live c7.
    expect(missed.map((c) => c.id).sort()).toEqual(['c10', 'c11', 'c16', 'c2', 'c9']);
    const live = await listAll({ from: '2026-11-15T00:00:00Z', to: '2026-11-23T00:00:00Z', state: 'live' } as unknown as CallQuery);
    expect(live.map((c) => c.id)).toEqual(['c7']);
    const sales = await listAll({ from: '2026-11-15T00:00:00Z', to: '2026-11-23T00:00:00Z', state: 'ended', outcome: 'sale' });
    expect(sales.map((c) => c.id).sort()).toEqual(['c1', 'c4']);
  });

  it('refuses filters it does not know, naming them (400)', async () => {
    for (const q of ['result=lost', 'state=gone', 'extension=anna', `outcome=${'x'.repeat(65)}`]) {
      const r = await t.app.inject({ url: `/api/v1/calls?${q}`, headers: auth(sveta) });
      expect(r.statusCode, q).toBe(400);
      expect(r.json().error.code).toBe('CTI_ERR_BAD_REQUEST');
      expect(r.json().error.message).toContain(q.split('=')[0]);
    }
  });

  it("exports a cell's calls as CSV for Excel", async () => {
    const params = new URLSearchParams({ from: '2026-11-15T00:00:00Z', to: '2026-11-23T00:00:00Z', state: 'ended', result: 'missed', format: 'csv' });
    const r = await t.app.inject({ url: `/api/v1/calls?${params}`, headers: auth(sveta) });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toContain('text/csv');
    expect(r.body.startsWith('\uFEFF')).toBe(true);
    const lines = r.body.split('\r\n').filter(Boolean);
    expect(lines).toHaveLength(1 + 5);
    expect(lines.slice(1).map((l) => l.split(';').at(-1)).sort()).toEqual(['c10', 'c11', 'c16', 'c2', 'c9']);
  });
});
