import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CallStore } from '../../src/calls/store.js';
import type { CallRecord } from '../../src/calls/model.js';
import { addUser, createToken } from '../../src/users/users.js';
import { testApp, type TestApp } from '../support/app.js';
import { eq } from 'drizzle-orm';
import { importJobs } from '../../src/db/schema/index.js';
import { ORPHANED_MESSAGE } from '../../src/contacts/import-jobs.js';

const HEADER = 'client_external_id;client_name;client_kind;turnover;currency;owner;segment;contact_external_id;contact_name;email;phones';
/** A Russian Excel export: BOM, semicolons, decimal commas, quoted fields, CRLF. */
const RUSSIAN = '\ufeff' + [
  HEADER,
  'C1;ООО "Ромашка";company;200 000,50;RUB;anna;wholesale;P1;Иван Петров;ivan@romashka.ru;"mobile:8 (916) 123-45-67|office:+7 495 123-45-67, доб. 12"',
  'C1;;;;;;;P2;Мария Сидорова;maria@romashka.ru;switchboard:8 495 123 45 67',
  'C2;ИП Козлов;person;2000;RUB;;retail;P3;Козлов;not-an-email;mobile:abc',
  'C3;"Кавычки; и точка с запятой";company;;;nobody;;P4;Ольга;;',
  ';No id;;;;;;P5;Someone;;+79031234567',
  'C4;Четвёртый;robot;12,345;RUB;;;P6;Пётр;;mobile:+7 903 765 43 21',
  'C5;Без контакта;company;1000;;;;;;;',
  'C6;Шестой;company;;;;;P7;;;+7 903 000 00 07',
  'C7;Седьмой;company;;;;;P8;Семён;semen@example.com;8 903 000 00 08',
].join('\r\n') + '\r\n';

