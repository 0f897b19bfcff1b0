// The live board over the API and socket.io: recorded Asterisk traffic (tests/fixtures/ami, its times
// moved to now) through the real tracker, call log and live service; what a supervisor gets from
// GET /api/v1/live and from live:delta, and that a manager gets neither.
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CallStore } from '../../src/calls/store.js';
import type { CallRecord } from '../../src/calls/model.js';
import { todayIn } from '../../src/live/counters.js';
import type { LiveDelta, LiveSnapshot } from '../../src/live/model.js';
import type { PbxEvent } from '../../src/pbx/events.js';
import { createToken } from '../../src/users/users.js';
import { applyDelta } from '../../web/src/live-state.js';
import type { LiveSnapshot as BrowserBoard } from '../../web/src/types.js';
import { scenarioEvents } from '../support/ami-fixture.js';
import { testApp, type TestApp } from '../support/app.js';
import { loginCookie, seedPasswordUser, socketFor, type ClientSocket } from '../support/session.js';

const CLIENT = '79161230001';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function ended(id: string, extension: string, startedAt: number, answered: boolean, direction: CallRecord['direction'] = 'inbound'): [string, CallRecord] {
  return [id, {
    linkedId: id, mergedLinkedIds: [], state: 'ended', source: 'cdr', needsCdr: false, direction, origin: null,
    externalNumber: '+79160000000', contactId: null, clientId: null, routedBy: null, extension,
    startedAt, answeredAt: answered ? startedAt + 2000 : null, endedAt: startedAt + 62_000, ringMs: 2000,
    talkMs: answered ? 60_000 : 0, disposition: answered ? 'answered' : 'no_answer', hangupCause: null, recordingFile: null, legs: [],
  }];
}

