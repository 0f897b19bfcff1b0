// cel_pgsql's table as a CEL source (src/pbx/cel-table.ts): a row read back gives the very event the
// same record gives in cel_custom's file, so one interpreter reads both. Rows are built from a scenario
// recorded from the real Asterisk (tests/fixtures/ami/*.cel.csv), column by column as cel_pgsql names them.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CEL_COLUMNS, parseCelText } from '../../src/pbx/cel.js';
import { splitCsvLine, splitRecords } from '../../src/pbx/dsv.js';
import { celTableQuery, chunkFromRows } from '../../src/pbx/cel-table.js';

/** cel_custom's column (dialplan/cel_custom_cti.conf) -> cel_pgsql's (docs/asterisk-pgsql.sql). */
const TABLE_COLUMN: Record<(typeof CEL_COLUMNS)[number], string | null> = {
  eventenum: 'eventtype', eventtime: 'eventtime', uniqueid: 'uniqueid', linkedid: 'linkedid', channame: 'channame', name: 'cid_name',
  num: 'cid_num', ani: 'cid_ani', dnid: 'cid_dnid', exten: 'exten', context: 'context', appname: 'appname', appdata: 'appdata',
  peer: 'peer', userdeftype: 'userdeftype', eventextra: 'extra',
};

function rowsOf(text: string, firstId = 1): (Record<string, string> & { position: string })[] {
  return splitRecords(text).filter((r) => r.trim() !== '').map((rec, i) => {
    const f = splitCsvLine(rec)!;
    const row: Record<string, string> = { position: String(firstId + i) };
    CEL_COLUMNS.forEach((c, j) => { const t = TABLE_COLUMN[c]; if (t) row[t] = f[j] ?? ''; });
    return row as Record<string, string> & { position: string };
  });
}

describe("cel_pgsql's table as a CEL source", () => {
  it('gives the events the CEL file gives for the same records, positioned by row id', () => {
    const text = readFileSync(new URL('../fixtures/ami/blind-transfer.cel.csv', import.meta.url), 'utf8');
    const fromFile = parseCelText(text).events;
    const chunk = chunkFromRows(rowsOf(text, 41), 41);
    expect(chunk.records.map((r) => r.event)).toEqual(fromFile);
    expect(fromFile.some((e) => e.name === 'USER_DEFINED' && e.userEvent)).toBe(true);
    expect(chunk.records[0]!.offset).toBe(41);
    expect(chunk.nextOffset).toBe(41 + rowsOf(text).length);
  });

  it("reads a timestamp column's wall clock in the PBX's zone (usegmtime = yes: UTC)", () => {
    const base = { position: '7', eventtype: 'CHAN_START', uniqueid: '1796139349.1', linkedid: '1796139349.1', channame: 'PJSIP/101-00000001' };
    const [utc] = chunkFromRows([{ ...base, eventtime: '2026-12-01 10:15:00.250000' }], 0).records;
    expect(utc!.event!.at).toBe(Date.UTC(2026, 11, 1, 10, 15, 0, 250));
    const [moscow] = chunkFromRows([{ ...base, eventtime: '2026-12-01 13:15:00.25' }], 0, 'Europe/Moscow').records;
    expect(moscow!.event!.at).toBe(Date.UTC(2026, 11, 1, 10, 15, 0, 250));
  });

  it('leaves out events the interpreter does not read, keeps a row it cannot trust as unreadable, and moves past both', () => {
    const chunk = chunkFromRows([
      { position: '3', eventtype: 'DTMF', eventtime: '1796139349.5', uniqueid: '1.1', linkedid: '1.1', channame: 'PJSIP/101-1' },
      { position: '4', eventtype: 'CHAN_START', eventtime: '1796139349.5', uniqueid: '../etc', linkedid: '1.1', channame: 'PJSIP/101-1' },
    ], 3);
    expect(chunk.records).toEqual([{ offset: 4, event: null }]);
    expect(chunk.nextOffset).toBe(5);
    expect(chunkFromRows([], 9)).toEqual({ records: [], nextOffset: 9 });
  });

  it('names only a plain table (or schema.table) in its query', () => {
    expect(celTableQuery('asterisk.cel')).toContain('FROM "asterisk"."cel" WHERE "id" >= $1 ORDER BY "id"');
    // ...by the bigint column: a text alias of the same name would sort "10" before "9".
    expect(celTableQuery('cel')).not.toMatch(/ AS "id"/);
    expect(() => celTableQuery('cel; DROP TABLE calls')).toThrow(/not a table name/);
  });
});