describe('CSV import API', () => {
  let t: TestApp;
  let sveta: string;
  const auth = (tok: string) => ({ authorization: `Bearer ${tok}` });
  const upload = (csv: string | Buffer, type = 'text/csv; charset=utf-8') =>
    t.app.inject({ method: 'POST', url: '/api/v1/imports', headers: { ...auth(sveta), 'content-type': type }, payload: csv });

  async function finished(id: string) {
    for (let i = 0; i < 200; i++) {
      const r = await t.app.inject({ url: `/api/v1/imports/${id}`, headers: auth(sveta) });
      expect(r.statusCode).toBe(200);
      if (r.json().state !== 'running') return r.json();
      await new Promise((res) => setTimeout(res, 10));
    }
    throw new Error('import did not finish');
  }
  async function importCsv(csv: string | Buffer) {
    const r = await upload(csv);
    expect(r.statusCode, r.body).toBe(202);
    expect(r.json().id).toBeTypeOf('string');
    return finished(r.json().id);
  }
  const lookup = async (n: string) => t.app.inject({ url: `/api/v1/contacts/lookup?number=${encodeURIComponent(n)}`, headers: auth(sveta) });

  beforeEach(async () => {
    t = await testApp();
    await addUser(t.app.db, { name: 'anna', role: 'manager', extension: '101' });
    await addUser(t.app.db, { name: 'sveta', role: 'supervisor' });
    sveta = await createToken(t.app.db, 'sveta');
  });
  afterEach(async () => t.close());

  it('imports a semicolon file with BOM: good rows go in, every bad row is reported with line, column and reason', async () => {
    const job = await importCsv(RUSSIAN);
    expect(job).toMatchObject({ state: 'done', rowsRead: 9, rowsImported: 3, rowsChanged: 3, rowsRejected: 6 });
    expect(job.errors).toEqual(expect.arrayContaining([
      { row: 4, column: 'email', reason: "'not-an-email' is not an email address" },
      { row: 4, column: 'phones', reason: "'abc' is not a phone number" },
      { row: 5, column: 'owner', reason: "no user 'nobody'" },
      { row: 6, column: 'client_external_id', reason: 'required' },
      { row: 7, column: 'client_kind', reason: "'robot' is not one of company, person" },
      { row: 7, column: 'turnover', reason: "'12,345' has more than 2 decimals for RUB" },
      { row: 8, column: 'currency', reason: 'required with turnover' },
      { row: 9, column: 'contact_name', reason: "required for a new contact ('P7' is not known yet)" },
    ]));
    expect(new Set(job.errors.map((e: { row: number }) => e.row))).toEqual(new Set([4, 5, 6, 7, 8, 9]));

    const ivan = await lookup('89161234567');
    expect(ivan.json()).toMatchObject({
      contact: { name: 'Иван Петров', externalId: 'P1', phones: [{ label: 'mobile', e164: '+79161234567' }, { label: 'office', number: '+7 495 123-45-67, доб. 12' }] },
      client: { name: 'ООО "Ромашка"', externalId: 'C1', segment: 'wholesale' },
      owner: { name: 'anna' }, turnover: { amount: '200000.50', currency: 'RUB' },
    });
    expect((await lookup('+7 903 000 00 08')).json().contact.email).toBe('semen@example.com');
    expect((await lookup('+79037654321')).statusCode).toBe(404);
  });

  it('is idempotent: importing the same file again changes nothing', async () => {
    await importCsv(RUSSIAN);
    const before = (await t.app.inject({ url: '/api/v1/contacts?limit=500', headers: auth(sveta) })).json().items;
    const clientsBefore = (await t.app.inject({ url: '/api/v1/clients?limit=500', headers: auth(sveta) })).json().items;
    const again = await importCsv(RUSSIAN);
    expect(again).toMatchObject({ state: 'done', rowsImported: 3, rowsChanged: 0, rowsRejected: 6 });
    expect((await t.app.inject({ url: '/api/v1/contacts?limit=500', headers: auth(sveta) })).json().items).toEqual(before);
    expect((await t.app.inject({ url: '/api/v1/clients?limit=500', headers: auth(sveta) })).json().items).toEqual(clientsBefore);
  });

  it('reads commas, quoted fields with commas, quotes and line breaks, without BOM; empty cells leave values as they are', async () => {
    const csv = [
      'Contact_External_ID,client_external_id,contact_name,phones,client_name,notes',
      'P1,C1,"Doe, Jane","mobile:+44 20 7946 0958|+1 (415) 555-2671 x12","Acme ""Global"" Ltd","multi',
      'line, note"',
      '',
      'P2,C1,John,,,',
    ].join('\n');
    const job = await importCsv(csv);
    expect(job).toMatchObject({ state: 'done', rowsRead: 2, rowsImported: 2, rowsRejected: 0 });
    expect((await lookup('+442079460958')).json()).toMatchObject({ contact: { name: 'Doe, Jane' }, client: { name: 'Acme "Global" Ltd' } });
    const upd = await importCsv('client_external_id,contact_external_id,email\nC1,P1,jane@acme.test\n');
    expect(upd).toMatchObject({ rowsImported: 1, rowsChanged: 1 });
    expect((await lookup('+14155552671')).json()).toMatchObject({ contact: { name: 'Doe, Jane', email: 'jane@acme.test' }, client: { name: 'Acme "Global" Ltd' } });
  });

  it('matches calls logged before the contacts were imported', async () => {
    const now = Date.now();
    const rec: CallRecord = {
      linkedId: 'L1', mergedLinkedIds: [], state: 'ended', source: 'ami', needsCdr: false, direction: 'inbound', origin: null, contactId: null, clientId: null, routedBy: null,
      externalNumber: '+74951234567', extension: '101', startedAt: now - 86_400_000, answeredAt: now - 86_395_000, endedAt: now - 86_300_000,
      ringMs: 5000, talkMs: 95_000, disposition: 'answered', hangupCause: null, recordingFile: null, legs: [],
    };
    await new CallStore(t.app.db).save('c1', rec);
    await importCsv(RUSSIAN);
    const c = (await t.app.inject({ url: '/api/v1/calls/c1', headers: auth(sveta) })).json();
    const board = (await lookup('+74951234567')).json();
    expect(c.contactId).toBe(board.contact.id);
    expect(c.clientId).toBe(board.client.id);
  });

  it('fails an import whose header lacks client_external_id, and refuses other content types', async () => {
    const job = await importCsv('name;phone\nX;+79161234567\n');
    expect(job.state).toBe('failed');
    expect(job.message).toContain('client_external_id');
    const empty = await importCsv('');
    expect(empty.state).toBe('failed');
    const json = await t.app.inject({ method: 'POST', url: '/api/v1/imports', headers: auth(sveta), payload: { a: 1 } });
    expect(json.statusCode).toBe(415);
    expect(json.json().error.code).toBe('CTI_ERR_UNSUPPORTED_MEDIA_TYPE');
    expect((await t.app.inject({ url: '/api/v1/imports/nope', headers: auth(sveta) })).json().error.code).toBe('CTI_ERR_IMPORT_NOT_FOUND');
  });

  it('keeps progress in the database: any instance reads it, a new app finds it, and one left running by a dead instance reads as failed', async () => {
    const job = await importCsv(RUSSIAN);
    expect(job.state).toBe('done');
    const stored = (await t.app.db.select().from(importJobs).where(eq(importJobs.id, job.id)))[0]!;
    expect(stored).toMatchObject({ state: 'done', rowsRead: job.rowsRead, rowsRejected: job.rowsRejected });
    expect(JSON.parse(stored.errors)).toEqual(job.errors);
    // A job whose instance died mid-import: its heartbeat stopped a minute ago.
    const old = Date.now() - 60_000;
    await t.app.db.insert(importJobs).values({
      id: 'orphan', state: 'running', rowsRead: 5000, rowsImported: 4990, rowsChanged: 4990, rowsRejected: 10, errors: '[]', errorsTruncated: false,
      message: null, startedBy: 'sveta', startedAt: old - 60_000, finishedAt: null, heartbeatAt: old,
    });
    const r = (await t.app.inject({ url: '/api/v1/imports/orphan', headers: auth(sveta) })).json();
    expect(r).toMatchObject({ state: 'failed', rowsRead: 5000, rowsImported: 4990, message: ORPHANED_MESSAGE, finishedAt: new Date(old).toISOString() });
  });

  it('reports rows CSV cannot read and goes on', async () => {
    const job = await importCsv('client_external_id,client_name\nC1,One\nC2,"Two" and more,\nC3,"never closed\n');
    expect(job.rowsImported).toBeGreaterThanOrEqual(1);
    expect((await t.app.inject({ url: '/api/v1/clients', headers: auth(sveta) })).json().items.map((c: { name: string }) => c.name)).toContain('One');
    expect(job.errors).toContainEqual({ row: 4, column: 'client_name', reason: 'a quote opened in this cell is never closed: the rest of the file (17 bytes, to line 4) is not imported' });
  });
});
