// The calls report against a seeded data set whose answers are worked out by hand below (not by the
// report's SQL): two managers, calls either side of midnight in Moscow and in New York, a call that spans
// midnight, a live call, wrap-ups and callbacks. Times are UTC; the local times are in the comments.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CallStore } from '../../src/calls/store.js';
import type { CallRecord } from '../../src/calls/model.js';
import { callWrapups, tasks } from '../../src/db/schema/index.js';
import { addUser, createToken } from '../../src/users/users.js';
import { testApp, type TestApp } from '../support/app.js';

const at = (iso: string) => Date.parse(iso);

function call(linkedId: string, ext: string, direction: CallRecord['direction'], startIso: string, ringS: number, talkS: number, over: Partial<CallRecord> = {}): CallRecord {
  const startedAt = at(startIso);
  const answered = talkS > 0;
  return {
    linkedId, mergedLinkedIds: [], state: 'ended', source: 'ami', needsCdr: false, direction, origin: null, contactId: null, clientId: null,
    routedBy: null, externalNumber: '+79161234567', extension: ext, startedAt,
    answeredAt: answered ? startedAt + ringS * 1000 : null, endedAt: startedAt + (ringS + talkS) * 1000,
    ringMs: ringS * 1000, talkMs: talkS * 1000, disposition: answered ? 'answered' : 'no_answer', hangupCause: null, recordingFile: null, legs: [],
    ...over,
  };
}

/** Parses the CSV we write: BOM, ';', CRLF, "" quoting (no line breaks inside our fields). */
function parseCsv(text: string): string[][] {
  return text.replace(/^\uFEFF/, '').split('\r\n').filter((l) => l !== '').map((l) => {
    const out: string[] = [];
    let cur = '';
    let quoted = false;
    for (let i = 0; i < l.length; i++) {
      const ch = l[i]!;
      if (quoted) {
        if (ch === '"' && l[i + 1] === '"') { cur += '"'; i++; } else if (ch === '"') quoted = false; else cur += ch;
      } else if (ch === '"') quoted = true;
      else if (ch === ';') { out.push(cur); cur = ''; } else cur += ch;
    }
    out.push(cur);
    return out;
  });
}

