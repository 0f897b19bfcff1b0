// One extension, one person (issue 10, item 11): the API refuses a second user on an extension (409), a
// database that holds duplicates does not migrate (and says which), a past call stays with the user who
// had the phone then, and the pop, the tasks and the live board name the same person for an extension.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CallStore } from '../../src/calls/store.js';
import type { CallRecord } from '../../src/calls/model.js';
import { migrationsFolder, openDb } from '../../src/db/client.js';
import { factsSource } from '../../src/routing/facts.js';
import { createMissedCallTasks } from '../../src/tasks/tasks.js';
import { addUser, createToken } from '../../src/users/users.js';
import { scenarioEvents } from '../support/ami-fixture.js';
import { testApp, type TestApp } from '../support/app.js';
import { loginCookie, seedPasswordUser, socketFor, type ClientSocket } from '../support/session.js';
import { wav } from '../support/wav.js';

const T0 = Date.parse('2026-11-20T09:00:00Z');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function call(linkedId: string, extension: string, startedAt: number, over: Partial<CallRecord> = {}): CallRecord {
  return {
    linkedId, mergedLinkedIds: [], state: 'ended', source: 'ami', needsCdr: false, direction: 'inbound', origin: null, contactId: null, clientId: null,
    routedBy: null, externalNumber: '+79161234567', extension, startedAt, answeredAt: startedAt + 5000, endedAt: startedAt + 65_000,
    ringMs: 5000, talkMs: 60_000, disposition: 'answered', hangupCause: null, recordingFile: null,
    legs: [{ uniqueId: `${linkedId}-leg`, channel: `PJSIP/${extension}-00000001`, extension, startedAt: startedAt + 100, answeredAt: startedAt + 5000, endedAt: startedAt + 65_000, ringMs: 4900, talkMs: 60_000, disposition: 'answered', hangupCause: null }],
    ...over,
  };
}

