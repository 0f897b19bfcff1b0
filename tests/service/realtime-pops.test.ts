// Screen pops over socket.io on a listening app: recorded Asterisk traffic (tests/fixtures/ami) goes
// through the real pipeline (typed events -> call tracker -> pops, storage, tasks), and the card must
// reach the sockets of the extension that rings, and no one else's.
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CallStore } from '../../src/calls/store.js';
import type { CallRecord } from '../../src/calls/model.js';
import type { ScreenPop } from '../../src/contract/index.js';
import { insertTask } from '../../src/tasks/tasks.js';
import { createToken } from '../../src/users/users.js';
import { scenarioEvents } from '../support/ami-fixture.js';
import { testApp, type TestApp } from '../support/app.js';
import { loginCookie, seedPasswordUser, socketFor, type ClientSocket } from '../support/session.js';

const CLIENT = '79161230001';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Everything a socket received, in order. */
function recorder(s: ClientSocket): { name: string; payload: any }[] {
  const got: { name: string; payload: any }[] = [];
  s.onAny((name: string, payload: unknown) => got.push({ name, payload }));
  return got;
}

describe('realtime: pops to the ringing extension only', () => {
  let t: TestApp;
  let url: string;
  let ids: Record<string, string>;
  const sockets: ClientSocket[] = [];

  beforeEach(async () => {
    t = await testApp({}, { pbx: true, overdueCheckMs: 50 });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    ids = {
      anna: await seedPasswordUser(t.app, 'anna', 'manager', '101'),
      boris: await seedPasswordUser(t.app, 'boris', 'manager', '102'),
      sveta: await seedPasswordUser(t.app, 'sveta', 'supervisor'),
    };
  });
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.close();
    await t.close();
  });

  const connect = async (name: string) => {
    const s = await socketFor(url, await loginCookie(t.app, name));
    sockets.push(s);
    return s;
  };

  /** A client owned by `owner` with contact Ivan on +79161230001, via the API. */
  async function seedClient(owner: string): Promise<{ clientId: string; contactId: string }> {
    const tok = await createToken(t.app.db, 'sveta');
    const h = { authorization: `Bearer ${tok}` };
    const c = await t.app.inject({ method: 'POST', url: '/api/v1/clients', headers: h, payload: { kind: 'company', name: 'Romashka LLC', turnover: '250000.50', currency: 'RUB', ownerName: owner, segment: 'wholesale' } });
    expect(c.statusCode, c.body).toBe(201);
    const ct = await t.app.inject({ method: 'POST', url: '/api/v1/contacts', headers: h, payload: { clientId: c.json().id, name: 'Ivan Petrov', email: 'ivan@romashka.ru', phones: [{ number: `+${CLIENT}`, label: 'mobile' }] } });
    expect(ct.statusCode, ct.body).toBe(201);
    return { clientId: c.json().id, contactId: ct.json().id };
  }

  it('refuses a socket without a session (connect_error CTI_ERR_UNAUTHORIZED)', async () => {
    await expect(socketFor(url, null)).rejects.toThrow('CTI_ERR_UNAUTHORIZED');
    await expect(socketFor(url, 'cti_session=forged')).rejects.toThrow('CTI_ERR_UNAUTHORIZED');
  });

  it("pops the caller's card on every tab of the manager whose phone rings, nobody else; then answered and ended", async () => {
    const { clientId, contactId } = await seedClient('anna');
    // History: an earlier answered call from this client on 101, and an open callback task for anna.
    const earlier: CallRecord = {
      linkedId: 'earlier', mergedLinkedIds: [], state: 'ended', source: 'ami', needsCdr: false, direction: 'inbound', origin: null,
      externalNumber: `+${CLIENT}`, contactId, clientId, routedBy: 'owner', extension: '101', startedAt: Date.now() - 86_400_000,
      answeredAt: Date.now() - 86_390_000, endedAt: Date.now() - 86_300_000, ringMs: 10_000, talkMs: 90_000, disposition: 'answered',
      hangupCause: null, recordingFile: null, legs: [],
    };
    await new CallStore(t.app.db).save('call-earlier', earlier);
    await insertTask(t.app.db, { kind: 'callback', contactId, clientId, number: `+${CLIENT}`, assigneeId: ids.anna!, dueAt: Date.now() + 3_600_000, description: 'send the quote' }, Date.now());

    const [tab1, tab2, boris, sveta] = [await connect('anna'), await connect('anna'), await connect('boris'), await connect('sveta')];
    const got = [tab1, tab2, boris, sveta].map(recorder);
    for (const e of scenarioEvents('inbound-answered', { numbers: { 15551230001: CLIENT } })) t.pbx.feed(e);
    await sleep(300);

    for (const g of [got[0]!, got[1]!]) {
      expect(g.map((e) => e.name)).toEqual(['call:ringing', 'call:answered', 'call:ended']);
      const pop: ScreenPop = g[0]!.payload;
      expect(pop).toMatchObject({
        direction: 'inbound', externalNumber: `+${CLIENT}`, extension: '101',
        contact: { id: contactId, name: 'Ivan Petrov', email: 'ivan@romashka.ru' },
        client: { id: clientId, name: 'Romashka LLC', kind: 'company', turnover: { amount: '250000.50', currency: 'RUB' }, owner: { id: ids.anna, name: 'anna', extension: '101', pbx: 'main' }, segment: 'wholesale' },
        prefill: { number: `+${CLIENT}` },
      });
      expect(pop.otherOwner).toBeNull();
      expect(pop.lastCalls).toEqual([expect.objectContaining({ id: 'call-earlier', disposition: 'answered', talkSeconds: 90, extension: '101' })]);
      expect(pop.openTasks).toEqual([expect.objectContaining({ description: 'send the quote', assigneeName: 'anna', overdue: false })]);
      expect(g[1]!.payload).toMatchObject({ callId: pop.callId, extension: '101' });
      expect(g[2]!.payload).toMatchObject({ callId: pop.callId, extension: '101', disposition: 'answered' });
      expect(g[2]!.payload.talkSeconds).toBeGreaterThan(0);
    }
    expect(got[2]).toEqual([]);
    expect(got[3]!.filter((e) => e.name.startsWith('call:'))).toEqual([]);
  });

  it("another manager's client rings on anna's phone: the card names it (the call grant), but keeps the owner's calls and tasks", async () => {
    const { contactId, clientId } = await seedClient('boris');
    // boris's own history with this client: not anna's to see.
    await new CallStore(t.app.db).save('boris-earlier', {
      linkedId: 'boris-earlier', mergedLinkedIds: [], state: 'ended', source: 'ami', needsCdr: false, direction: 'inbound', origin: null,
      externalNumber: `+${CLIENT}`, contactId, clientId, routedBy: 'owner', extension: '102', startedAt: Date.now() - 86_400_000,
      answeredAt: Date.now() - 86_390_000, endedAt: Date.now() - 86_300_000, ringMs: 10_000, talkMs: 90_000, disposition: 'answered',
      hangupCause: null, recordingFile: null, legs: [],
    });
    await insertTask(t.app.db, { kind: 'callback', contactId, clientId, number: `+${CLIENT}`, assigneeId: ids.boris!, dueAt: Date.now() + 3_600_000, description: "boris's quote" }, Date.now());
    const anna = await connect('anna');
    const got = recorder(anna);
    for (const e of scenarioEvents('inbound-answered', { copy: 'b', numbers: { 15551230001: CLIENT } })) t.pbx.feed(e);
    await sleep(200);
    const pop: ScreenPop = got.find((e) => e.name === 'call:ringing')!.payload;
    expect(pop).toMatchObject({
      extension: '101', otherOwner: null, lastCalls: [], openTasks: [],
      contact: { id: contactId, name: 'Ivan Petrov' },
      client: { id: clientId, name: 'Romashka LLC', turnover: { amount: '250000.50', currency: 'RUB' }, owner: { id: ids.boris, name: 'boris' } },
    });
    // The wrap-up names the call too.
    expect(got.find((e) => e.name === 'call:ended')!.payload).toMatchObject({ contact: { name: 'Ivan Petrov' }, client: { name: 'Romashka LLC' } });
  });

  it('an unknown number is unknown: no otherOwner, the create-contact prefill', async () => {
    const anna = await connect('anna');
    const got = recorder(anna);
    for (const e of scenarioEvents('inbound-answered', { copy: 'u', numbers: { 15551230001: CLIENT } })) t.pbx.feed(e);
    await sleep(200);
    const pop: ScreenPop = got.find((e) => e.name === 'call:ringing')!.payload;
    expect(pop).toMatchObject({ contact: null, client: null, otherOwner: null, prefill: { number: `+${CLIENT}` } });
  });

  it('a missed call creates one callback task, announced to the assignee and supervisors; overdue once', async () => {
    const olga = await seedPasswordUser(t.app, 'olga', 'manager', '198');
    const [olgaS, sveta, boris] = [await connect('olga'), await connect('sveta'), await connect('boris')];
    const got = [olgaS, sveta, boris].map(recorder);
    // The call ended two hours ago: its callback (due CTI_CALLBACK_DUE_MINUTES after) is already overdue.
    const events = scenarioEvents('inbound-no-answer', { numbers: { 15551230002: '79161230002' }, endAt: Date.now() - 2 * 3_600_000 });
    for (const e of events) t.pbx.feed(e);
    await t.app.callLog!.flush();
    // Feeding the same call again changes nothing (one task per call).
    await t.app.callLog!.flush();
    await sleep(300);
    const created = got[0]!.filter((e) => e.name === 'task:created');
    expect(created).toHaveLength(1);
    const task = created[0]!.payload;
    const ended = Math.max(...events.map((e) => e.at));
    expect(task).toMatchObject({ kind: 'callback', assigneeId: olga, assigneeName: 'olga', number: '+79161230002', doneAt: null });
    expect(Date.parse(task.dueAt) - ended).toBeGreaterThanOrEqual(15 * 60_000 - 1000);
    expect(Date.parse(task.dueAt) - ended).toBeLessThanOrEqual(15 * 60_000 + 1000);
    expect(got[1]!.filter((e) => e.name === 'task:created')).toHaveLength(1);
    expect(got[2]!.filter((e) => e.name.startsWith('task:'))).toEqual([]);
    // Overdue, announced once.
    await sleep(200);
    expect(got[1]!.filter((e) => e.name === 'task:overdue').map((e) => e.payload.id)).toEqual([task.id]);
    expect(got[0]!.filter((e) => e.name === 'task:overdue')).toHaveLength(1);
    // The pop went to 198 as it rang.
    expect(got[0]!.map((e) => e.name)).toContain('call:ringing');
  });

  it('two busy calls from the same number 12 s apart: one callback task, counting both; a new one once it is done', async () => {
    const busy = await seedPasswordUser(t.app, 'busy', 'manager', '199');
    const [busyS, sveta] = [await connect('busy'), await connect('sveta')];
    const got = [busyS, sveta].map(recorder);
    const NUMBER = { 15551230003: '79161230003' };
    const first = scenarioEvents('inbound-busy', { copy: 'a', numbers: NUMBER });
    const second = scenarioEvents('inbound-busy', { copy: 'b', numbers: NUMBER }).map((e) => ({ ...e, at: e.at + 12_000 }));
    for (const e of first) t.pbx.feed(e);
    await t.app.callLog!.flush();
    for (const e of second) t.pbx.feed(e);
    await t.app.callLog!.flush();
    await t.app.callLog!.flush();
    await sleep(300);
    const tok = await createToken(t.app.db, 'sveta');
    const list = async () => (await t.app.inject({ method: 'GET', url: `/api/v1/tasks?assignee=${busy}&state=open`, headers: { authorization: `Bearer ${tok}` } })).json().items;
    const open = await list();
    expect(open).toHaveLength(1);
    const endedFirst = Math.max(...first.map((e) => e.at));
    const endedSecond = Math.max(...second.map((e) => e.at));
    expect(open[0]).toMatchObject({ kind: 'callback', number: '+79161230003', missedCount: 2 });
    // lastMissedAt: the second call's end (the first ended 12 s before).
    expect(Math.abs(Date.parse(open[0].lastMissedAt) - endedSecond)).toBeLessThan(1000);
    // The due time stays the first call's (the sooner one).
    expect(Date.parse(open[0].dueAt) - endedFirst).toBeGreaterThanOrEqual(15 * 60_000 - 1000);
    expect(Date.parse(open[0].dueAt) - endedFirst).toBeLessThanOrEqual(15 * 60_000 + 1000);
    for (const g of got) {
      expect(g.filter((e) => e.name === 'task:created')).toHaveLength(1);
      expect(g.filter((e) => e.name === 'task:updated').map((e) => e.payload.missedCount)).toEqual([2]);
    }
    // A full sweep (as after a restart) counts nothing twice.
    expect(await list()).toEqual(open);
    // Done: the next missed call from that number makes a new callback.
    const done = await t.app.inject({ method: 'PATCH', url: `/api/v1/tasks/${open[0].id}`, headers: { authorization: `Bearer ${tok}` }, payload: { done: true } });
    expect(done.statusCode, done.body).toBe(200);
    for (const e of scenarioEvents('inbound-busy', { copy: 'c', numbers: NUMBER }).map((e) => ({ ...e, at: e.at + 60_000 }))) t.pbx.feed(e);
    await t.app.callLog!.flush();
    await sleep(200);
    const after = await list();
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ missedCount: 1 });
    expect(after[0].id).not.toBe(open[0].id);
  });
});
