// CSV records with a size bound (src/contacts/csv-records.ts): a record over 64 KiB is reported and
// reading goes on at the next one, wherever the input's chunks happen to end: the record in progress is
// cut back between chunks, and that must not change where csv-parse sees it end.
import { describe, expect, it } from 'vitest';
import { CsvRecords, MAX_RECORD_BYTES, type SkippedRecord } from '../../src/contacts/csv-records.js';

type Seen = { line: number; fields: string[] } | { line: number; skipped: Omit<SkippedRecord, 'line'> };

function read(csv: string, chunkBytes: number, delimiter = ','): Seen[] {
  const seen: Seen[] = [];
  const r = new CsvRecords(delimiter, {
    record: (fields, line) => seen.push({ line, fields }),
    skipped: ({ line, ...skipped }) => seen.push({ line, skipped }),
  });
  const b = Buffer.from(csv);
  for (let at = 0; at < b.length; at += chunkBytes) r.write(b.subarray(at, at + chunkBytes));
  r.end();
  return seen;
}

const CHUNKINGS = [1, 2, 3, 1000, 65_535, 65_536, 1 << 30];

/** The same records whatever the chunks, and these ones. */
function expectRecords(csv: string, expected: Seen[], delimiter = ',') {
  for (const size of CHUNKINGS) expect(read(csv, size, delimiter), `chunks of ${size} bytes`).toEqual(expected);
}

describe('CSV records over 64 KiB', () => {
  it('skips an unquoted 70 KB cell and reads on', () => {
    const big = `C2,${'Я'.repeat(35_000)}`;
    expectRecords(`id,name\nC1,One\n${big}\nC3,Three\n`, [
      { line: 1, fields: ['id', 'name'] },
      { line: 2, fields: ['C1', 'One'] },
      { line: 3, skipped: { field: 1, bytes: Buffer.byteLength(big) + 1, unclosedTo: null } },
      { line: 4, fields: ['C3', 'Three'] },
    ]);
  });

  it('finds the end of a big quoted cell through doubled quotes, separators, line breaks and a CRLF file', () => {
    const cell = '"' + 'a ""quoted"", b;c\r\nnext line '.repeat(4000) + '"';
    const big = `C2;${cell};tail`;
    expectRecords(`\ufeffid;name;more\r\nC1;"One ""1""";x\r\n${big}\r\n\r\nC3;Three;\r\n`, [
      { line: 1, fields: ['id', 'name', 'more'] },
      { line: 2, fields: ['C1', 'One "1"', 'x'] },
      // csv-parse counts a CRLF inside quotes as two lines
      { line: 3, skipped: { field: 1, bytes: Buffer.byteLength(big) + 2, unclosedTo: null } },
      { line: 3 + 8000 + 2, fields: ['C3', 'Three', ''] },
    ], ';');
  });

  it('keeps quotes inside an unquoted big cell as text (relax_quotes) and reads on', () => {
    const big = `C2,ООО "${'Ромашка'.repeat(6000)}",x`;
    expectRecords(`id,name,more\n${big}\nC3,"Три, ""3""",y\n`, [
      { line: 1, fields: ['id', 'name', 'more'] },
      { line: 2, skipped: { field: 1, bytes: Buffer.byteLength(big) + 1, unclosedTo: null } },
      { line: 3, fields: ['C3', 'Три, "3"', 'y'] },
    ]);
  });

  it('names no field when many small ones make the record big, and ends at the end of the file without a line break', () => {
    const big = 'C2' + ',ab'.repeat(30_000);
    expectRecords(`id,name\n${big}\n\n\nC3,Three`, [
      { line: 1, fields: ['id', 'name'] },
      { line: 2, skipped: { field: null, bytes: Buffer.byteLength(big) + 1, unclosedTo: null } },
      { line: 5, fields: ['C3', 'Three'] },
    ]);
    expectRecords(`id,name\nC1,One\n${big}`, [
      { line: 1, fields: ['id', 'name'] },
      { line: 2, fields: ['C1', 'One'] },
      { line: 3, skipped: { field: null, bytes: Buffer.byteLength(big), unclosedTo: null } },
    ]);
  });

  it('does not count empty lines before a record as its size', () => {
    expectRecords(`id,name\n${'\n'.repeat(MAX_RECORD_BYTES * 2)}C1,One\n`, [
      { line: 1, fields: ['id', 'name'] },
      { line: 2 + MAX_RECORD_BYTES * 2, fields: ['C1', 'One'] },
    ]);
  });

  it('reports a quote never closed, small or big, at the line and field it opens', () => {
    expectRecords('id,name\nC1,"open\nC2,Two\n', [
      { line: 1, fields: ['id', 'name'] },
      { line: 2, skipped: { field: 1, bytes: 16, unclosedTo: 3 } },
    ]);
    const rest = 'C2,Two\n'.repeat(20_000);
    expectRecords(`id,name,x\nC1,a,"open\n${rest}`, [
      { line: 1, fields: ['id', 'name', 'x'] },
      { line: 2, skipped: { field: 2, bytes: 11 + rest.length, unclosedTo: 20_002 } },
    ]);
  });
});
