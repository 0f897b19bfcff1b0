// Wrap-up, tasks, missed-call callbacks from CDR reconciliation, click-to-call checks, and the access
// rules of each (a manager: own calls and tasks; supervisors: all), with the session cookie.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CallStore } from '../../src/calls/store.js';
import type { CallRecord } from '../../src/calls/model.js';
import { createMissedCallTasks } from '../../src/tasks/tasks.js';
import { cdrFixtureText, celFixtureText } from '../support/ami-fixture.js';
import { testApp, type TestApp } from '../support/app.js';
import { loginCookie, seedPasswordUser } from '../support/session.js';

const T0 = Date.now() - 3_600_000;
function record(over: Partial<CallRecord> & { linkedId: string }): CallRecord {
  return {
    mergedLinkedIds: [], state: 'ended', source: 'ami', needsCdr: false, direction: 'inbound', origin: null, contactId: null, clientId: null, routedBy: null,
    externalNumber: '+79161234567', extension: '101', startedAt: T0, answeredAt: T0 + 5000, endedAt: T0 + 65_000,
    ringMs: 5000, talkMs: 60_000, disposition: 'answered', hangupCause: null, recordingFile: null,
    legs: [{ uniqueId: `${over.linkedId}-leg`, channel: 'PJSIP/101-1', extension: over.extension ?? '101', startedAt: T0, answeredAt: T0 + 5000, endedAt: T0 + 65_000, ringMs: 5000, talkMs: 60_000, disposition: 'answered', hangupCause: null }],
    ...over,
  };
}