describe('one extension, one person', () => {
  let t: TestApp;
  const tok: Record<string, string> = {};
  const id: Record<string, string> = {};
  const h = (who: string) => ({ authorization: `Bearer ${tok[who]}` });

  beforeEach(async () => {
    t = await testApp({ CTI_TIMEZONE: 'UTC' }, { pbx: true });
    id.anna = await seedPasswordUser(t.app, 'anna', 'manager', '101');
    id.boris = await seedPasswordUser(t.app, 'boris', 'manager', '102');
    id.sveta = await seedPasswordUser(t.app, 'sveta', 'supervisor');
    id.root = await seedPasswordUser(t.app, 'root', 'admin');
    for (const n of ['anna', 'boris', 'sveta', 'root']) tok[n] = await createToken(t.app.db, n);
  });
  afterEach(async () => t.close());

  /** anna moves to 105 and boris takes her 101, through the admin API. */
  async function borisTakes101(): Promise<void> {
    const a = await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${id.anna}`, headers: h('root'), payload: { extension: '105' } });
    expect(a.statusCode, a.body).toBe(200);
    const b = await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${id.boris}`, headers: h('root'), payload: { extension: '101' } });
    expect(b.statusCode, b.body).toBe(200);
  }

  it('a second user on an extension gets 409 CTI_ERR_EXTENSION_TAKEN naming who has it, on create and on update; cti user add refuses too', async () => {
    const add = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: h('root'), payload: { name: 'olga', role: 'manager', extension: '101', password: 'a long password' } });
    expect(add.statusCode, add.body).toBe(409);
    expect(add.json().error).toMatchObject({ code: 'CTI_ERR_EXTENSION_TAKEN', details: { extension: '101', user: 'anna' } });
    expect(add.json().error.message).toMatch(/101.*anna/);
    // A supervisor is a person too: no second user of any role on 101.
    const sup = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: h('root'), payload: { name: 'vera', role: 'supervisor', extension: '101', password: 'a long password' } });
    expect(sup.statusCode).toBe(409);
    const upd = await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${id.boris}`, headers: h('root'), payload: { extension: '101' } });
    expect(upd.statusCode, upd.body).toBe(409);
    expect(upd.json().error.code).toBe('CTI_ERR_EXTENSION_TAKEN');
    await expect(addUser(t.app.db, { name: 'olga', role: 'manager', extension: '101' })).rejects.toMatchObject({ code: 'CTI_ERR_EXTENSION_TAKEN' });
    // Keeping one's own extension is no conflict; a freed extension can be taken.
    expect((await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${id.anna}`, headers: h('root'), payload: { extension: '101', language: 'en' } })).statusCode).toBe(200);
    await borisTakes101();
    const list = (await t.app.inject({ url: '/api/v1/users', headers: h('root') })).json().items as { name: string; extension: string | null }[];
    expect(list.filter((u) => u.extension === '101').map((u) => u.name)).toEqual(['boris']);
  });

  it('two admins giving one free extension (and one mobile) to two new users at once: one gets it, the other 409 naming who, never a 500', async () => {
    for (const [field, value, code] of [['extension', '107', 'CTI_ERR_EXTENSION_TAKEN'], ['mobile', '+79160000177', 'CTI_ERR_MOBILE_TAKEN']] as const) {
      const add = (name: string) => t.app.inject({
        method: 'POST', url: '/api/v1/users', headers: h('root'),
        payload: { name: `${name}-${field}`, role: 'supervisor', [field]: value, password: 'a long password' },
      });
      const both = await Promise.all([add('olga'), add('vera')]);
      expect(both.map((r) => r.statusCode).sort(), both.map((r) => r.body).join(' ')).toEqual([201, 409]);
      const winner = both.find((r) => r.statusCode === 201)!.json().name as string;
      expect(both.find((r) => r.statusCode === 409)!.json().error).toMatchObject({ code, details: { user: winner } });
      const list = (await t.app.inject({ url: '/api/v1/users', headers: h('root') })).json().items as Record<string, string | null>[];
      expect(list.filter((u) => u[field] === value).map((u) => u.name)).toEqual([winner]);
    }
  });

  it("boris, who takes 101 after anna moved to 105, does not see anna's past calls or recordings; anna still does; reports credit each their own", async () => {
    const store = new CallStore(t.app.db);
    mkdirSync(t.config.CTI_RECORDINGS_DIR, { recursive: true });
    writeFileSync(join(t.config.CTI_RECORDINGS_DIR, 'OLD.wav'), wav(2));
    await store.save('old', call('OLD', '101', T0, { recordingFile: '/var/spool/asterisk/monitor/cti/OLD.wav' }));
    await borisTakes101();
    await store.save('new', call('NEW', '101', T0 + 3_600_000));
    // Written again after the handover (a CDR completion, a re-match): still anna's, call and leg.
    await store.save('old', call('OLD', '101', T0, { recordingFile: '/var/spool/asterisk/monitor/cti/OLD.wav', source: 'ami+cdr' }));

    const borisCalls = (await t.app.inject({ url: '/api/v1/calls', headers: h('boris') })).json().items.map((c: { id: string }) => c.id);
    expect(borisCalls).toEqual(['new']);
    expect((await t.app.inject({ url: '/api/v1/calls/old', headers: h('boris') })).statusCode).toBe(403);
    expect((await t.app.inject({ url: '/api/v1/calls/old/recording', headers: h('boris') })).statusCode).toBe(403);
    const annaCalls = (await t.app.inject({ url: '/api/v1/calls', headers: h('anna') })).json().items;
    expect(annaCalls.map((c: { id: string }) => c.id)).toEqual(['old']);
    expect(annaCalls[0]).toMatchObject({ extension: '101', managerId: id.anna, legs: [expect.objectContaining({ extension: '101', managerId: id.anna })] });
    expect((await t.app.inject({ url: '/api/v1/calls/old/recording', headers: h('anna') })).statusCode).toBe(200);

    const r = await t.app.inject({ url: '/api/v1/reports/calls?from=2026-11-20&to=2026-11-21&groupBy=manager', headers: h('sveta') });
    expect(r.statusCode, r.body).toBe(200);
    const rows = r.json().rows.map((x: { extension: string; managerId: string; managerName: string; metrics: { calls: { value: number } } }) =>
      [x.extension, x.managerName, x.managerId, x.metrics.calls.value]);
    expect(rows).toEqual(expect.arrayContaining([['101', 'anna', id.anna, 1], ['101', 'boris', id.boris, 1]]));
    expect(rows).toHaveLength(2);
    // A row's calls: the report page drills down by the phone and the user.
    const drill = await t.app.inject({ url: `/api/v1/calls?extension=101&managerId=${id.anna}`, headers: h('sveta') });
    expect(drill.json().items.map((c: { id: string }) => c.id)).toEqual(['old']);
  });

  it("boris, who takes 101 after anna's user is deleted, does not see her past calls; the report keeps them off boris", async () => {
    await new CallStore(t.app.db).save('old', call('OLD', '101', T0));
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/users/${id.anna}`, headers: h('root') })).statusCode).toBe(204);
    expect((await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${id.boris}`, headers: h('root'), payload: { extension: '101' } })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/api/v1/calls', headers: h('boris') })).json().items).toEqual([]);
    expect((await t.app.inject({ url: '/api/v1/calls/old', headers: h('boris') })).statusCode).toBe(403);
    const r = await t.app.inject({ url: '/api/v1/reports/calls?from=2026-11-20&to=2026-11-21&groupBy=manager', headers: h('sveta') });
    expect(r.json().rows).toEqual([expect.objectContaining({ extension: '101', managerId: id.anna, managerName: null })]);
  });

  it('routing rings the person: a client who last spoke with anna rings her on 105, not boris who took 101', async () => {
    const c = await t.app.inject({ method: 'POST', url: '/api/v1/clients', headers: h('sveta'), payload: { kind: 'company', name: 'Romashka LLC' } });
    expect(c.statusCode, c.body).toBe(201);
    const ct = await t.app.inject({ method: 'POST', url: '/api/v1/contacts', headers: h('sveta'), payload: { clientId: c.json().id, name: 'Ivan', phones: [{ number: '+79161230001' }] } });
    expect(ct.statusCode, ct.body).toBe(201);
    await new CallStore(t.app.db).save('talk', call('TALK', '101', Date.now() - 3_600_000, { externalNumber: '+79161230001', clientId: c.json().id, contactId: ct.json().id }));
    await borisTakes101();
    expect(await factsSource(t.app.db)('main', '+79161230001', 30)).toMatchObject({ priorManagerExtension: '105', ownerExtension: null });
  });

  it('the pop, the tasks and the live board name the same person for an extension, at once after a change; a page open before it gets no more of its calls', async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    const board = async () => (await t.app.inject({ url: '/api/v1/live', headers: h('sveta') })).json();
    // The board knows anna on 101, and a call missed on 101 while she had it.
    expect((await board()).managers.find((m: { extension: string }) => m.extension === '101')).toMatchObject({ name: 'anna' });
    const missed = (lid: string, at: number) => call(lid, '101', at, { answeredAt: null, talkMs: 0, disposition: 'no_answer', legs: [] });
    await new CallStore(t.app.db).save('missed-anna', missed('MA', Date.now() - 600_000));
    // anna's page, open since before the handover, must not get 101's calls after it.
    const annaSocket = await socketFor(url, await loginCookie(t.app, 'anna'));

    await borisTakes101();
    await new CallStore(t.app.db).save('missed-boris', missed('MB', Date.now() - 300_000));
    const tasks = await createMissedCallTasks(t.app.db, { dueMinutes: 15 });
    expect(Object.fromEntries(tasks.created.map((x) => [x.callId, x.assigneeName]))).toEqual({ 'missed-anna': 'anna', 'missed-boris': 'boris' });

    const sockets: ClientSocket[] = [await socketFor(url, await loginCookie(t.app, 'boris')), annaSocket];
    const got = sockets.map(() => [] as string[]);
    sockets.forEach((s, i) => s.onAny((name: string) => got[i]!.push(name)));
    const evs = scenarioEvents('inbound-answered', { numbers: { 15551230001: '79161230001' } });
    const ring = evs.findIndex((e) => e.type === 'cel' && e.name === 'CHAN_START' && e.channel.startsWith('PJSIP/101'));
    for (const e of evs.slice(0, ring + 1)) {
      t.pbx.feed(e);
    }
    await sleep(200);
    expect(got[0]).toContain('call:ringing');
    expect(got[1]).not.toContain('call:ringing');
    const b = await board();
    expect(b.managers.filter((m: { extension: string }) => ['101', '105'].includes(m.extension)).map((m: { extension: string; name: string }) => [m.extension, m.name]))
      .toEqual([['101', 'boris'], ['105', 'anna']]);
    expect(b.calls[0]).toMatchObject({ extension: '101', managerName: 'boris' });
    for (const e of evs.slice(ring + 1)) t.pbx.feed(e);
    await sleep(200);
    expect(got[0]).toEqual(expect.arrayContaining(['call:answered', 'call:ended']));
    expect(got[1]!.filter((n) => n.startsWith('call:'))).toEqual([]);
    for (const s of sockets) s.close();
  });
});

