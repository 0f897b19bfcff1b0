// Several PBXs in one deployment (issue 14, part 4): two Asterisks (fakes fed the same recorded call,
// so both give the very same linkedid and uniqueids) and extension 101 on each, with a different manager.
// Each call is its PBX's, each pop reaches that PBX's 101 only, and the calls list, the reports and the
// live board filter by PBX. The same with real Asterisks: tests/integration/several-pbxs.test.ts.
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ScreenPop } from '../../src/contract/index.js';
import { createToken } from '../../src/users/users.js';
import { scenarioEvents } from '../support/ami-fixture.js';
import { testApp, type TestApp } from '../support/app.js';
import { addClient } from '../support/service.js';
import { loginCookie, seedPasswordUser, socketFor, type ClientSocket } from '../support/session.js';

const CLIENT = '79161230001';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const day = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

describe('several PBXs: one deployment, two Asterisks, extension 101 on both', () => {
  let t: TestApp;
  let url: string;
  let admin: Record<string, string>;
  const ids: Record<string, string> = {};
  const sockets: ClientSocket[] = [];

  beforeEach(async () => {
    process.env['CTI_TEST_KZN_SECRET'] = 'kzn-secret';
    const dir = mkdtempSync(join(tmpdir(), 'cti-pbxs-'));
    const file = join(dir, 'pbxes.json');
    writeFileSync(file, JSON.stringify([{
      id: 'kzn', name: 'Казань', ami: { host: '127.0.0.1', port: 5038, user: 'cti', secretEnv: 'CTI_TEST_KZN_SECRET' },
      cel: { file: join(dir, 'kzn-cel.csv') }, recordings: { dir: join(dir, 'kzn-recordings') },
    }]));
    t = await testApp({ CTI_PBXS_FILE: file, CTI_PBX_NAME: 'Москва' }, { pbxes: ['kzn'] });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    ids['anna'] = await seedPasswordUser(t.app, 'anna', 'manager', '101');
    ids['root'] = await seedPasswordUser(t.app, 'root', 'admin');
    admin = { authorization: `Bearer ${await createToken(t.app.db, 'root')}` };
    const kamil = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: admin, payload: { name: 'kamil', role: 'manager', pbx: 'kzn', extension: '101', password: 'correct horse battery' } });
    expect(kamil.statusCode, kamil.body).toBe(201);
    expect(kamil.json()).toMatchObject({ name: 'kamil', pbx: 'kzn', extension: '101' });
    ids['kamil'] = kamil.json().id;
  });
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.close();
    await t.close();
    delete process.env['CTI_TEST_KZN_SECRET'];
  });

  const connect = async (name: string, password?: string) => {
    const s = await socketFor(url, await loginCookie(t.app, name, password));
    sockets.push(s);
    return s;
  };
  const get = (path: string) => t.app.inject({ url: path, headers: admin });

  it('lists the PBXs, and keeps one extension of a PBX to one person (409), an unknown PBX refused (400)', async () => {
    expect((await get('/api/v1/pbxes')).json()).toEqual([{ id: 'main', name: 'Москва' }, { id: 'kzn', name: 'Казань' }]);
    const again = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: admin, payload: { name: 'kira', role: 'manager', pbx: 'kzn', extension: '101', password: 'correct horse battery' } });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({ code: 'CTI_ERR_EXTENSION_TAKEN', details: { user: 'kamil' } });
    const nowhere = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: admin, payload: { name: 'kira', role: 'manager', pbx: 'spb', extension: '101', password: 'correct horse battery' } });
    expect(nowhere.statusCode).toBe(400);
    expect(nowhere.json().error.message).toContain("no PBX 'spb'");
    // Moving anna's phone to kzn's 101 is taken too; to kzn's 102 is free.
    expect((await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${ids['anna']}`, headers: admin, payload: { pbx: 'kzn' } })).statusCode).toBe(409);
    const moved = await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${ids['anna']}`, headers: admin, payload: { pbx: 'kzn', extension: '102' } });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(moved.json()).toMatchObject({ pbx: 'kzn', extension: '102' });
  });

  it("the same call on both PBXs: two calls, each its PBX's and its 101's manager; each pop on that PBX's 101 only; filters by PBX", async () => {
    // The caller is a client of kamil's: kzn's 101, not main's.
    await addClient({ url }, admin['authorization']!.slice('Bearer '.length), { name: 'Ромашка', owner: 'kamil', phone: `+${CLIENT}` });
    const [anna, kamil] = [await connect('anna'), await connect('kamil', 'correct horse battery')];
    const got = { anna: [] as { name: string; payload: any }[], kamil: [] as { name: string; payload: any }[] };
    anna.onAny((name: string, payload: unknown) => got.anna.push({ name, payload }));
    kamil.onAny((name: string, payload: unknown) => got.kamil.push({ name, payload }));
    const events = scenarioEvents('inbound-answered', { numbers: { 15551230001: CLIENT } });
    for (const e of events) t.pbxes.get('main')!.feed(e);
    for (const e of events) t.pbxes.get('kzn')!.feed(e);
    await sleep(300);
    for (const l of t.app.callLogs.values()) await l.flush();

    expect(got.anna.map((e) => e.name)).toEqual(['call:ringing', 'call:answered', 'call:ended']);
    expect(got.kamil.map((e) => e.name)).toEqual(['call:ringing', 'call:answered', 'call:ended']);
    const [popAnna, popKamil] = [got.anna[0]!.payload as ScreenPop, got.kamil[0]!.payload as ScreenPop];
    expect(popAnna.callId).not.toBe(popKamil.callId);
    // The owner is named with the PBX of their extension (the same 101 on both PBXs), on the pop and the lookup.
    expect(popKamil.client?.owner).toEqual({ id: ids['kamil'], name: 'kamil', extension: '101', pbx: 'kzn' });
    expect((await get(`/api/v1/contacts/lookup?number=${CLIENT}`)).json().owner).toEqual({ id: ids['kamil'], name: 'kamil', extension: '101', pbx: 'kzn' });

    const all = (await get('/api/v1/calls')).json().items as { id: string; pbx: string; linkedId: string; managerId: string; extension: string }[];
    expect(all).toHaveLength(2);
    expect(new Set(all.map((c) => c.linkedId)).size).toBe(1); // the same linkedid, on two PBXs
    expect(all.find((c) => c.pbx === 'main')).toMatchObject({ id: popAnna.callId, extension: '101', managerId: ids['anna'] });
    expect(all.find((c) => c.pbx === 'kzn')).toMatchObject({ id: popKamil.callId, extension: '101', managerId: ids['kamil'] });
    expect((await get('/api/v1/calls?pbx=kzn')).json().items.map((c: { id: string }) => c.id)).toEqual([popKamil.callId]);
    expect((await get('/api/v1/calls?pbx=main')).json().items.map((c: { id: string }) => c.id)).toEqual([popAnna.callId]);
    // The CSV names each call's PBX after its extension (the same 101 on both), in the user's language.
    const csvOf = async (q: string) => {
      const r = await get(`/api/v1/calls?format=csv${q}`);
      expect(r.statusCode, r.body).toBe(200);
      return r.body.replace(/^\uFEFF/, '').trim().split('\r\n').map((l) => l.split(';'));
    };
    const [head, ...rows] = await csvOf('');
    expect(head!.slice(3, 6)).toEqual(['Добавочный', 'АТС', 'Результат']);
    expect(rows.map((r) => `${r[3]} ${r[4]} ${r.at(-1)}`).sort()).toEqual([`101 Казань ${popKamil.callId}`, `101 Москва ${popAnna.callId}`].sort());
    expect((await csvOf('&pbx=kzn')).slice(1).map((r) => r[4])).toEqual(['Казань']);
    // A manager sees their own calls only, whichever PBX.
    const kamilsOwn = await t.app.inject({ url: '/api/v1/calls', headers: { authorization: `Bearer ${await createToken(t.app.db, 'kamil')}` } });
    expect(kamilsOwn.json().items.map((c: { id: string }) => c.id)).toEqual([popKamil.callId]);
    // Each call's legs are its PBX's (the same uniqueids on both).
    const legs = (await get(`/api/v1/calls/${popKamil.callId}`)).json().legs as { extension: string; managerId: string }[];
    expect(legs.filter((l) => l.extension === '101').map((l) => l.managerId)).toEqual([ids['kamil']]);

    // Reports: one PBX's calls, per manager.
    const report = (q: string) => get(`/api/v1/reports/calls?from=${day(-1)}&to=${day(2)}&groupBy=manager${q}`);
    // Each row names the PBX of its manager's extension: both 101s, told apart.
    const rowsOf = async (q: string) => ((await report(q)).json().rows as { extension: string; managerName: string | null; managerPbx: string | null; metrics: { calls: { value: number } } }[])
      .map((r) => `${r.managerName} ${r.extension}@${r.managerPbx}:${r.metrics.calls.value}`);
    expect(await rowsOf('&pbx=kzn')).toEqual(['kamil 101@kzn:1']);
    expect(await rowsOf('&pbx=main')).toEqual(['anna 101@main:1']);
    expect((await rowsOf('')).sort()).toEqual(['anna 101@main:1', 'kamil 101@kzn:1']);
  });

  it('routing rules for a PBX id that is not here are a warning; a target on a PBX where nobody has it is one too', async () => {
    const r = await t.app.inject({ method: 'POST', url: '/api/v1/routing/rules/check', headers: admin, payload: {
      defaultTarget: { extension: '101' },
      byPbx: { kazan: { defaultTarget: { extension: '101' } }, kzn: { dids: { '78432000777': { extension: '105' } } } },
    } });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().problems.map((p: { path: string; code: string; severity: string }) => `${p.path} ${p.code} ${p.severity}`).sort()).toEqual([
      'byPbx.kazan unknown_pbx warning',
      'byPbx.kazan.defaultTarget.extension unknown_extension warning', // no user on PBX "kazan" at all
      'byPbx.kzn.dids.78432000777.extension unknown_extension warning', // kzn has 101 (kamil), not 105
    ]);
  });

  it("the queue report of one PBX counts that PBX's queue calls only", async () => {
    for (const e of scenarioEvents('queue-caller-abandons')) t.pbxes.get('kzn')!.feed(e);
    await sleep(300);
    for (const l of t.app.callLogs.values()) await l.flush();
    const offered = async (q: string) => ((await get(`/api/v1/reports/queues?from=${day(-1)}&to=${day(2)}${q}`)).json().rows as { queue: string; offered: number }[])
      .filter((r) => r.offered > 0).map((r) => `${r.queue}:${r.offered}`);
    const kzn = await offered('&pbx=kzn');
    expect(kzn).toHaveLength(1);
    expect(await offered('&pbx=main')).toEqual([]);
    expect(await offered('')).toEqual(kzn);
  });

  it('a live board per PBX: its own phones and managers; an unknown PBX is 400', async () => {
    const board = async (pbx?: string) => (await get(`/api/v1/live${pbx ? `?pbx=${pbx}` : ''}`)).json();
    const kzn = await board('kzn');
    expect(kzn.pbxId).toBe('kzn');
    expect(kzn.managers.map((m: { extension: string; name: string }) => `${m.extension} ${m.name}`)).toEqual(['101 kamil']);
    const main = await board();
    expect(main.pbxId).toBe('main');
    expect(main.managers.map((m: { extension: string; name: string }) => `${m.extension} ${m.name}`)).toEqual(['101 anna']);
    expect((await get('/api/v1/live?pbx=spb')).statusCode).toBe(400);
  });
});
