import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { CallStore } from '../../src/calls/store.js';
import type { CallRecord } from '../../src/calls/model.js';
import { calls } from '../../src/db/schema/index.js';
import { addUser, createToken } from '../../src/users/users.js';
import { testApp, type TestApp } from '../support/app.js';

const DAY = 86_400_000;

function call(linkedId: string, externalNumber: string, startedAt: number, answered = true): CallRecord {
  return {
    linkedId, mergedLinkedIds: [], state: 'ended', source: 'ami', needsCdr: false, direction: 'inbound', origin: null, contactId: null, clientId: null, routedBy: null,
    externalNumber, extension: '101', startedAt, answeredAt: answered ? startedAt + 5000 : null, endedAt: startedAt + 65_000,
    ringMs: 5000, talkMs: answered ? 60_000 : 0, disposition: answered ? 'answered' : 'no_answer', hangupCause: null, recordingFile: null, legs: [],
  };
}

describe('contacts API', () => {
  let t: TestApp;
  let anna: string; // manager on 101
  let boris: string; // manager on 102
  let sveta: string; // supervisor
  let annaId: string;
  let borisId: string;
  const auth = (tok: string) => ({ authorization: `Bearer ${tok}` });
  const req = (tok: string, method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
    t.app.inject({ method, url, headers: auth(tok), ...(payload !== undefined ? { payload: payload as object } : {}) });

  /** A client owned by `ownerName` (or nobody) with one contact and its numbers; returns both ids. */
  async function clientWithContact(tok: string, name: string, phones: string[], ownerName?: string | null) {
    const c = await req(tok, 'POST', '/api/v1/clients', { name, kind: 'company', ...(ownerName !== undefined ? { ownerName } : {}) });
    expect(c.statusCode, c.body).toBe(201);
    const k = await req(tok, 'POST', '/api/v1/contacts', { clientId: c.json().id, name: `${name} contact`, phones: phones.map((number) => ({ number })) });
    expect(k.statusCode, k.body).toBe(201);
    return { clientId: c.json().id as string, contactId: k.json().id as string };
  }

  beforeEach(async () => {
    t = await testApp();
    const db = t.app.db;
    annaId = (await addUser(db, { name: 'anna', role: 'manager', extension: '101' })).id;
    borisId = (await addUser(db, { name: 'boris', role: 'manager', extension: '102' })).id;
    await addUser(db, { name: 'sveta', role: 'supervisor' });
    anna = await createToken(db, 'anna');
    boris = await createToken(db, 'boris');
    sveta = await createToken(db, 'sveta');
  });
  afterEach(async () => t.close());

  it('creates, reads, changes, lists and deletes clients and contacts', async () => {
    const c = await req(sveta, 'POST', '/api/v1/clients', {
      name: 'ООО Ромашка', kind: 'company', turnover: '200 000,50', currency: 'rub', ownerName: 'anna', segment: 'wholesale', externalId: 'crm-1',
    });
    expect(c.statusCode, c.body).toBe(201);
    expect(c.json()).toMatchObject({ name: 'ООО Ромашка', kind: 'company', turnover: '200000.50', currency: 'RUB', ownerId: annaId, segment: 'wholesale', externalId: 'crm-1' });
    const id = c.json().id;
    expect((await req(sveta, 'GET', `/api/v1/clients/${id}`)).json().name).toBe('ООО Ромашка');
    const p = await req(sveta, 'PATCH', `/api/v1/clients/${id}`, { turnover: 2000, segment: null });
    expect(p.json()).toMatchObject({ turnover: '2000.00', currency: 'RUB', segment: null });

    const k = await req(sveta, 'POST', '/api/v1/contacts', {
      clientId: id, name: 'Иван Петров', email: 'ivan@romashka.ru',
      phones: [{ number: '8 (916) 123-45-67', label: 'mobile' }, { number: '+7 495 123-45-67, доб. 12', label: 'office' }, { number: '+79161234567' }],
    });
    expect(k.statusCode, k.body).toBe(201);
    expect(k.json().phones).toEqual([
      { number: '8 (916) 123-45-67', e164: '+79161234567', label: 'mobile' },
      { number: '+7 495 123-45-67, доб. 12', e164: '+74951234567', label: 'office' },
    ]);
    const kid = k.json().id;
    const kp = await req(sveta, 'PATCH', `/api/v1/contacts/${kid}`, { phones: [{ number: '9031234567', label: 'new' }] });
    expect(kp.json().phones).toEqual([{ number: '9031234567', e164: '+79031234567', label: 'new' }]);
    expect(kp.json().email).toBe('ivan@romashka.ru');

    const list = await req(sveta, 'GET', `/api/v1/contacts?clientId=${id}`);
    expect(list.json().items.map((x: { id: string }) => x.id)).toEqual([kid]);
    expect((await req(sveta, 'DELETE', `/api/v1/contacts/${kid}`)).statusCode).toBe(204);
    expect((await req(sveta, 'GET', `/api/v1/contacts/${kid}`)).statusCode).toBe(404);
    await req(sveta, 'POST', '/api/v1/contacts', { clientId: id, name: 'Second', phones: [{ number: '+79035550000' }] });
    expect((await req(sveta, 'DELETE', `/api/v1/clients/${id}`)).statusCode).toBe(204);
    expect((await req(sveta, 'GET', `/api/v1/clients/${id}`)).json().error.code).toBe('CTI_ERR_CLIENT_NOT_FOUND');
    expect((await req(sveta, 'GET', '/api/v1/contacts')).json().items).toEqual([]);
  });

  it.each([
    ['POST', '/api/v1/clients', {}, 'name'],
    ['POST', '/api/v1/clients', { name: 'X', kind: 'robot' }, 'kind'],
    ['POST', '/api/v1/clients', { name: 'X', turnover: '100' }, 'currency'],
    ['POST', '/api/v1/clients', { name: 'X', turnover: '100', currency: 'XXQ' }, 'currency'],
    ['POST', '/api/v1/clients', { name: 'X', turnover: '12.345', currency: 'RUB' }, 'turnover'],
    ['POST', '/api/v1/clients', { name: 'X', turnover: 'lots', currency: 'RUB' }, 'turnover'],
    ['POST', '/api/v1/clients', { name: 'X', ownerName: 'nobody' }, 'ownerName'],
    ['POST', '/api/v1/clients', { name: 'X', ownerId: 'nope' }, 'ownerId'],
    ['POST', '/api/v1/clients', { name: 'X', colour: 'red' }, 'colour'],
    ['POST', '/api/v1/clients', { name: '   ' }, 'name'],
    ['POST', '/api/v1/contacts', { name: 'No client' }, 'clientId'],
    ['POST', '/api/v1/contacts', { clientId: 'nope', name: 'X' }, 'clientId'],
    ['GET', '/api/v1/clients?cursor=garbage', undefined, 'cursor'],
    ['GET', '/api/v1/contacts?limit=0', undefined, 'limit'],
    ['GET', '/api/v1/contacts/lookup', undefined, 'number'],
  ] as const)('%s %s %j -> 400 naming %s', async (method, url, payload, field) => {
    const r = await req(sveta, method, url, payload);
    expect(r.statusCode, r.body).toBe(400);
    expect(r.json().error.code).toBe('CTI_ERR_BAD_REQUEST');
    expect(r.json().error.message).toContain(field);
  });

  it('names the bad number, label or email of a contact in the 400', async () => {
    const { clientId } = await clientWithContact(sveta, 'Acme', []);
    for (const [payload, field] of [
      [{ clientId, name: 'X', phones: [{ number: '+79161234567' }, { number: 'anonymous' }] }, 'phones/1/number'],
      [{ clientId, name: 'X', phones: [{ number: '+79161234567', label: 'x'.repeat(40) }] }, 'phones/0/label'],
      [{ clientId, name: 'X', phones: [{ label: 'mobile' }] }, 'phones/0'],
      [{ clientId, name: 'X', email: 'not-an-email' }, 'email'],
    ] as const) {
      const r = await req(sveta, 'POST', '/api/v1/contacts', payload);
      expect(r.statusCode, r.body).toBe(400);
      expect(r.json().error.message).toContain(field);
    }
    const bad = await t.app.inject({ method: 'POST', url: '/api/v1/clients', headers: { ...auth(sveta), 'content-type': 'application/json' }, payload: '{"name":' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('CTI_ERR_BAD_REQUEST');
  });

  it("keeps a manager to their own clients: 403 on another's, absent from lists and lookups", async () => {
    const a = await clientWithContact(anna, 'Anna Co', ['+7 916 111-11-11']);
    expect((await req(anna, 'GET', `/api/v1/clients/${a.clientId}`)).json().ownerId).toBe(annaId);
    const b = await clientWithContact(boris, 'Boris Co', ['+7 916 222-22-22']);

    expect((await req(boris, 'GET', `/api/v1/clients/${a.clientId}`)).statusCode).toBe(403);
    expect((await req(boris, 'GET', `/api/v1/contacts/${a.contactId}`)).statusCode).toBe(403);
    expect((await req(boris, 'PATCH', `/api/v1/clients/${a.clientId}`, { name: 'Mine now' })).statusCode).toBe(403);
    expect((await req(boris, 'PATCH', `/api/v1/contacts/${a.contactId}`, { name: 'Mine now' })).statusCode).toBe(403);
    expect((await req(boris, 'DELETE', `/api/v1/clients/${a.clientId}`)).statusCode).toBe(403);
    expect((await req(boris, 'DELETE', `/api/v1/contacts/${a.contactId}`)).statusCode).toBe(403);
    expect((await req(boris, 'POST', '/api/v1/contacts', { clientId: a.clientId, name: 'Spy' })).statusCode).toBe(403);
    expect((await req(boris, 'PATCH', `/api/v1/contacts/${b.contactId}`, { clientId: a.clientId })).statusCode).toBe(403);
    expect((await req(boris, 'PUT', '/api/v1/clients/external/x1', { name: 'Gift', ownerName: 'anna' })).statusCode).toBe(403);
    expect((await req(boris, 'PATCH', `/api/v1/clients/${b.clientId}`, { ownerId: annaId })).statusCode).toBe(403);
    expect((await req(boris, 'GET', '/api/v1/clients/no-such-id')).statusCode).toBe(404);
    expect((await req(boris, 'GET', '/api/v1/contacts/lookup?number=89161111111')).statusCode).toBe(404);
    const upload = await t.app.inject({ method: 'POST', url: '/api/v1/imports', headers: { ...auth(boris), 'content-type': 'text/csv' }, payload: 'client_external_id\n' });
    expect(upload.statusCode).toBe(403);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/imports', headers: auth(boris), payload: 'x' })).statusCode).toBe(403);

    const names = async (tok: string, path: string) => (await req(tok, 'GET', path)).json().items.map((x: { name: string }) => x.name).sort();
    expect(await names(boris, '/api/v1/clients')).toEqual(['Boris Co']);
    expect(await names(boris, '/api/v1/contacts')).toEqual(['Boris Co contact']);
    expect(await names(boris, '/api/v1/contacts?q=916')).toEqual(['Boris Co contact']);
    expect(await names(sveta, '/api/v1/clients')).toEqual(['Anna Co', 'Boris Co']);
    expect((await req(anna, 'GET', '/api/v1/contacts/lookup?number=89161111111')).json().contact.id).toBe(a.contactId);
    expect((await req(sveta, 'GET', '/api/v1/contacts/lookup?number=89161111111')).json().contact.id).toBe(a.contactId);
  });

  it('looks a contact up from any format, with client, owner and turnover', async () => {
    const c = await req(sveta, 'POST', '/api/v1/clients', { name: 'Опт', turnover: '200000', currency: 'RUB', ownerName: 'anna' });
    const k = await req(sveta, 'POST', '/api/v1/contacts', { clientId: c.json().id, name: 'Пётр', phones: [{ number: '+7 916 123-45-67', label: 'mobile' }, { number: '8 495 765 43 21, доб. 9' }] });
    await clientWithContact(sveta, 'Other', ['+7 916 123-45-68', '+7 916 123-45-76']);
    for (const number of [
      '+7 916 123-45-67', '8 (916) 123 45 67', '9161234567', '79161234567', '+79161234567', '0079161234567', '8-916-123-45-67',
      '+7 (916) 123-45-67', '8 (916) 123-45-67, доб. 123', '89161234567x123', '+79161234567;ext=12', '+7 916 123 45 67 ext. 12',
      '4957654321', '+7 495 765-43-21',
    ]) {
      const r = await req(sveta, 'GET', `/api/v1/contacts/lookup?number=${encodeURIComponent(number)}`);
      expect(r.statusCode, `${number}: ${r.body}`).toBe(200);
      expect(r.json().contact.id, number).toBe(k.json().id);
    }
    const r = await req(sveta, 'GET', '/api/v1/contacts/lookup?number=89161234567');
    expect(r.json()).toMatchObject({
      contact: { name: 'Пётр' }, client: { name: 'Опт', turnover: '200000.00' },
      owner: { id: annaId, name: 'anna', extension: '101', pbx: 'main' }, turnover: { amount: '200000.00', currency: 'RUB', minorUnits: 20_000_000 },
    });
    for (const bad of ['anonymous', 'unknown', '123', '+', 'abc', '1'.repeat(40), '٩١٦١٢٣٤٥٦٧', 'x123', '+7 916 123 45', '916123456']) {
      const miss = await req(sveta, 'GET', `/api/v1/contacts/lookup?number=${encodeURIComponent(bad)}`);
      expect(miss.statusCode, bad).toBe(404);
      expect(miss.json().error.code).toBe('CTI_ERR_CONTACT_NOT_FOUND');
    }
  });

  it('resolves a shared number by the documented rule', async () => {
    const board = '+7 495 000-00-01';
    // No owner vs owner: the client with an owner wins even if the other was updated later.
    const owned = await clientWithContact(sveta, 'Owned', [board], 'boris');
    const orphan = await clientWithContact(sveta, 'Orphan', [board], null);
    const look = async () => (await req(sveta, 'GET', `/api/v1/contacts/lookup?number=${encodeURIComponent(board)}`)).json().contact.id;
    expect(await look()).toBe(owned.contactId);
    // Both owned: the most recently updated when none has an answered call...
    const fresh = await clientWithContact(sveta, 'Fresh', [board], 'anna');
    expect(await look()).toBe(fresh.contactId);
    // ...but the one with the latest answered call beats it.
    const store = new CallStore(t.app.db);
    await store.save('x1', call('X1', '+74950000001', Date.now() - DAY));
    await t.app.db.update(calls).set({ contactId: owned.contactId, clientId: owned.clientId }).where(eq(calls.id, 'x1'));
    await req(sveta, 'PATCH', `/api/v1/contacts/${fresh.contactId}`, { name: 'Fresh again' });
    expect(await look()).toBe(owned.contactId);
    expect(orphan.contactId).not.toBe(owned.contactId);
    // A manager sees the rule applied to their own clients.
    expect((await req(anna, 'GET', `/api/v1/contacts/lookup?number=${encodeURIComponent(board)}`)).json().contact.id).toBe(fresh.contactId);
  });

  it('re-matches recent calls when a contact is created, renumbered or deleted', async () => {
    const store = new CallStore(t.app.db);
    const now = Date.now();
    await store.save('recent', call('R1', '+79161234567', now - 2 * DAY));
    await store.save('missed', call('R2', '+79161234567', now - 3 * DAY, false));
    await store.save('old', call('R3', '+79161234567', now - 40 * DAY));
    await store.save('other', call('R4', '+79031234567', now - DAY));
    const view = async (id: string) => (await req(sveta, 'GET', `/api/v1/calls/${id}`)).json();

    const { clientId, contactId } = await clientWithContact(sveta, 'Late', ['8 (916) 123-45-67']);
    expect(await view('recent')).toMatchObject({ contactId, clientId });
    expect(await view('missed')).toMatchObject({ contactId, clientId });
    expect(await view('old')).toMatchObject({ contactId: null, clientId: null });
    expect(await view('other')).toMatchObject({ contactId: null });
    const byClient = await req(sveta, 'GET', `/api/v1/calls?clientId=${clientId}`);
    expect(byClient.json().items.map((c: { id: string }) => c.id).sort()).toEqual(['missed', 'recent']);

    await req(sveta, 'PATCH', `/api/v1/contacts/${contactId}`, { phones: [{ number: '+7 903 123 45 67' }] });
    expect(await view('recent')).toMatchObject({ contactId: null, clientId: null });
    expect(await view('other')).toMatchObject({ contactId, clientId });

    await req(sveta, 'DELETE', `/api/v1/contacts/${contactId}`);
    expect(await view('other')).toMatchObject({ contactId: null, clientId: null });
  });

  it('honours CTI_CONTACTS_REMATCH_DAYS', async () => {
    await t.close();
    t = await testApp({ CTI_CONTACTS_REMATCH_DAYS: '60' });
    await addUser(t.app.db, { name: 'sveta', role: 'supervisor' });
    sveta = await createToken(t.app.db, 'sveta');
    await new CallStore(t.app.db).save('old', call('R3', '+79161234567', Date.now() - 40 * DAY));
    const { contactId } = await clientWithContact(sveta, 'Late', ['+79161234567']);
    expect((await req(sveta, 'GET', '/api/v1/calls/old')).json().contactId).toBe(contactId);
  });

  it('upserts by external CRM id: created, replaced, and unchanged when nothing differs', async () => {
    const put = (url: string, body: unknown) => req(sveta, 'PUT', url, body);
    const c1 = await put('/api/v1/clients/external/crm-42', { name: 'Acme', turnover: 5000, currency: 'EUR', ownerName: 'boris' });
    expect(c1.statusCode).toBe(201);
    expect(c1.json()).toMatchObject({ externalId: 'crm-42', turnover: '5000.00', currency: 'EUR', ownerId: borisId });
    const c2 = await put('/api/v1/clients/external/crm-42', { name: 'Acme', turnover: '5000.00', currency: 'EUR', ownerName: 'boris' });
    expect(c2.statusCode).toBe(200);
    expect(c2.json().updatedAt).toBe(c1.json().updatedAt);
    expect(c2.json().id).toBe(c1.json().id);
    const c3 = await put('/api/v1/clients/external/crm-42', { name: 'Acme Ltd' });
    expect(c3.json()).toMatchObject({ name: 'Acme Ltd', turnover: null, currency: null, ownerId: null });

    const k1 = await put('/api/v1/contacts/external/p-1', { clientExternalId: 'crm-42', name: 'Jane', phones: [{ number: '+44 20 7946 0958' }] });
    expect(k1.statusCode, k1.body).toBe(201);
    const k2 = await put('/api/v1/contacts/external/p-1', { clientExternalId: 'crm-42', name: 'Jane', phones: [{ number: '+44 20 7946 0958' }] });
    expect(k2.statusCode).toBe(200);
    expect(k2.json().updatedAt).toBe(k1.json().updatedAt);
    const k3 = await put('/api/v1/contacts/external/p-1', { clientId: c1.json().id, name: 'Jane Doe' });
    expect(k3.json()).toMatchObject({ name: 'Jane Doe', phones: [], externalId: 'p-1' });
    expect((await put('/api/v1/contacts/external/p-2', { clientExternalId: 'nope', name: 'X' })).json().error.message).toContain('clientExternalId');

    const dup = await req(sveta, 'POST', '/api/v1/clients', { name: 'Other', externalId: 'crm-42' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error.code).toBe('CTI_ERR_EXTERNAL_ID_TAKEN');
  });

  it('searches by name in any case and script, email and number in any format, and pages with a cursor', async () => {
    const { clientId } = await clientWithContact(sveta, 'Сигма', []);
    for (const [name, email, number] of [
      ['Иван Петров', 'ivan@sigma.ru', '+7 916 100-00-01'], ['Анна Иванова', 'anna@sigma.ru', '+7 916 100-00-02'],
      ['Boris Ivanov', 'boris@example.com', '+7 916 100-00-03'], ['Zed 100%_done', null, '+7 916 100-00-04'],
    ] as const) {
      await req(sveta, 'POST', '/api/v1/contacts', { clientId, name, email, phones: [{ number }] });
    }
    const q = async (s: string) => (await req(sveta, 'GET', `/api/v1/contacts?q=${encodeURIComponent(s)}`)).json().items.map((x: { name: string }) => x.name);
    expect(await q('иван')).toEqual(['Анна Иванова', 'Иван Петров']);
    expect(await q('IVAN')).toEqual(['Boris Ivanov', 'Иван Петров']);
    expect(await q('example.com')).toEqual(['Boris Ivanov']);
    expect(await q('8 (916) 100-00-02')).toEqual(['Анна Иванова']);
    expect(await q('1000003')).toEqual(['Boris Ivanov']);
    expect(await q('100%_')).toEqual(['Zed 100%_done']);
    expect(await q('nobody')).toEqual([]);
    const clientsByPhone = await req(sveta, 'GET', `/api/v1/clients?q=${encodeURIComponent('+79161000001')}`);
    expect(clientsByPhone.json().items.map((x: { name: string }) => x.name)).toEqual(['Сигма']);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r = await req(sveta, 'GET', `/api/v1/contacts?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(r.json().items.length).toBeLessThanOrEqual(2);
      seen.push(...r.json().items.map((x: { name: string }) => x.name));
      cursor = r.json().nextCursor;
    } while (cursor);
    expect(seen).toEqual(['Boris Ivanov', 'Zed 100%_done', 'Анна Иванова', 'Иван Петров', 'Сигма contact']);
  });

  it('describes the new endpoints in OpenAPI', async () => {
    const doc = (await t.app.inject({ url: '/api/docs/json' })).json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining([
      '/api/v1/clients', '/api/v1/clients/{id}', '/api/v1/clients/external/{externalId}', '/api/v1/contacts', '/api/v1/contacts/{id}',
      '/api/v1/contacts/external/{externalId}', '/api/v1/contacts/lookup', '/api/v1/imports', '/api/v1/imports/{id}',
    ]));
  });
});