describe('wrap-up and tasks', () => {
  let t: TestApp;
  let anna: string;
  let boris: string;
  let sveta: string;
  const h = (cookie: string) => ({ cookie, 'x-cti-csrf': '1' });

  beforeEach(async () => {
    t = await testApp({}, { pbx: true });
    await seedPasswordUser(t.app, 'anna', 'manager', '101');
    await seedPasswordUser(t.app, 'boris', 'manager', '102');
    await seedPasswordUser(t.app, 'sveta', 'supervisor');
    [anna, boris, sveta] = [await loginCookie(t.app, 'anna'), await loginCookie(t.app, 'boris'), await loginCookie(t.app, 'sveta')];
    const store = new CallStore(t.app.db);
    await store.save('c1', record({ linkedId: 'L1', recordingFile: '/x/L1.wav' }));
    await store.save('c2', record({ linkedId: 'L2', extension: '102' }));
    await store.save('c3', record({ linkedId: 'L3', extension: '101', answeredAt: null, talkMs: 0, disposition: 'no_answer', legs: [] }));
    mkdirSync(t.config.CTI_RECORDINGS_DIR, { recursive: true });
    writeFileSync(join(t.config.CTI_RECORDINGS_DIR, 'L1.wav'), Buffer.alloc(44 + 16000));
  });
  afterEach(async () => t.close());

  it('lists the shipped outcomes with Russian and English labels', async () => {
    const r = await t.app.inject({ url: '/api/v1/wrapup/outcomes', headers: { cookie: anna } });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toContainEqual({ id: 'sale', label: { ru: 'Продажа', en: 'Sale' } });
  });

  it('the manager who answered wraps up, with a next step that becomes a callback task; the call shows the wrap-up', async () => {
    const due = new Date(Date.now() + 86_400_000).toISOString();
    const r = await t.app.inject({ method: 'POST', url: '/api/v1/calls/c1/wrapup', headers: h(anna), payload: { description: 'wants 20 pallets', outcome: 'quote_sent', nextStep: { dueAt: due } } });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().wrapup).toMatchObject({ description: 'wants 20 pallets', outcome: 'quote_sent', by: { name: 'anna' } });
    expect(r.json().task).toMatchObject({ kind: 'callback', callId: 'c1', number: '+79161234567', assigneeName: 'anna', dueAt: due, overdue: false, description: 'wants 20 pallets' });
    const call = await t.app.inject({ url: '/api/v1/calls/c1', headers: { cookie: anna } });
    expect(call.json().wrapup).toMatchObject({ description: 'wants 20 pallets', outcome: 'quote_sent', by: { name: 'anna' } });
    const list = await t.app.inject({ url: '/api/v1/calls', headers: { cookie: anna } });
    expect(list.json().items.find((c: { id: string }) => c.id === 'c1').wrapup.outcome).toBe('quote_sent');
    expect(list.json().items.find((c: { id: string }) => c.id === 'c3').wrapup).toBeNull();
  });

  it('refuses a wrap-up by another manager (403), of an unanswered call by a manager (403), and an unknown outcome (400); a supervisor may', async () => {
    const body = { description: 'x', outcome: 'sale' };
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/calls/c1/wrapup', headers: h(boris), payload: body })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/calls/c3/wrapup', headers: h(anna), payload: body })).statusCode).toBe(403);
    const bad = await t.app.inject({ method: 'POST', url: '/api/v1/calls/c1/wrapup', headers: h(anna), payload: { description: 'x', outcome: 'nope' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain('outcome');
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/calls/c1/wrapup', headers: { cookie: anna }, payload: body })).statusCode).toBe(403); // no CSRF header
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/calls/nope/wrapup', headers: h(sveta), payload: body })).statusCode).toBe(404);
    const sup = await t.app.inject({ method: 'POST', url: '/api/v1/calls/c2/wrapup', headers: h(sveta), payload: { ...body, nextStep: { dueAt: new Date(Date.now() + 60_000).toISOString() } } });
    expect(sup.statusCode).toBe(200);
    // A supervisor's next step goes to the call's manager.
    expect(sup.json().task.assigneeName).toBe('boris');
  });

  it("tasks: a manager sees and changes only their own (403 otherwise); supervisors see all; done and overdue filters", async () => {
    const mk = async (cookie: string, call: string, dueAt: string) =>
      (await t.app.inject({ method: 'POST', url: `/api/v1/calls/${call}/wrapup`, headers: h(cookie), payload: { description: 'd', outcome: 'sale', nextStep: { dueAt } } })).json().task;
    const past = new Date(Date.now() - 60_000).toISOString();
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const a = await mk(anna, 'c1', past);
    const b = await mk(boris, 'c2', future);
    expect(a.overdue).toBe(true);
    const mine = await t.app.inject({ url: '/api/v1/tasks?assignee=me', headers: { cookie: anna } });
    expect(mine.json().items.map((x: { id: string }) => x.id)).toEqual([a.id]);
    expect((await t.app.inject({ url: '/api/v1/tasks', headers: { cookie: anna } })).json().items.map((x: { id: string }) => x.id)).toEqual([a.id]);
    const bId = b.assigneeId;
    expect((await t.app.inject({ url: `/api/v1/tasks?assignee=${bId}`, headers: { cookie: anna } })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'PATCH', url: `/api/v1/tasks/${b.id}`, headers: h(anna), payload: { done: true } })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'PATCH', url: '/api/v1/tasks/nope', headers: h(anna), payload: { done: true } })).statusCode).toBe(404);
    const all = await t.app.inject({ url: '/api/v1/tasks', headers: { cookie: sveta } });
    expect(all.json().items.map((x: { id: string }) => x.id)).toEqual([a.id, b.id]);
    expect((await t.app.inject({ url: '/api/v1/tasks?state=overdue', headers: { cookie: sveta } })).json().items.map((x: { id: string }) => x.id)).toEqual([a.id]);
    const done = await t.app.inject({ method: 'PATCH', url: `/api/v1/tasks/${a.id}`, headers: h(anna), payload: { done: true } });
    expect(done.statusCode).toBe(200);
    expect(done.json()).toMatchObject({ overdue: false, doneAt: expect.any(String) });
    expect((await t.app.inject({ url: '/api/v1/tasks?state=open', headers: { cookie: sveta } })).json().items.map((x: { id: string }) => x.id)).toEqual([b.id]);
    expect((await t.app.inject({ url: '/api/v1/tasks?state=done', headers: { cookie: sveta } })).json().items.map((x: { id: string }) => x.id)).toEqual([a.id]);
    const moved = await t.app.inject({ method: 'PATCH', url: `/api/v1/tasks/${b.id}`, headers: h(sveta), payload: { dueAt: past, description: 'sooner' } });
    expect(moved.json()).toMatchObject({ description: 'sooner', overdue: true });
  });

  it('a missed call the service only learns of from the CDR gets one callback task, however often it reconciles', async () => {
    await seedPasswordUser(t.app, 'busyman', 'manager', '199');
    writeFileSync(t.config.CTI_CEL_FILE, celFixtureText('inbound-busy'));
    await t.app.callLog!.reconcile();
    await t.app.callLog!.reconcile();
    const tasks = (await t.app.inject({ url: '/api/v1/tasks', headers: { cookie: sveta } })).json().items;
    // The CDR's busy call (199), and the missed call c3 already in the log (101): one task each.
    expect(tasks).toHaveLength(2);
    expect(tasks.filter((x: { assigneeName: string }) => x.assigneeName === 'busyman')).toEqual([
      expect.objectContaining({ kind: 'callback', number: '15551230003', doneAt: null }),
    ]);
    expect(tasks.filter((x: { callId: string }) => x.callId === 'c3')).toEqual([expect.objectContaining({ assigneeName: 'anna' })]);
  });

  it("a callback says the client's and the contact's names and when the call was missed", async () => {
    const client = (await t.app.inject({ method: 'POST', url: '/api/v1/clients', headers: h(sveta), payload: { kind: 'company', name: 'ООО Ромашка', ownerName: 'anna' } })).json();
    const contact = (await t.app.inject({ method: 'POST', url: '/api/v1/contacts', headers: h(sveta), payload: { clientId: client.id, name: 'Иван Петров', phones: [{ number: '+79165550101' }] } })).json();
    const rang = T0 + 600_000;
    await new CallStore(t.app.db).save('m1', record({
      linkedId: 'LM1', externalNumber: '+79165550101', contactId: contact.id, clientId: client.id, startedAt: rang, answeredAt: null, endedAt: rang + 20_000,
      talkMs: 0, ringMs: 20_000, disposition: 'no_answer', legs: [],
    }));
    await createMissedCallTasks(t.app.db, { dueMinutes: 15 });
    const items = (await t.app.inject({ url: '/api/v1/tasks?assignee=me&state=open', headers: { cookie: anna } })).json().items;
    expect(items.find((x: { callId: string }) => x.callId === 'm1')).toMatchObject({
      kind: 'callback', clientName: 'ООО Ромашка', contactName: 'Иван Петров', missedAt: new Date(rang).toISOString(),
    });
    // A task about an unknown number: no names, and still the time of its missed call.
    expect(items.find((x: { callId: string }) => x.callId === 'c3')).toMatchObject({ clientName: null, contactName: null, missedAt: new Date(T0).toISOString() });
  });

  it('the recording plays with the session cookie; another manager gets 403 for the call and its recording', async () => {
    expect((await t.app.inject({ url: '/api/v1/calls/c1/recording', headers: { cookie: anna, range: 'bytes=0-43' } })).statusCode).toBe(206);
    expect((await t.app.inject({ url: '/api/v1/calls/c1/recording', headers: { cookie: boris } })).statusCode).toBe(403);
    expect((await t.app.inject({ url: '/api/v1/calls/c1', headers: { cookie: boris } })).statusCode).toBe(403);
  });

  it('click-to-call: 409 without an extension, 400 for no number, 403 for another manager\'s client, 503 without the PBX', async () => {
    const tok = (await t.app.inject({ method: 'POST', url: '/api/v1/clients', headers: h(sveta), payload: { kind: 'person', name: 'B client', ownerName: 'boris' } })).json();
    await t.app.inject({ method: 'POST', url: '/api/v1/contacts', headers: h(sveta), payload: { clientId: tok.id, name: 'Bee', phones: [{ number: '+79160000001' }] } });
    const c2c = (cookie: string, number: string) => t.app.inject({ method: 'POST', url: '/api/v1/calls/click-to-call', headers: h(cookie), payload: { number } });
    expect((await c2c(sveta, '+79161234567')).json().error.code).toBe('CTI_ERR_NO_EXTENSION');
    const bad = await c2c(anna, 'anonymous');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain('number');
    expect((await c2c(anna, '8 916 000-00-01')).statusCode).toBe(403);
    expect((await c2c(anna, '+79161234567')).statusCode).toBe(503);
    expect((await c2c(boris, '+79160000001')).statusCode).toBe(503);
  });
});
