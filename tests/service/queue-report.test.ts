// The queue report (GET /api/v1/reports/queues): offered, answered, abandoned, timed out, answered within
// the queue's service level, average and longest wait, per queue and in total; each count drills down to
// exactly its calls (GET /api/v1/calls?queue=&queueResult=); the CSV in Russian and English; who may read
// it and who may set a service level (admins only, validated, CTI_ERR_BAD_SERVICE_LEVEL).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CallStore } from '../../src/calls/store.js';
import type { CallRecord } from '../../src/calls/model.js';
import { addUser, createToken } from '../../src/users/users.js';
import { testApp, type TestApp } from '../support/app.js';

function queued(id: string, queue: string, startIso: string, waitMs: number, outcome: 'answered' | 'abandoned' | 'timeout', over: Partial<CallRecord> = {}): [string, CallRecord] {
  const startedAt = Date.parse(startIso);
  const answered = outcome === 'answered';
  return [id, {
    linkedId: `L-${id}`, mergedLinkedIds: [], state: 'ended', source: 'ami', needsCdr: false, direction: 'inbound', origin: null,
    contactId: null, clientId: null, routedBy: null, externalNumber: '+79161234567', extension: answered ? '101' : null, startedAt,
    answeredAt: answered ? startedAt + waitMs : null, endedAt: startedAt + waitMs + (answered ? 60_000 : 0),
    ringMs: waitMs, talkMs: answered ? 60_000 : 0, disposition: answered ? 'answered' : 'no_answer', hangupCause: null, recordingFile: null, legs: [],
    queue, queueWaitMs: waitMs, queueOutcome: outcome, ...over,
  }];
}

function parseCsv(text: string): string[][] {
  return text.replace(/^\uFEFF/, '').split('\r\n').filter((l) => l !== '').map((l) => l.split(';'));
}

const RANGE = 'from=2026-11-20T00:00:00Z&to=2026-11-21T00:00:00Z';

