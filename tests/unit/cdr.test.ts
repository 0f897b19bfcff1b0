import { describe, expect, it } from 'vitest';
import { parseCdrLine, parseCdrText } from '../../src/pbx/cdr.js';
import { splitCsvLine } from '../../src/pbx/dsv.js';

describe('CDR CSV', () => {
  it('splits quoted fields with commas and doubled quotes', () => {
    expect(splitCsvLine('"a","b,c","say ""hi""",""')).toEqual(['a', 'b,c', 'say "hi"', '']);
    expect(splitCsvLine('plain,"q"')).toEqual(['plain', 'q']);
  });

  it('refuses malformed lines instead of guessing', () => {
    expect(splitCsvLine('"unterminated')).toBeNull();
    expect(parseCdrLine('"too","few"')).toBeNull();
    expect(parseCdrLine('"L","U","PJSIP/101-1","","101","102","cti-internal","Dial","not-a-time","","1795329793.8","4","4","ANSWERED","",""')).toBeNull();
  });

  it('counts bad lines and keeps the good ones', () => {
    const good = '"L1","U1","PJSIP/101-00000001","PJSIP/102-00000002","101","102","cti-phones","Dial","1795329789.5","1795329790.5","1795329800.5","11","10","ANSWERED","cti:internal:102","3"';
    const { rows, bad } = parseCdrText(`${good}\ngarbage line\n\n"half`);
    expect(rows).toHaveLength(1);
    expect(bad).toBe(2);
    expect(rows[0]).toMatchObject({ linkedid: 'L1', start: 1795329789500, answer: 1795329790500, end: 1795329800500, billsec: 10 });
  });
});