describe('live board API', () => {
  let t: TestApp;
  let url: string;
  const tokens: Record<string, string> = {};
  const sockets: ClientSocket[] = [];

  beforeEach(async () => {
    t = await testApp({ CTI_TIMEZONE: 'Europe/Moscow' }, { pbx: true });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    await seedPasswordUser(t.app, 'anna', 'manager', '101');
    await seedPasswordUser(t.app, 'boris', 'manager', '102');
    await seedPasswordUser(t.app, 'sveta', 'supervisor');
    await seedPasswordUser(t.app, 'root', 'admin');
    for (const n of ['anna', 'sveta', 'root']) tokens[n] = await createToken(t.app.db, n);
  });
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.close();
    await t.close();
  });

  const get = (who: string | null) => t.app.inject({
    method: 'GET', url: '/api/v1/live', headers: who ? { authorization: `Bearer ${tokens[who]}` } : {},
  });
  const board = async (): Promise<LiveSnapshot> => {
    const r = await get('sveta');
    expect(r.statusCode, r.body).toBe(200);
    return r.json();
  };

  /** A recorded call with its Asterisk times moved so that it starts `startAt` (default: now). */
  function recorded(name: string, copy: string, startAt = Date.now()): PbxEvent[] {
    const evs = scenarioEvents(name, { copy, numbers: { '15551230001': CLIENT } });
    const shift = startAt - evs[0]!.at;
    return evs.map((e) => ({ ...e, at: e.at + shift }));
  }
  /** Feeds events as the PBX would: calls to the call log, device states to the live board. */
  const feed = (evs: PbxEvent[]) => {
    for (const e of evs) {
      t.pbx.feed(e);
    }
  };

  it('is for supervisors and admins: 401 without a login, 403 for a manager', async () => {
    expect((await get(null)).statusCode).toBe(401);
    const m = await get('anna');
    expect(m.statusCode).toBe(403);
    expect(m.json().error.code).toBe('CTI_ERR_FORBIDDEN');
    expect((await get('root')).statusCode).toBe(200);
    const b = await board();
    expect(b.pbx).toBe('disconnected'); // no PBX in this test
    expect(b.calls).toEqual([]);
    expect(b.managers.map((m) => [m.extension, m.name, m.state])).toEqual([['101', 'anna', 'offline'], ['102', 'boris', 'offline']]);
    expect(b.counters).toMatchObject({ timeZone: 'Europe/Moscow', total: { calls: 0, answered: 0, missed: 0, talkSeconds: 0 } });
  });

  it("shows a recorded inbound call: waiting, then anna talking with the client's contact, then gone and counted", async () => {
    const tok = tokens['sveta']!;
    const c = await t.app.inject({ method: 'POST', url: '/api/v1/clients', headers: { authorization: `Bearer ${tok}` }, payload: { kind: 'company', name: 'Romashka LLC', ownerName: 'anna' } });
    expect(c.statusCode, c.body).toBe(201);
    const ct = await t.app.inject({ method: 'POST', url: '/api/v1/contacts', headers: { authorization: `Bearer ${tok}` }, payload: { clientId: c.json().id, name: 'Ivan Petrov', phones: [{ number: `+${CLIENT}` }] } });
    expect(ct.statusCode, ct.body).toBe(201);

    const evs = recorded('inbound-answered', 'a');
    // Asterisk's event log: 101's channel starts (it rings), then the second party enters the bridge (talk).
    const ring = evs.findIndex((e) => e.type === 'cel' && e.name === 'CHAN_START' && e.channel.startsWith('PJSIP/101'));
    const answer = evs.findIndex((e, i) => e.type === 'cel' && e.name === 'BRIDGE_ENTER' && evs.slice(0, i).some((x) => x.type === 'cel' && x.name === 'BRIDGE_ENTER'));
    feed(evs.slice(0, ring + 1));
    let b = await board();
    expect(b.calls).toHaveLength(1);
    expect(b.calls[0]).toMatchObject({ direction: 'inbound', waiting: true, extension: '101', managerName: 'anna', externalNumber: `+${CLIENT}` });

    // ...and the phone's device state follows (DeviceStateChange INUSE), a moment after the bridge.
    const inUse = evs.findIndex((e) => e.type === 'device.state' && e.resource === '101' && e.state === 'in_use');
    feed(evs.slice(ring + 1, Math.max(answer, inUse) + 1));
    b = await board();
    expect(b.calls[0]).toMatchObject({
      state: 'talking', waiting: false, extension: '101', managerName: 'anna', contactName: 'Ivan Petrov', clientName: 'Romashka LLC',
      answeredAt: new Date(evs[answer]!.at).toISOString(),
    });
    expect(b.managers.find((m) => m.extension === '101')).toMatchObject({ state: 'talking', deviceState: 'in_use' });

    feed(evs.slice(Math.max(answer, inUse) + 1));
    await sleep(1200); // the call log's write, then the counters' refresh
    b = await board();
    expect(b.calls).toEqual([]);
    expect(b.managers.find((m) => m.extension === '101')).toMatchObject({ state: 'available' });
    const talk = Math.round((evs.at(-1)!.at - evs[answer]!.at) / 1000);
    expect(b.counters.total).toMatchObject({ calls: 1, answered: 1, missed: 0 });
    expect(Math.abs(b.counters.total.talkSeconds - talk)).toBeLessThanOrEqual(1);
    expect(b.counters.managers).toEqual([expect.objectContaining({ extension: '101', name: 'anna', calls: 1, answered: 1, missed: 0 })]);
  });

  it("counts today's calls in the company's zone: yesterday's are out, missed is inbound unanswered", async () => {
    const now = Date.now();
    const { from } = todayIn('Europe/Moscow', now);
    const today = Math.min(from + 1000, now - 70_000);
    await new CallStore(t.app.db).saveMany([
      ended('y1', '101', from - 1000, true), // 23:59:59 yesterday in Moscow
      ended('t1', '101', today, true),
      ended('t2', '101', today, false),
      ended('t3', '102', today, false, 'outbound'),
    ]);
    const b = await board();
    expect(b.counters.total).toEqual({ calls: 3, answered: 1, missed: 1, talkSeconds: 60 });
    expect(b.counters.managers).toEqual([
      { extension: '101', name: 'anna', calls: 2, answered: 1, missed: 1, talkSeconds: 60 },
      { extension: '102', name: 'boris', calls: 1, answered: 0, missed: 0, talkSeconds: 0 },
    ]);
  });

  it('sends deltas only to supervisors whose board is open; a snapshot plus the deltas is the board', async () => {
    const cookie = await loginCookie(t.app, 'sveta');
    const sup = await socketFor(url, cookie);
    // The same supervisor in another tab, on another page: no live:delta there.
    const otherTab = await socketFor(url, cookie);
    const mgr = await socketFor(url, await loginCookie(t.app, 'anna'));
    sockets.push(sup, otherTab, mgr);
    const supGot: LiveDelta[] = [];
    const mgrGot: unknown[] = [];
    const otherGot: unknown[] = [];
    sup.on('live:delta', (d) => supGot.push(d as LiveDelta));
    mgr.on('live:delta', (d) => mgrGot.push(d));
    otherTab.on('live:delta', (d) => otherGot.push(d));
    // A manager asking to watch is ignored.
    sup.emit('live:watch', true);
    mgr.emit('live:watch', true);
    await sleep(100);
    let client: BrowserBoard = await board();

    const a = recorded('inbound-answered', 'b');
    const b = recorded('internal', 'c', a[0]!.at + 300);
    const all = [...a, ...b].sort((x, y) => x.at - y.at);
    feed(all.slice(0, Math.floor(all.length / 2)));
    await sleep(700);
    const mid = supGot.length;
    expect(mid).toBeGreaterThan(0);
    feed(all.slice(Math.floor(all.length / 2)));
    await sleep(1500);

    for (const d of supGot) {
      const r = applyDelta(client, d);
      expect(r.kind).not.toBe('gap');
      if (r.kind === 'applied') client = r.board;
    }
    const truth = await board();
    expect(client.calls).toEqual(truth.calls);
    expect(client.managers).toEqual(truth.managers);
    expect(client.counters).toEqual(truth.counters);
    expect(truth.counters.total.calls).toBe(2);
    // Calls were seen in progress on the way.
    expect(supGot.flatMap((d) => d.calls ?? []).map((c) => c.state)).toContain('talking');
    expect(mgrGot).toEqual([]);
    expect(otherGot).toEqual([]);
    // Throttled: far fewer deltas than events.
    expect(supGot.length).toBeLessThan(all.length / 3);
  });
});
