// The call lists' names and search (issue 11, item 6): every call names its contact, client and manager;
// `q` finds calls by a number written any way (or a part of it) and by a contact's or client's name in
// any case, Cyrillic too; a manager's search never finds another manager's client by its name; the
// managers list for the filter is for supervisors and admins.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CallStore } from '../../src/calls/store.js';
import type { CallRecord } from '../../src/calls/model.js';
import { addUser, createToken } from '../../src/users/users.js';
import { testApp, type TestApp } from '../support/app.js';

const T0 = Date.parse('2026-11-20T09:00:00Z');

function record(over: Partial<CallRecord> & { linkedId: string }): CallRecord {
  return {
    mergedLinkedIds: [], state: 'ended', source: 'ami', needsCdr: false, direction: 'inbound', origin: null, contactId: null, clientId: null, routedBy: null,
    externalNumber: '+79161234567', extension: '101', startedAt: T0, answeredAt: T0 + 5000, endedAt: T0 + 65_000,
    ringMs: 5000, talkMs: 60_000, disposition: 'answered', hangupCause: null, recordingFile: null, legs: [],
    ...over,
  };
}

describe('calls: names and search', () => {
  let t: TestApp;
  const tok: Record<string, string> = {};
  const ids: Record<string, string> = {};
  const auth = (name: string) => ({ authorization: `Bearer ${tok[name]}` });
  const linked = async (who: string, query: string) => {
    const r = await t.app.inject({ url: `/api/v1/calls?${query}`, headers: auth(who) });
    expect(r.statusCode, r.body).toBe(200);
    return (r.json().items as { linkedId: string }[]).map((c) => c.linkedId).sort();
  };
  const post = async (url: string, payload: object) => {
    const r = await t.app.inject({ method: 'POST', url, payload, headers: auth('sveta') });
    expect(r.statusCode, r.body).toBe(201);
    return r.json().id as string;
  };

  beforeEach(async () => {
    t = await testApp();
    const db = t.app.db;
    for (const [name, role, ext] of [['anna', 'manager', '101'], ['boris', 'manager', '102'], ['sveta', 'supervisor', null], ['root', 'admin', null]] as const) {
      ids[name] = (await addUser(db, { name, role, extension: ext })).id;
      tok[name] = await createToken(db, name);
    }
    // anna's client "Ромашка" (contact Иван Петров), boris's client "Acme" (contact John Smith).
    const romashka = await post('/api/v1/clients', { name: 'ООО «Ромашка»', ownerId: ids['anna'] });
    const ivan = await post('/api/v1/contacts', { clientId: romashka, name: 'Иван Петров', phones: [{ number: '+7 916 123-45-67' }] });
    const acme = await post('/api/v1/clients', { name: 'Acme Trading', ownerId: ids['boris'] });
    const john = await post('/api/v1/contacts', { clientId: acme, name: 'John Smith', phones: [{ number: '+7 903 555-00-11' }] });
    const store = new CallStore(db);
    await store.save('c1', record({ linkedId: 'L1', contactId: ivan, clientId: romashka }));
    await store.save('c2', record({ linkedId: 'L2', externalNumber: '+79035550011', extension: '102', startedAt: T0 + 60_000, contactId: john, clientId: acme }));
    // anna took a call from boris's client's number (a ring group): she sees the call, not the names.
    await store.save('c3', record({ linkedId: 'L3', externalNumber: '+79035550011', extension: '101', startedAt: T0 + 120_000, contactId: john, clientId: acme }));
    await store.save('c4', record({ linkedId: 'L4', externalNumber: '+74951112233', extension: '102', startedAt: T0 + 180_000 }));
  });
  afterEach(async () => t.close());

  it('names the contact, the client and the manager of each call, as the reader may see them', async () => {
    const r = await t.app.inject({ url: '/api/v1/calls', headers: auth('sveta') });
    const byLinked = Object.fromEntries((r.json().items as { linkedId: string }[]).map((c) => [c.linkedId, c])) as Record<string, any>;
    expect(byLinked['L1']).toMatchObject({ contact: { name: 'Иван Петров' }, client: { name: 'ООО «Ромашка»' }, manager: { id: ids['anna'], name: 'anna' }, extension: '101' });
    expect(byLinked['L2']).toMatchObject({ contact: { name: 'John Smith' }, client: { name: 'Acme Trading' }, manager: { name: 'boris' } });
    expect(byLinked['L4']).toMatchObject({ contact: null, client: null, manager: { name: 'boris' } });
    const mine = await t.app.inject({ url: '/api/v1/calls?linkedId=L3', headers: auth('anna') });
    expect(mine.json().items[0]).toMatchObject({ contact: null, client: null, manager: { name: 'anna' } });
    const one = await t.app.inject({ url: '/api/v1/calls/c1', headers: auth('anna') });
    expect(one.json()).toMatchObject({ manager: { name: 'anna' }, contact: { name: 'Иван Петров' } });
  });

  it('finds calls by a number written any way, or by a part of its digits', async () => {
    expect(await linked('sveta', `q=${encodeURIComponent('8 (916) 123-45-67')}`)).toEqual(['L1']);
    expect(await linked('sveta', `q=${encodeURIComponent('+7 903 555 00 11')}`)).toEqual(['L2', 'L3']);
    expect(await linked('sveta', `q=${encodeURIComponent('111-22')}`)).toEqual(['L4']);
    expect(await linked('sveta', 'q=000000')).toEqual([]);
  });

  it('finds calls by a client or contact name in any case, Cyrillic too', async () => {
    expect(await linked('sveta', `q=${encodeURIComponent('РОМАШ')}`)).toEqual(['L1']);
    expect(await linked('sveta', `q=${encodeURIComponent('петров')}`)).toEqual(['L1']);
    expect(await linked('root', 'q=acme')).toEqual(['L2', 'L3']);
    expect(await linked('sveta', 'q=smith')).toEqual(['L2', 'L3']);
    // with the manager filter
    expect(await linked('sveta', `q=acme&managerId=${ids['anna']}`)).toEqual(['L3']);
    expect(await linked('sveta', `managerId=${ids['boris']}`)).toEqual(['L2', 'L4']);
  });

  it("keeps a manager's search within what they may see: another manager's client is not found by its name", async () => {
    expect(await linked('anna', 'q=acme')).toEqual([]);
    expect(await linked('anna', 'q=smith')).toEqual([]);
    // The number of the call she took is hers to find.
    expect(await linked('anna', `q=${encodeURIComponent('89035550011')}`)).toEqual(['L3']);
    expect(await linked('anna', `q=${encodeURIComponent('ромашка')}`)).toEqual(['L1']);
    expect(await linked('boris', `q=${encodeURIComponent('ромашка')}`)).toEqual([]);
  });

  it('refuses a search longer than 200 characters, naming the parameter', async () => {
    const r = await t.app.inject({ url: `/api/v1/calls?q=${'a'.repeat(201)}`, headers: auth('sveta') });
    expect(r.statusCode).toBe(400);
    expect(r.json().error.message).toContain('q');
  });

  it('documents q, the manager and GET /api/v1/managers in the OpenAPI description', async () => {
    const doc = (await t.app.inject({ url: '/api/docs/json' })).json();
    const q = doc.paths['/api/v1/calls'].get.parameters.find((p: { name: string }) => p.name === 'q');
    expect(q).toMatchObject({ in: 'query', schema: { type: 'string', maxLength: 200 } });
    expect(q.description).toContain('any format');
    expect(JSON.stringify(doc.components?.schemas ?? doc.definitions ?? {})).toContain('the user the call is credited to (managerId), by name');
    expect(doc.paths['/api/v1/managers'].get.summary).toContain('supervisors and admins');
  });

  it('lists the managers by name for supervisors and admins, 403 for a manager', async () => {
    for (const who of ['sveta', 'root']) {
      const r = await t.app.inject({ url: '/api/v1/managers', headers: auth(who) });
      expect(r.statusCode).toBe(200);
      expect(r.json().items).toEqual([
        { id: ids['anna'], name: 'anna', role: 'manager', pbx: 'main', extension: '101' },
        { id: ids['boris'], name: 'boris', role: 'manager', pbx: 'main', extension: '102' },
      ]);
    }
    const m = await t.app.inject({ url: '/api/v1/managers', headers: auth('anna') });
    expect(m.statusCode).toBe(403);
    expect(m.json().error.code).toBe('CTI_ERR_FORBIDDEN');
  });
});