describe('queue report', () => {
  let t: TestApp;
  let anna: string; // manager
  let sveta: string; // supervisor
  let root: string; // admin
  let ivan: string; // supervisor, English
  const auth = (tok: string) => ({ authorization: `Bearer ${tok}`, 'x-cti-csrf': '1' });
  const get = (tok: string, url: string) => t.app.inject({ url, headers: auth(tok) });

  beforeEach(async () => {
    t = await testApp();
    const db = t.app.db;
    await addUser(db, { name: 'anna', role: 'manager', extension: '101' });
    await addUser(db, { name: 'sveta', role: 'supervisor' });
    await addUser(db, { name: 'ivan', role: 'supervisor', language: 'en' });
    await addUser(db, { name: 'root', role: 'admin' });
    anna = await createToken(db, 'anna');
    sveta = await createToken(db, 'sveta');
    root = await createToken(db, 'root');
    ivan = await createToken(db, 'ivan');
    const store = new CallStore(db);
    const seed = [
      queued('s1', 'sales', '2026-11-20T09:00:00Z', 5_000, 'answered'),
      queued('s2', 'sales', '2026-11-20T09:10:00Z', 20_000, 'answered'), // exactly the 20 s: within
      queued('s3', 'sales', '2026-11-20T09:20:00Z', 20_500, 'answered'), // half a second over
      queued('s4', 'sales', '2026-11-20T09:30:00Z', 40_000, 'abandoned'),
      queued('s5', 'sales', '2026-11-20T09:40:00Z', 60_000, 'timeout'),
      queued('s6', 'sales', '2026-11-20T09:50:00Z', 3_000, 'answered', { state: 'live', endedAt: null }), // live: not counted yet
      queued('s7', 'sales', '2026-11-21T09:00:00Z', 1_000, 'answered'), // the next day: outside
      queued('n1', 'night', '2026-11-20T22:00:00Z', 25_000, 'answered'), // night's service level is 30 s
    ];
    for (const [id, c] of seed) await store.save(id, c);
    // A call that never waited in a queue.
    await store.save('c0', { ...seed[0]![1], linkedId: 'L-c0', queue: null, queueWaitMs: null, queueOutcome: null });
    const set = await t.app.inject({ method: 'PUT', url: '/api/v1/queues/night/settings', headers: auth(root), payload: { serviceLevelSeconds: 30 } });
    expect(set.statusCode).toBe(200);
  });
  afterEach(async () => t.close());

  it('counts each queue as a head of sales would: offered, answered, abandoned, timed out, within the service level, waits', async () => {
    const r = await get(sveta, `/api/v1/reports/queues?${RANGE}`);
    expect(r.statusCode).toBe(200);
    const body = r.json();
    const sales = body.rows.find((x: { queue: string }) => x.queue === 'sales');
    expect(sales).toEqual({
      queue: 'sales', serviceLevelSeconds: 20, offered: 5, answered: 3, abandoned: 1, timeout: 1, answeredWithinSl: 2,
      serviceLevel: 0.4, abandonRate: 0.2, avgWaitSeconds: 29.1, longestWaitSeconds: 60,
    });
    const night = body.rows.find((x: { queue: string }) => x.queue === 'night');
    expect(night).toMatchObject({ serviceLevelSeconds: 30, offered: 1, answered: 1, answeredWithinSl: 1, serviceLevel: 1, avgWaitSeconds: 25, longestWaitSeconds: 25 });
    expect(body.totals).toMatchObject({ offered: 6, answered: 4, abandoned: 1, timeout: 1, answeredWithinSl: 3, serviceLevel: 0.5, avgWaitSeconds: 28.4, longestWaitSeconds: 60 });
    expect(body.rows.map((x: { queue: string }) => x.queue)).toEqual(['night', 'sales']);
  });

  it('every count drills down to exactly its calls, with the queue and the wait on each call', async () => {
    const list = async (q: string) => {
      const r = await get(sveta, `/api/v1/calls?${RANGE}&state=ended&${q}`);
      expect(r.statusCode).toBe(200);
      return (r.json().items as { id: string; queue: string; queueWaitSeconds: number; queueOutcome: string }[]);
    };
    expect((await list('queue=sales')).map((c) => c.id).sort()).toEqual(['s1', 's2', 's3', 's4', 's5']);
    expect((await list('queue=sales&queueResult=answered')).map((c) => c.id).sort()).toEqual(['s1', 's2', 's3']);
    expect((await list('queue=sales&queueResult=abandoned')).map((c) => c.id)).toEqual(['s4']);
    expect((await list('queue=sales&queueResult=timeout')).map((c) => c.id)).toEqual(['s5']);
    expect((await list('queue=sales&queueResult=withinServiceLevel')).map((c) => c.id).sort()).toEqual(['s1', 's2']);
    // The totals: every queue, each with its own service level.
    expect((await list('queue=any&queueResult=withinServiceLevel')).map((c) => c.id).sort()).toEqual(['n1', 's1', 's2']);
    expect(await list('queue=any')).toHaveLength(6);
    const s3 = (await list('queue=sales&queueResult=answered')).find((c) => c.id === 's3')!;
    expect(s3).toMatchObject({ queue: 'sales', queueWaitSeconds: 20.5, queueOutcome: 'answered' });
    const card = (await get(sveta, '/api/v1/calls/s4')).json();
    expect(card).toMatchObject({ queue: 'sales', queueWaitSeconds: 40, queueOutcome: 'abandoned' });
    const none = (await get(sveta, '/api/v1/calls/c0')).json();
    expect(none).toMatchObject({ queue: null, queueWaitSeconds: null, queueOutcome: null });
  });

  it('an admin moves the service level and the report follows; supervisors read it, managers do not', async () => {
    expect((await get(sveta, '/api/v1/queues/sales/settings')).json()).toEqual({ queue: 'sales', serviceLevelSeconds: 20, custom: false });
    const put = (tok: string, payload: unknown) => t.app.inject({ method: 'PUT', url: '/api/v1/queues/sales/settings', headers: auth(tok), payload: payload as object });
    const bySupervisor = await put(sveta, { serviceLevelSeconds: 21 });
    expect(bySupervisor.statusCode).toBe(403);
    expect(bySupervisor.json().error.code).toBe('CTI_ERR_FORBIDDEN');
    expect((await put(anna, { serviceLevelSeconds: 21 })).statusCode).toBe(403);
    for (const bad of [0, 3601, 1.5, '21', null, -5]) {
      const r = await put(root, { serviceLevelSeconds: bad });
      expect(r.statusCode, JSON.stringify(bad)).toBe(400);
      expect(r.json().error.code).toBe('CTI_ERR_BAD_SERVICE_LEVEL');
    }
    expect((await put(root, { serviceLevelSeconds: 21 })).json()).toEqual({ queue: 'sales', serviceLevelSeconds: 21, custom: true });
    const sales = (await get(sveta, `/api/v1/reports/queues?${RANGE}`)).json().rows.find((x: { queue: string }) => x.queue === 'sales');
    expect(sales).toMatchObject({ serviceLevelSeconds: 21, answeredWithinSl: 3, serviceLevel: 0.6 });
    expect((await get(sveta, `/api/v1/calls?${RANGE}&state=ended&queue=sales&queueResult=withinServiceLevel`)).json().items).toHaveLength(3);

    const manager = await get(anna, `/api/v1/reports/queues?${RANGE}`);
    expect(manager.statusCode).toBe(403);
    expect(manager.json().error.code).toBe('CTI_ERR_FORBIDDEN');
    expect((await get(anna, '/api/v1/queues/sales/settings')).statusCode).toBe(403);
    expect((await get(sveta, '/api/v1/reports/queues?from=2026-11-21&to=2026-11-20')).statusCode).toBe(400);
    expect((await t.app.inject({ url: `/api/v1/reports/queues?${RANGE}` })).statusCode).toBe(401);
  });

  it('exports the report as CSV in the reader\'s language, and the calls CSV carries the queue', async () => {
    const ru = await get(sveta, `/api/v1/reports/queues?${RANGE}&format=csv`);
    expect(ru.statusCode).toBe(200);
    expect(ru.headers['content-type']).toBe('text/csv; charset=utf-8');
    const [head, ...lines] = parseCsv(ru.body);
    expect(head).toEqual(['Очередь', 'Начало периода', 'Конец периода', 'Норматив ответа, с', 'Поступило', 'Отвечено', 'Брошено', 'Ушло по тайм-ауту',
      'Отвечено в нормативе', 'Уровень сервиса, %', 'Доля брошенных, %', 'Среднее ожидание, с', 'Самое долгое ожидание, с']);
    const sales = lines.find((l) => l[0] === 'sales')!;
    expect(sales.slice(3)).toEqual(['20', '5', '3', '1', '1', '2', '40', '20', '29,1', '60']);
    expect(lines.at(-1)!.slice(0, 1).concat(lines.at(-1)!.slice(4))).toEqual(['Итого', '6', '4', '1', '1', '3', '50', '16,7', '28,4', '60']);
    const en = parseCsv((await get(ivan, `/api/v1/reports/queues?${RANGE}&format=csv`)).body);
    expect(en[0]!.slice(0, 5)).toEqual(['Queue', 'Period start', 'Period end', 'Service level, s', 'Offered']);
    expect(en.at(-1)![0]).toBe('Total');

    const calls = parseCsv((await get(sveta, `/api/v1/calls?${RANGE}&queue=sales&queueResult=abandoned&format=csv`)).body);
    expect(calls[0]!.slice(-5, -2)).toEqual(['Очередь', 'Ожидание в очереди, с', 'Итог в очереди']);
    expect(calls[1]!.slice(-5)).toEqual(['sales', '40', 'Брошен', '', 's4']);
  });
});