describe('calls report', () => {
  let t: TestApp;
  let anna: string; // manager on 101
  let sveta: string; // supervisor, Russian
  let ivan: string; // admin, English
  let annaId: string;
  let borisId: string;
  let store: CallStore;
  const auth = (tok: string) => ({ authorization: `Bearer ${tok}` });
  const get = (tok: string, query: string) => t.app.inject({ url: `/api/v1/reports/calls?${query}`, headers: auth(tok) });
  const row = (body: { rows: { extension: string | null; period: string | null }[] }, ext: string | null, period: string | null) =>
    body.rows.find((r) => r.extension === ext && r.period === period) as { metrics: Record<string, { value: number | null; band: string | null }>; outcomes: Record<string, number>; periodStart: string; periodEnd: string } | undefined;
  const values = (m: Record<string, { value: number | null }>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v.value]));

  beforeEach(async () => {
    t = await testApp();
    const db = t.app.db;
    annaId = (await addUser(db, { name: 'anna', role: 'manager', extension: '101' })).id;
    borisId = (await addUser(db, { name: 'boris', role: 'manager', extension: '102' })).id;
    await addUser(db, { name: 'sveta', role: 'supervisor', language: 'ru' });
    await addUser(db, { name: 'ivan', role: 'admin', language: 'en' });
    anna = await createToken(db, 'anna');
    sveta = await createToken(db, 'sveta');
    ivan = await createToken(db, 'ivan');
    store = new CallStore(db);
    //                                                         Moscow (UTC+3)      New York (UTC-5)
    await store.save('c1', call('L1', '101', 'inbound', '2026-11-20T08:00:00Z', 5, 60)); // 20th 11:00        20th 03:00
    await store.save('c2', call('L2', '101', 'inbound', '2026-11-20T20:30:00Z', 20, 0)); // 20th 23:30 missed 20th 15:30
    await store.save('c3', call('L3', '101', 'outbound', '2026-11-20T21:30:00Z', 10, 120)); // 21st 00:30      20th 16:30
    await store.save('c4', call('L4', '102', 'inbound', '2026-11-20T20:50:00Z', 8, 1200)); // 20th 23:50 to 00:10: spans midnight
    await store.save('c5', call('L5', '102', 'inbound', '2026-11-21T04:00:00Z', 4, 30)); // 21st 07:00        20th 23:00
    await store.save('c6', call('L6', '102', 'internal', '2026-11-21T10:00:00Z', 2, 10)); // 21st 13:00       21st 05:00
    await store.save('c7', call('L7', '101', 'inbound', '2026-11-21T11:00:00Z', 3, 0, { state: 'live', endedAt: null, disposition: null })); // live: not counted
    await store.save('c8', call('L8', '101', 'inbound', '2026-11-19T10:00:00Z', 6, 40)); // 19th: the previous period
    await store.save('c9', call('L9', '101', 'inbound', '2026-11-22T05:00:00Z', 1, 1)); // 22nd 08:00 / 22nd 00:00: after the range
    const now = Date.now();
    await db.insert(callWrapups).values([
      { callId: 'c1', description: 'Заказ на 10 000 ₽', outcome: 'sale', at: now },
      { callId: 'c4', description: 'Ещё заказ', outcome: 'sale', at: now },
      { callId: 'c5', description: 'Вопрос по доставке', outcome: 'consultation', at: now },
    ]);
    const task = (id: string, assigneeId: string, dueIso: string, doneIso: string | null) => ({
      id, kind: 'callback' as const, assigneeId, dueAt: at(dueIso), doneAt: doneIso ? at(doneIso) : null, createdAt: now, updatedAt: now,
    });
    await db.insert(tasks).values([
      task('t1', annaId, '2026-11-20T20:45:00Z', '2026-11-20T20:40:00Z'), // Moscow 20th 23:45, done in time
      task('t2', borisId, '2026-11-21T06:00:00Z', '2026-11-21T07:00:00Z'), // Moscow 21st 09:00, late
      task('t3', annaId, '2026-11-21T08:00:00Z', null), // Moscow 21st 11:00, not done
    ]);
  });
  afterEach(async () => t.close());

  const zero = { calls: 0, callsIn: 0, callsOut: 0, callsInternal: 0, answered: 0, missed: 0, answerRate: null, talkSeconds: 0, avgTalkSeconds: null, avgRingSeconds: null, longestCallSeconds: 0, callbacksDue: 0, callbacksOnTime: 0 };

  it('per manager and day in Moscow: hand-counted figures, the midnight-spanning call on the day it started', async () => {
    const r = await get(sveta, 'from=2026-11-20&to=2026-11-22&groupBy=manager,day');
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body).toMatchObject({ timeZone: 'Europe/Moscow', source: 'aggregates', from: '2026-11-19T21:00:00.000Z', to: '2026-11-21T21:00:00.000Z', groupBy: ['manager', 'day'] });
    expect(body.rows.map((x: { extension: string; period: string }) => `${x.extension} ${x.period}`)).toEqual(['101 2026-11-20', '101 2026-11-21', '102 2026-11-20', '102 2026-11-21']);
    const a20 = row(body, '101', '2026-11-20')!;
    expect(values(a20.metrics)).toEqual({ ...zero, calls: 2, callsIn: 2, answered: 1, missed: 1, answerRate: 0.5, talkSeconds: 60, avgTalkSeconds: 60, avgRingSeconds: 5, longestCallSeconds: 60, callbacksDue: 1, callbacksOnTime: 1 });
    expect(a20.outcomes).toEqual({ sale: 1 });
    expect(a20.periodStart).toBe('2026-11-19T21:00:00.000Z');
    expect(a20.periodEnd).toBe('2026-11-20T21:00:00.000Z');
    expect(values(row(body, '101', '2026-11-21')!.metrics)).toEqual({ ...zero, calls: 1, callsOut: 1, answered: 1, talkSeconds: 120, avgTalkSeconds: 120, avgRingSeconds: 10, longestCallSeconds: 120, callbacksDue: 1 });
    // c4 started at 23:50 and talked 20 minutes into the 21st: all of it counts on the 20th.
    const b20 = row(body, '102', '2026-11-20')!;
    expect(values(b20.metrics)).toEqual({ ...zero, calls: 1, callsIn: 1, answered: 1, answerRate: 1, talkSeconds: 1200, avgTalkSeconds: 1200, avgRingSeconds: 8, longestCallSeconds: 1200 });
    expect(values(row(body, '102', '2026-11-21')!.metrics)).toEqual({ ...zero, calls: 2, callsIn: 1, callsInternal: 1, answered: 2, answerRate: 1, talkSeconds: 40, avgTalkSeconds: 20, avgRingSeconds: 3, longestCallSeconds: 30, callbacksDue: 1 });
    expect(row(body, '102', '2026-11-21')!.outcomes).toEqual({ consultation: 1 });
    expect(row(body, '101', '2026-11-20')!.metrics.managerId).toBeUndefined();
    expect(body.rows[0].managerName).toBe('anna');
    expect(values(body.totals.metrics)).toEqual({ calls: 6, callsIn: 4, callsOut: 1, callsInternal: 1, answered: 5, missed: 1, answerRate: 0.75, talkSeconds: 1420, avgTalkSeconds: 284, avgRingSeconds: 5.8, longestCallSeconds: 1200, callbacksDue: 3, callbacksOnTime: 1 });
    expect(body.totals.outcomes).toEqual({ sale: 2, consultation: 1 });
    expect(body.previous).toMatchObject({ from: '2026-11-17T21:00:00.000Z', to: '2026-11-19T21:00:00.000Z' });
    expect(values(body.previous.metrics)).toEqual({ ...zero, calls: 1, callsIn: 1, answered: 1, answerRate: 1, talkSeconds: 40, avgTalkSeconds: 40, avgRingSeconds: 6, longestCallSeconds: 40 });
  });

  it('a calendar month is compared with the month before (November with October 1-31, not the 30 days before)', async () => {
    await store.save('o1', call('LO1', '101', 'inbound', '2026-09-30T22:00:00Z', 2, 50)); // Moscow Oct 1st 01:00: October
    await store.save('o2', call('LO2', '101', 'inbound', '2026-09-30T20:00:00Z', 2, 70)); // Moscow Sep 30th 23:00: September
    const body = (await get(sveta, 'from=2026-11-01&to=2026-12-01&groupBy=manager')).json();
    expect(body.previous).toMatchObject({ from: '2026-09-30T21:00:00.000Z', to: '2026-10-31T21:00:00.000Z' });
    expect(values(body.previous.metrics)).toMatchObject({ calls: 1, talkSeconds: 50 });
  });

  it('puts KPI bands on every metric that has thresholds (config/kpi.json): rates on 5 calls or more, no band on counts', async () => {
    const body = (await get(sveta, 'from=2026-11-20&to=2026-11-22&groupBy=manager')).json();
    const a = row(body, '101', null)!;
    // Counts are not banded by default; anna's answer rate (0.5) and ring (7.5 s) stand on 2 and 3 calls: no band.
    expect(a.metrics.answered).toEqual({ value: 2, band: null });
    expect(a.metrics.missed).toEqual({ value: 1, band: null });
    expect(a.metrics.answerRate).toEqual({ value: 0.5, band: null });
    expect(a.metrics.avgRingSeconds).toEqual({ value: 7.5, band: null });
    expect(a.metrics.talkSeconds).toEqual({ value: 180, band: null });
    // Five more inbound calls for boris, all answered: 7 of 7 is green, and so is a 5.x s ring.
    for (let i = 0; i < 5; i++) await store.save(`k${i}`, call(`LK${i}`, '102', 'inbound', `2026-11-21T1${i}:10:00Z`, 6, 30));
    const b = row((await get(sveta, 'from=2026-11-20&to=2026-11-22&groupBy=manager')).json(), '102', null)!;
    expect(b.metrics.answerRate).toEqual({ value: 1, band: 'green' });
    expect(b.metrics.avgRingSeconds!.band).toBe('green');
  });

  it('has no row for a phone without a user (a test phone on 199), and does not count its calls', async () => {
    await store.save('x1', call('LX1', '199', 'inbound', '2026-11-20T09:00:00Z', 3, 30));
    await store.save('x2', call('LX2', '199', 'outbound', '2026-11-21T09:00:00Z', 3, 0));
    for (const q of ['from=2026-11-20&to=2026-11-22&groupBy=manager', 'from=2026-11-20&to=2026-11-22&groupBy=manager,day', 'from=2026-11-20T09:30:00Z&to=2026-11-21T10:30:00Z&groupBy=manager']) {
      const body = (await get(sveta, q)).json();
      expect(body.rows.map((r: { extension: string | null }) => r.extension), q).not.toContain('199');
    }
    const body = (await get(sveta, 'from=2026-11-20&to=2026-11-22&groupBy=manager')).json();
    expect(body.totals.metrics.calls.value).toBe(6);
  });

  it('does not count a callback not yet due as late', async () => {
    const now = Date.now();
    const soon = (min: number) => now + min * 60_000;
    await t.app.db.insert(tasks).values([
      { id: 'f1', kind: 'callback', assigneeId: annaId, dueAt: soon(60), doneAt: null, createdAt: now, updatedAt: now }, // open, due in an hour
      { id: 'f2', kind: 'callback', assigneeId: annaId, dueAt: soon(90), doneAt: now, createdAt: now, updatedAt: now }, // done already: on time
      { id: 'f3', kind: 'callback', assigneeId: annaId, dueAt: soon(-60), doneAt: null, createdAt: now, updatedAt: now }, // due an hour ago: late
    ]);
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const body = (await get(sveta, `from=${day(now - 2 * 86_400_000)}&to=${day(now + 2 * 86_400_000)}&groupBy=manager&tz=UTC`)).json();
    expect(values(row(body, '101', null)!.metrics)).toMatchObject({ callbacksDue: 2, callbacksOnTime: 1 });
  });

  it('per day in New York: other day boundaries, same calls', async () => {
    const body = (await get(ivan, 'from=2026-11-20&to=2026-11-22&groupBy=day&tz=America/New_York')).json();
    expect(body).toMatchObject({ timeZone: 'America/New_York', from: '2026-11-20T05:00:00.000Z', to: '2026-11-22T05:00:00.000Z' });
    expect(body.rows.map((x: { period: string }) => x.period)).toEqual(['2026-11-20', '2026-11-21']);
    // New York's 20th: c1, c2, c3, c4, c5 (c5 at 23:00); the 21st: c6. c9 at 00:00 on the 22nd is out.
    expect(values(row(body, null, '2026-11-20')!.metrics)).toEqual({ ...zero, calls: 5, callsIn: 4, callsOut: 1, answered: 4, missed: 1, answerRate: 0.75, talkSeconds: 1410, avgTalkSeconds: 352.5, avgRingSeconds: 6.8, longestCallSeconds: 1200, callbacksDue: 1, callbacksOnTime: 1 });
    expect(values(row(body, null, '2026-11-21')!.metrics)).toEqual({ ...zero, calls: 1, callsInternal: 1, answered: 1, talkSeconds: 10, avgTalkSeconds: 10, avgRingSeconds: 2, longestCallSeconds: 10, callbacksDue: 2 });
  });

  it('a day of 25 hours when DST ends in New York', async () => {
    const s2 = new CallStore(t.app.db);
    await s2.save('d1', call('D1', '101', 'inbound', '2026-11-01T04:30:00Z', 1, 10)); // 1st 00:30 EDT
    await s2.save('d2', call('D2', '101', 'inbound', '2026-11-02T04:30:00Z', 1, 10)); // 1st 23:30 EST
    await s2.save('d3', call('D3', '101', 'inbound', '2026-11-02T05:30:00Z', 1, 10)); // 2nd 00:30 EST
    const body = (await get(sveta, 'from=2026-11-01&to=2026-11-03&groupBy=day&tz=America/New_York')).json();
    expect(body.source).toBe('aggregates');
    const d1 = row(body, null, '2026-11-01')!;
    expect(d1.metrics.calls!.value).toBe(2);
    expect([d1.periodStart, d1.periodEnd]).toEqual(['2026-11-01T04:00:00.000Z', '2026-11-02T05:00:00.000Z']);
    expect(row(body, null, '2026-11-02')!.metrics.calls!.value).toBe(1);
  });

  it('in a half-hour zone (Asia/Kolkata) it takes the hours cut by midnight from the call log, with the same rules', async () => {
    const body = (await get(sveta, 'from=2026-11-20&to=2026-11-22&groupBy=manager,day&tz=Asia/Kolkata')).json();
    expect(body.source).toBe('mixed');
    // Kolkata (UTC+5:30): the 20th has c1 only; c2 (02:00), c3, c4, c5, c6 fall on the 21st.
    expect(body.rows.map((x: { extension: string; period: string; metrics: { calls: { value: number } } }) => `${x.extension} ${x.period} ${x.metrics.calls.value}`))
      .toEqual(['101 2026-11-20 1', '101 2026-11-21 2', '102 2026-11-21 3']);
    expect(row(body, '102', '2026-11-21')!.outcomes).toEqual({ sale: 1, consultation: 1 });
    // By hour in Kolkata every hour is cut: all from the call log. c1 at 08:00Z is 13:30 there.
    const hours = (await get(sveta, 'from=2026-11-20&to=2026-11-21&groupBy=hour&tz=Asia/Kolkata')).json();
    expect(hours.source).toBe('calls');
    expect(hours.rows.map((x: { period: string; periodStart: string; metrics: { calls: { value: number } } }) => [x.period, x.periodStart, x.metrics.calls.value]))
      .toEqual([['2026-11-20T13:00', '2026-11-20T07:30:00.000Z', 1]]);
  });

  it('gives the same figures from the aggregates and from the call log', async () => {
    const viaAggregates = (await get(sveta, 'from=2026-11-20&to=2026-11-22&groupBy=manager,week')).json();
    const viaCalls = (await get(sveta, `from=${encodeURIComponent('2026-11-20T00:00:00.000+03:00')}&to=${encodeURIComponent('2026-11-21T23:59:59.999+03:00')}&groupBy=manager,week`)).json();
    expect(viaAggregates.source).toBe('aggregates');
    expect(viaCalls.source).toBe('mixed');
    expect(viaCalls.rows).toEqual(viaAggregates.rows);
    expect(viaAggregates.rows.map((x: { period: string }) => x.period)).toEqual(['2026-W47', '2026-W47']);
  });

  it('keeps the aggregates right when calls change, go, and get wrap-ups', async () => {
    await store.save('c2', call('L2', '101', 'inbound', '2026-11-20T20:30:00Z', 20, 30)); // the CDR says it was answered after all
    await store.remove('c4'); // merged into another call by a transfer
    await t.app.db.insert(callWrapups).values({ callId: 'c2', description: 'Перезвонил', outcome: 'complaint', at: Date.now() });
    const body = (await get(sveta, 'from=2026-11-20&to=2026-11-22&groupBy=manager,day')).json();
    expect(values(row(body, '101', '2026-11-20')!.metrics)).toMatchObject({ calls: 2, answered: 2, missed: 0, talkSeconds: 90, longestCallSeconds: 60 });
    expect(row(body, '101', '2026-11-20')!.outcomes).toEqual({ sale: 1, complaint: 1 });
    expect(row(body, '102', '2026-11-20')).toBeUndefined();
  });

  it('filters by direction and extension', async () => {
    const body = (await get(sveta, 'from=2026-11-20&to=2026-11-22&direction=inbound&extension=102')).json();
    expect(body.rows).toHaveLength(1);
    expect(values(body.rows[0].metrics)).toMatchObject({ calls: 2, callsIn: 2, answered: 2, talkSeconds: 1230, callbacksDue: 1 });
  });

  it('is for supervisors and admins: a manager gets 403', async () => {
    const r = await get(anna, 'from=2026-11-20&to=2026-11-22');
    expect(r.statusCode).toBe(403);
    expect(r.json().error.code).toBe('CTI_ERR_FORBIDDEN');
    expect((await get(anna, 'from=2026-11-20&to=2026-11-22&format=csv')).statusCode).toBe(403);
  });

  it.each([
    ['to=2026-11-22', 'from'],
    ['from=2026-13-01&to=2026-11-22', 'from'],
    ['from=2026-11-20&to=yesterday', 'to'],
    ['from=2026-11-22&to=2026-11-20', 'to'],
    ['from=2026-11-20&to=2026-11-22&groupBy=manager,team', 'groupBy'],
    ['from=2026-11-20&to=2026-11-22&groupBy=day,week', 'groupBy'],
    ['from=2026-11-20&to=2026-11-22&tz=Mars/Olympus', 'tz'],
    ['from=2026-11-20&to=2026-11-22&direction=sideways', 'direction'],
    ['from=2026-11-20&to=2026-11-22&extension=abc', 'extension'],
    ['from=2026-11-20&to=2026-11-22&format=xlsx', 'format'],
    ['from=2026-11-20&to=2026-11-22&colour=red', 'colour'],
  ])('400 naming the parameter: %s', async (query, param) => {
    const r = await get(sveta, query);
    expect(r.statusCode).toBe(400);
    expect(r.json().error.message.startsWith(`${param}:`)).toBe(true);
  });

  it('exports the report as CSV for Excel: BOM, semicolons, CRLF, Russian headers and a decimal comma', async () => {
    const r = await get(sveta, 'from=2026-11-20&to=2026-11-22&groupBy=manager,day&format=csv');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect([...r.rawPayload.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(r.body).toContain('\r\n');
    expect(r.body.replace(/\r\n/g, '')).not.toContain('\n');
    const [head, ...lines] = parseCsv(r.body);
    expect(head!.slice(0, 6)).toEqual(['Добавочный', 'Менеджер', 'Период', 'Начало периода', 'Всего звонков', 'Входящие']);
    expect(head).toContain('Продажа');
    const col = (name: string) => head!.indexOf(name);
    const a20 = lines.find((l) => l[0] === '101' && l[2] === '2026-11-20')!;
    expect(a20[1]).toBe('anna');
    expect(a20[3]).toBe('2026-11-20 00:00:00');
    expect(a20[col('Отвечено')]).toBe('1');
    expect(a20[col('Доля отвеченных')]).toBe('0,5');
    expect(a20[col('Продажа')]).toBe('1');
    expect(lines.at(-2)![0]).toBe('Итого');
    expect(lines.at(-2)![col('Среднее ожидание ответа, с')]).toBe('5,8');
    expect(lines.at(-1)![0]).toBe('Предыдущий период');
    // English for an English-speaking user.
    const en = parseCsv((await get(ivan, 'from=2026-11-20&to=2026-11-22&groupBy=manager&format=csv')).body);
    expect(en[0]!.slice(0, 5)).toEqual(['Extension', 'Manager', 'Period', 'Period start', 'Calls']);
  });

  it('exports a call list as CSV with the same filters, every page', async () => {
    const r = await t.app.inject({ url: '/api/v1/calls?format=csv&extension=101&limit=1', headers: auth(sveta) });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(r.body.startsWith('\uFEFF')).toBe(true);
    const [head, ...lines] = parseCsv(r.body);
    expect(head).toEqual(['Начало', 'Направление', 'Номер', 'Добавочный', 'Результат', 'Ожидание, с', 'Разговор, с', 'Итог разговора', 'Комментарий', 'Очередь', 'Ожидание в очереди, с', 'Итог в очереди', 'Запись', 'ID звонка']);
    // 101's calls, newest first: c9, c7 (live), c3, c2, c1, c8; limit ignored.
    expect(lines.map((l) => l.at(-1))).toEqual(['c9', 'c7', 'c3', 'c2', 'c1', 'c8']);
    const c1 = lines.find((l) => l.at(-1) === 'c1')!;
    expect(c1).toEqual(['2026-11-20 11:00:00', 'Входящий', '+79161234567', '101', 'Отвечен', '5', '60', 'Продажа', 'Заказ на 10 000 ₽', '', '', '', '', 'c1']);
  });

  it('a manager exports only their own calls', async () => {
    const r = await t.app.inject({ url: '/api/v1/calls?format=csv', headers: auth(anna) });
    expect(r.statusCode).toBe(200);
    const [, ...lines] = parseCsv(r.body);
    expect(new Set(lines.map((l) => l[3]))).toEqual(new Set(['101']));
    const bad = await t.app.inject({ url: '/api/v1/calls?format=csv&from=nope', headers: auth(sveta) });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message.startsWith('from')).toBe(true);
  });
});
