// Wrap-ups left for later (issue 11): GET /api/v1/calls?wrapup=pending lists the caller's own answered
// calls of the last 7 days without a wrap-up; PUT /api/v1/calls/:id/wrapup edits one afterwards, with the
// rules of the POST (the manager who answered, supervisors); another manager gets 403.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CallStore } from '../../src/calls/store.js';
import type { CallRecord } from '../../src/calls/model.js';
import { testApp, type TestApp } from '../support/app.js';
import { loginCookie, seedPasswordUser } from '../support/session.js';

const T0 = Date.now() - 3_600_000;
function record(over: Partial<CallRecord> & { linkedId: string }): CallRecord {
  const startedAt = over.startedAt ?? T0;
  return {
    mergedLinkedIds: [], state: 'ended', source: 'ami', needsCdr: false, direction: 'inbound', origin: null, contactId: null, clientId: null, routedBy: null,
    externalNumber: '+79161234567', extension: '101', startedAt, answeredAt: startedAt + 5000, endedAt: startedAt + 65_000,
    ringMs: 5000, talkMs: 60_000, disposition: 'answered', hangupCause: null, recordingFile: null,
    legs: [{ uniqueId: `${over.linkedId}-leg`, channel: 'PJSIP/101-1', extension: over.extension ?? '101', startedAt, answeredAt: startedAt + 5000, endedAt: startedAt + 65_000, ringMs: 5000, talkMs: 60_000, disposition: 'answered', hangupCause: null }],
    ...over,
  };
}

describe('pending wrap-ups', () => {
  let t: TestApp;
  let anna: string;
  let boris: string;
  let sveta: string;
  const h = (cookie: string) => ({ cookie, 'x-cti-csrf': '1' });
  const pending = async (cookie: string) => {
    const r = await t.app.inject({ url: '/api/v1/calls?wrapup=pending', headers: { cookie } });
    expect(r.statusCode, r.body).toBe(200);
    return (r.json().items as { id: string }[]).map((c) => c.id).sort();
  };

  beforeEach(async () => {
    t = await testApp({}, { pbx: true });
    await seedPasswordUser(t.app, 'anna', 'manager', '101');
    await seedPasswordUser(t.app, 'boris', 'manager', '102');
    await seedPasswordUser(t.app, 'sveta', 'supervisor');
    [anna, boris, sveta] = [await loginCookie(t.app, 'anna'), await loginCookie(t.app, 'boris'), await loginCookie(t.app, 'sveta')];
    const store = new CallStore(t.app.db);
    await store.save('c1', record({ linkedId: 'L1' }));
    await store.save('c2', record({ linkedId: 'L2', extension: '102' }));
    await store.save('c3', record({ linkedId: 'L3', answeredAt: null, talkMs: 0, disposition: 'no_answer', legs: [] }));
    await store.save('c4', record({ linkedId: 'L4', startedAt: Date.now() - 8 * 86_400_000 }));
    await store.save('c5', record({ linkedId: 'L5', startedAt: T0 + 1000 }));
  });
  afterEach(async () => t.close());

  it("lists a manager's own answered calls of the last 7 days without a wrap-up, and drops one once it is written", async () => {
    expect(await pending(anna)).toEqual(['c1', 'c5']);
    expect(await pending(boris)).toEqual(['c2']);
    expect(await pending(sveta)).toEqual([]); // a supervisor's own calls only: they answered none
    const w = await t.app.inject({ method: 'POST', url: '/api/v1/calls/c1/wrapup', headers: h(anna), payload: { description: '', outcome: 'sale' } });
    expect(w.statusCode, w.body).toBe(200);
    expect(await pending(anna)).toEqual(['c5']);
  });

  it('an outcome is edited afterwards with PUT by the manager who answered or a supervisor; another manager gets 403', async () => {
    const url = '/api/v1/calls/c1/wrapup';
    expect((await t.app.inject({ method: 'POST', url, headers: h(anna), payload: { description: 'first', outcome: 'sale' } })).statusCode).toBe(200);
    const edit = await t.app.inject({ method: 'PUT', url, headers: h(anna), payload: { description: 'second thoughts', outcome: 'quote_sent' } });
    expect(edit.statusCode, edit.body).toBe(200);
    expect(edit.json().wrapup).toMatchObject({ description: 'second thoughts', outcome: 'quote_sent', by: { name: 'anna' } });
    expect((await t.app.inject({ method: 'PUT', url, headers: h(boris), payload: { description: 'mine', outcome: 'sale' } })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'PUT', url, headers: { cookie: anna }, payload: { description: 'x', outcome: 'sale' } })).statusCode).toBe(403); // no CSRF header
    const sup = await t.app.inject({ method: 'PUT', url, headers: h(sveta), payload: { description: 'checked', outcome: 'sale' } });
    expect(sup.statusCode, sup.body).toBe(200);
    const call = await t.app.inject({ url: '/api/v1/calls/c1', headers: { cookie: anna } });
    expect(call.json().wrapup).toMatchObject({ description: 'checked', outcome: 'sale', by: { name: 'sveta' } });
  });
});
