import { describe, expect, it } from 'vitest';
import { parseCdrLine, parseCdrText, splitCsvLine, summariseCdr } from '../../src/calls/cdr.js';
import { normaliseExternal } from '../../src/lib/phone.js';
import { loadScenario } from '../support/ami-fixture.js';

const isExt = (r: string) => /^[0-9]{2,5}$/.test(r);

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

  // Recorded on the sandbox: the manager's own phone busy (199) / never answering (198), so the dialplan
  // never ran and the row carries no cti mark; rebuilt from the CDR alone it is still a click-to-call.
  for (const [name, ext, disposition] of [['click2call-busy', '199', 'busy'], ['click2call-no-answer', '198', 'no_answer']] as const) {
    it(`${name}: a failed click-to-call, not an internal call of ${ext} to itself`, () => {
      const { cdr } = loadScenario(name);
      const s = summariseCdr(cdr, isExt, 'RU');
      expect(s).toMatchObject({ direction: 'outbound', origin: 'click2call', extension: ext, disposition, externalNumber: normaliseExternal(cdr[0]!.src, 'RU'), talkMs: 0 });
    });
  }

  it('summarises an internal call from its Dial row', () => {
    const { rows } = parseCdrText('"L1","U1","PJSIP/101-00000001","PJSIP/102-00000002","101","102","cti-phones","Dial","1795329789.5","1795329790.5","1795329800.5","11","10","ANSWERED","cti:internal:102","3"\n');
    const s = summariseCdr(rows, isExt, 'RU');
    expect(s).toMatchObject({ direction: 'internal', disposition: 'answered', extension: '102', externalNumber: '101', talkMs: 10_000, ringMs: 1000, source: 'cdr' });
    expect(s.legs.map((l) => l.extension)).toEqual(['101', '102']);
  });

  it('maps BUSY and NO ANSWER', () => {
    const row = (disp: string) => `"L","U","Local/800@cti-inbound-1;2","PJSIP/199-00000009","+79161234567","800","cti-inbound","Dial","1795329789.5","","1795329790.5","1","0","${disp}","cti:inbound:+79161234567","1"`;
    expect(summariseCdr(parseCdrText(row('BUSY')).rows, isExt, 'RU')).toMatchObject({ disposition: 'busy', extension: '199', externalNumber: '+79161234567', direction: 'inbound' });
    expect(summariseCdr(parseCdrText(row('NO ANSWER')).rows, isExt, 'RU').disposition).toBe('no_answer');
  });
});