// An older SQLite file upgraded in place: SQLite's own migration path, whichever engine the run's
// other tests use (no app of theirs is open here: one process opens one engine).
describe('one extension, one person: upgrading an older SQLite database', () => {
  it('a database with two users on one extension does not migrate: the message names the extension, the users and what to do; nothing changes', async () => {
    // A database at the migration before the unique index.
    const dir = mkdtempSync(join(tmpdir(), 'cti-dup-'));
    const old = join(dir, 'migrations');
    mkdirSync(join(old, 'meta'), { recursive: true });
    const journal = JSON.parse(readFileSync(join(migrationsFolder(), 'meta/_journal.json'), 'utf8')) as { entries: { idx: number; tag: string }[] };
    journal.entries = journal.entries.filter((e) => e.idx <= 7);
    writeFileSync(join(old, 'meta/_journal.json'), JSON.stringify(journal));
    for (const f of readdirSync(migrationsFolder())) if (journal.entries.some((e) => `${e.tag}.sql` === f)) copyFileSync(join(migrationsFolder(), f), join(old, f));
    const file = join(dir, 'cti.sqlite');
    const sqlite = new Database(file);
    migrate(drizzle(sqlite), { migrationsFolder: old });
    const ins = sqlite.prepare("INSERT INTO users (id, name, role, extension, created_at) VALUES (?, ?, 'manager', ?, 0)");
    ins.run('u1', 'anna', '101');
    ins.run('u2', 'boris', '101');
    ins.run('u3', 'olga', '103');
    ins.run('u4', 'denis', '103');
    ins.run('u5', 'sveta', null);
    ins.run('u6', 'root', null);
    const applied = (sqlite.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get() as { n: number }).n;
    sqlite.close();

    let message = '';
    try {
      await (await openDb(file)).close();
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/extension 101: anna, boris/);
    expect(message).toMatch(/extension 103: denis, olga/);
    expect(message).not.toMatch(/sveta|root/);
    expect(message).toMatch(/one user/i);
    expect(message).toMatch(/UPDATE users SET extension/);

    const after = new Database(file, { readonly: true });
    expect(after.prepare('SELECT name, extension FROM users ORDER BY name').all()).toEqual([
      { name: 'anna', extension: '101' }, { name: 'boris', extension: '101' }, { name: 'denis', extension: '103' },
      { name: 'olga', extension: '103' }, { name: 'root', extension: null }, { name: 'sveta', extension: null },
    ]);
    expect((after.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get() as { n: number }).n).toBe(applied);
    after.close();

    // Once the admin has given each their own extension, it opens.
    const fix = new Database(file);
    fix.prepare("UPDATE users SET extension = '102' WHERE name = 'boris'").run();
    fix.prepare("UPDATE users SET extension = NULL WHERE name = 'denis'").run();
    fix.close();
    await (await openDb(file)).close();
  });
});
