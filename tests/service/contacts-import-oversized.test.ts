// A row over the 64 KiB limit in an upload (issue 10, item 8): it is reported with its line, its column
// and its size, and the rows after it go in; a quote never closed ends the import with a clear report.
// Checked as a user sees it: the import job's report and the lookup API.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addUser, createToken } from '../../src/users/users.js';
import { testApp, type TestApp } from '../support/app.js';
import { HEADER, lineBreaks, phoneOf, rows } from '../support/big-rows.js';

describe('CSV import: rows over 64 KiB', () => {
  let t: TestApp;
  let sveta: string;
  const auth = () => ({ authorization: `Bearer ${sveta}` });
  const lookup = async (n: string) => t.app.inject({ url: `/api/v1/contacts/lookup?number=${encodeURIComponent(n)}`, headers: auth() });

  async function importCsv(csv: string) {
    const r = await t.app.inject({ method: 'POST', url: '/api/v1/imports', headers: { ...auth(), 'content-type': 'text/csv' }, payload: csv });
    expect(r.statusCode, r.body).toBe(202);
    for (let i = 0; i < 3000; i++) {
      const job = (await t.app.inject({ url: `/api/v1/imports/${r.json().id}`, headers: auth() })).json();
      if (job.state !== 'running') return job;
      await new Promise((res) => setTimeout(res, 10));
    }
    throw new Error('import did not finish');
  }
  /** Rows 1..last went in (their numbers are found), except those in `missing`. */
  async function expectImported(last: number, missing: number[] = []) {
    for (const i of [1, 500, 1000, 1001, 1002, last]) {
      const r = await lookup(phoneOf(i));
      expect(r.statusCode, `row ${i}`).toBe(missing.includes(i) ? 404 : 200);
    }
  }

  beforeEach(async () => {
    t = await testApp();
    await addUser(t.app.db, { name: 'sveta', role: 'supervisor' });
    sveta = await createToken(t.app.db, 'sveta');
  });
  afterEach(async () => t.close());

  it('reports a 70 KB cell mid-file with its line and column, and imports the rows before and after it', async () => {
    const big = `C-big,${'Я'.repeat(35_000)},P-big,Big,+79169999999`; // 70,000 bytes of name in UTF-8
    const job = await importCsv(`${HEADER}\n${rows(1, 1000)}${big}\n${rows(1001, 2000)}`);
    expect(job).toMatchObject({ state: 'done', rowsRead: 2001, rowsImported: 2000, rowsRejected: 1 });
    expect(job.errors).toEqual([
      { row: 1002, column: 'client_name', reason: `row too large: ${Buffer.byteLength(big) + 1} bytes (the limit is 64 KiB)` },
    ]);
    await expectImported(2000);
    expect((await lookup('+79169999999')).statusCode).toBe(404);
  });

  it('reports a 20 MB quoted cell with line breaks, imports the rows after it, and counts their lines past it', async () => {
    const cell = ('x'.repeat(99) + '\n').repeat(200_000);
    const big = `C-big,Big,P-big,Big,"${cell}"`;
    const after = 1002 + lineBreaks(big) + 1;
    const job = await importCsv(`${HEADER}\n${rows(1, 1000)}${big}\n${rows(1001, 2000, new Set([1002]))}`);
    expect(job).toMatchObject({ state: 'done', rowsRead: 2001, rowsImported: 1999, rowsRejected: 2 });
    expect(job.errors).toEqual([
      { row: 1002, column: 'phones', reason: `row too large: ${Buffer.byteLength(big) + 1} bytes (the limit is 64 KiB)` },
      { row: after + 1, column: 'phones', reason: "'abc' is not a phone number" },
    ]);
    await expectImported(2000, [1002]);
  });

  it('ends with a clear report when a quote is never closed near the end of a big file', async () => {
    const open = 'C-open,"Never closed,P-open,Open,+79168888888\n';
    const rest = rows(3001, 5000); // over 64 KiB: all of it falls inside the open quote
    const job = await importCsv(`${HEADER}\n${rows(1, 3000)}${open}${rest}`);
    expect(job).toMatchObject({ state: 'done', rowsRead: 3001, rowsImported: 3000, rowsRejected: 1 });
    expect(job.errors).toEqual([{
      row: 3002, column: 'client_name',
      reason: `a quote opened in this cell is never closed: the rest of the file (${Buffer.byteLength(open + rest)} bytes, to line 5002) is not imported`,
    }]);
    expect((await lookup(phoneOf(3000))).statusCode).toBe(200);
    expect((await lookup(phoneOf(3001))).statusCode).toBe(404);

    // A file that is one giant open quote ends too, with the same report.
    const giant = await importCsv(`${HEADER}\nC1,One,P1,One,"${'y'.repeat(5_000_000)}`);
    expect(giant).toMatchObject({ state: 'done', rowsRead: 1, rowsImported: 0, rowsRejected: 1 });
    expect(giant.errors).toEqual([{
      row: 2, column: 'phones', reason: 'a quote opened in this cell is never closed: the rest of the file (5000015 bytes, to line 2) is not imported',
    }]);
  });
});
