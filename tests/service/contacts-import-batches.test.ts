// The CSV importer's bulk path (src/contacts/import.ts) over batch boundaries: the same external id
// several times in one file, a re-import that changes numbers, and re-matching of recent calls. Checked
// through what a user sees: the lookup and calls APIs.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CallStore } from '../../src/calls/store.js';
import type { CallRecord } from '../../src/calls/model.js';
import { SYSTEM_ACTOR, type ContactsContext } from '../../src/contacts/context.js';
import { importContacts, type ImportRowError } from '../../src/contacts/import.js';
import { addUser, createToken } from '../../src/users/users.js';
import { testApp, type TestApp } from '../support/app.js';

const HEADER = 'client_external_id;client_name;turnover;currency;owner;contact_external_id;contact_name;email;phones';

describe('CSV import in batches', () => {
  let t: TestApp;
  let token: string;
  let ctx: ContactsContext;

  const get = async (url: string) => t.app.inject({ url, headers: { authorization: `Bearer ${token}` } });
  const lookup = async (n: string) => get(`/api/v1/contacts/lookup?number=${encodeURIComponent(n)}`);
  async function run(lines: string[], batchSize: number) {
    const errors: ImportRowError[] = [];
    const progress: number[] = [];
    const r = await importContacts(ctx, [[HEADER, ...lines].join('\r\n') + '\r\n'], {
      batchSize, onRowError: (e) => errors.push(e), onProgress: (c) => progress.push(c.rowsRead),
    });
    return { ...r, errors, progress };
  }
  async function saveCall(id: string, externalNumber: string, agoMs: number) {
    const startedAt = Date.now() - agoMs;
    const rec: CallRecord = {
      linkedId: id, mergedLinkedIds: [], state: 'ended', source: 'ami', needsCdr: false, direction: 'inbound', origin: null, contactId: null, clientId: null, routedBy: null,
      externalNumber, extension: '101', startedAt, answeredAt: startedAt + 5000, endedAt: startedAt + 60_000,
      ringMs: 5000, talkMs: 55_000, disposition: 'answered', hangupCause: null, recordingFile: null, legs: [],
    };
    await new CallStore(t.app.db).save(id, rec);
  }

  beforeEach(async () => {
    t = await testApp();
    await addUser(t.app.db, { name: 'anna', role: 'manager', extension: '101' });
    await addUser(t.app.db, { name: 'sveta', role: 'supervisor' });
    token = await createToken(t.app.db, 'sveta');
    ctx = { db: t.app.db, actor: SYSTEM_ACTOR, region: 'RU', rematchWindowMs: 30 * 86_400_000 };
  });
  afterEach(async () => t.close());

  // A CRM export that names one client and one contact on several rows: a later row sees an earlier
  // one (an empty cell keeps what the earlier row set), whether they fall in one batch or in several.
  const DUPLICATES = [
    'C1;Acme;1000;RUB;anna;P1;Ann;ann@acme.test;mobile:+7 916 111-00-01',
    'C1;;;;;P1;Ann Brown;;mobile:8 916 111 00 02|office:+7 495 111-00-00',
    'C1;Acme Renamed;;;;P2;Bob;;+79161110003',
    'C2;;;;;P3;Nobody;;+79161110004',
    'C1;;;;;P1;;;',
  ];

  for (const batchSize of [5000, 2, 1]) {
    it(`folds rows with the same external id in file order (batches of ${batchSize})`, async () => {
      const r = await run(DUPLICATES, batchSize);
      expect(r).toMatchObject({ rowsRead: 5, rowsImported: 4, rowsChanged: 3, rowsRejected: 1 });
      expect(r.errors).toEqual([{ row: 5, column: 'client_name', reason: "required for a new client ('C2' is not known yet)" }]);
      expect(r.progress.at(-1)).toBe(5);
      if (batchSize === 1) expect(r.progress.length).toBeGreaterThanOrEqual(5);

      expect((await lookup('+79161110001')).statusCode).toBe(404);
      const ann = (await lookup('+79161110002')).json();
      expect(ann).toMatchObject({
        contact: { externalId: 'P1', name: 'Ann Brown', email: 'ann@acme.test', phones: [{ e164: '+79161110002', label: 'mobile' }, { e164: '+74951110000', label: 'office' }] },
        client: { externalId: 'C1', name: 'Acme Renamed' }, owner: { name: 'anna' }, turnover: { amount: '1000.00', currency: 'RUB' },
      });
      expect((await lookup('+79161110003')).json()).toMatchObject({ contact: { name: 'Bob' }, client: { id: ann.client.id } });
      expect((await lookup('+79161110004')).statusCode).toBe(404);
      const contacts = (await get('/api/v1/contacts?limit=50')).json().items;
      expect(contacts.map((c: { externalId: string }) => c.externalId).sort()).toEqual(['P1', 'P2']);
      expect((await get('/api/v1/clients?limit=50')).json().items).toHaveLength(1);

      // The file's final state is what the database holds: the same file again writes nothing.
      const before = (await get('/api/v1/contacts?limit=50')).json().items;
      const again = await run(DUPLICATES.slice(1), batchSize);
      expect(again).toMatchObject({ rowsImported: 3, rowsChanged: 0, rowsRejected: 1 });
      expect((await get('/api/v1/contacts?limit=50')).json().items).toEqual(before);
    });
  }

  it('a re-import that changes a number moves the recent calls with it and leaves old calls alone', async () => {
    await saveCall('old-number', '+79161110001', 86_400_000);
    await saveCall('new-number', '+79161110009', 2 * 86_400_000);
    await saveCall('long-ago', '+79161110009', 60 * 86_400_000);
    await run(['C1;Acme;;;;P1;Ann;;+79161110001', 'C1;;;;;P2;Bob;;+79161110005'], 5000);
    const ann = (await lookup('+79161110001')).json();
    expect((await get('/api/v1/calls/old-number')).json()).toMatchObject({ contactId: ann.contact.id, clientId: ann.client.id });
    expect((await get('/api/v1/calls/new-number')).json().contactId).toBeNull();

    const r = await run(['C1;;;;;P1;;;8 (916) 111-00-09', 'C1;;;;;P2;Bob;;+79161110005'], 1);
    expect(r).toMatchObject({ rowsImported: 2, rowsChanged: 1, rowsRejected: 0 });
    expect((await lookup('+79161110001')).statusCode).toBe(404);
    expect((await lookup('+79161110009')).json()).toMatchObject({ contact: { id: ann.contact.id, name: 'Ann', phones: [{ number: '8 (916) 111-00-09', e164: '+79161110009' }] } });
    expect((await get('/api/v1/calls/old-number')).json()).toMatchObject({ contactId: null, clientId: null });
    expect((await get('/api/v1/calls/new-number')).json()).toMatchObject({ contactId: ann.contact.id, clientId: ann.client.id });
    // Outside the re-match window (30 days here): a call keeps what it was matched to when it was logged.
    expect((await get('/api/v1/calls/long-ago')).json().contactId).toBeNull();
  });

  it('moves a contact to another client, and matches the calls of every number a batch writes', async () => {
    const numbers = Array.from({ length: 30 }, (_, i) => `+7916222${String(i).padStart(4, '0')}`);
    for (const [i, n] of numbers.entries()) await saveCall(`call-${i}`, n, 3_600_000);
    await run(numbers.map((n, i) => `C${i % 3};Client ${i % 3};;;;P${i};Person ${i};;${n}`), 7);
    for (const [i, n] of numbers.entries()) {
      const found = (await lookup(n)).json();
      expect(found.contact.externalId).toBe(`P${i}`);
      expect((await get(`/api/v1/calls/call-${i}`)).json()).toMatchObject({ contactId: found.contact.id, clientId: found.client.id });
    }
    const r = await run(['C9;Client 9;;;;P0;;;'], 5000);
    expect(r).toMatchObject({ rowsImported: 1, rowsChanged: 1 });
    const moved = (await lookup(numbers[0]!)).json();
    expect(moved.client.externalId).toBe('C9');
    expect((await get('/api/v1/calls/call-0')).json().clientId).toBe(moved.client.id);
  });
});
