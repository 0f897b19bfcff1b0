// Asterisk's own CDR, as written by cdr_custom with dialplan/cdr_custom_cti.conf. The service builds no
// record from it (the call interpreter reads CEL, src/calls/tracker.ts); tests read it as the oracle
// of durations and dispositions, and admins read it in the PBX. Row semantics: Asterisk 22 CDR
// specification (one row per pair of channels a Dial() or bridge joined; billsec = end - answer of that pair).
import { RECORD_START, splitCsvLine, splitRecords } from './dsv.js';

export const CDR_COLUMNS = [
  'linkedid', 'uniqueid', 'channel', 'dstchannel', 'src', 'dst', 'dcontext', 'lastapp',
  'start', 'answer', 'end', 'duration', 'billsec', 'disposition', 'userfield', 'sequence',
] as const;

export interface CdrRow {
  linkedid: string;
  uniqueid: string;
  channel: string;
  dstchannel: string;
  src: string;
  dst: string;
  dcontext: string;
  lastapp: string;
  /** epoch ms; null when the CDR has none (answer of an unanswered row) */
  start: number;
  answer: number | null;
  end: number;
  duration: number;
  billsec: number;
  disposition: string;
  userfield: string;
  sequence: number;
}

/** CDR(start,u) is "1795328425.123456"; 0 or empty means none. */
function epochMs(s: string): number | null {
  const n = Number(s);
  return s.trim() === '' || !Number.isFinite(n) || n <= 0 ? null : Math.round(n * 1000);
}

export function parseCdrLine(line: string): CdrRow | null {
  const f = splitCsvLine(line.trim());
  if (!f || f.length < CDR_COLUMNS.length) return null;
  const get = (c: (typeof CDR_COLUMNS)[number]) => f[CDR_COLUMNS.indexOf(c)] ?? '';
  const start = epochMs(get('start'));
  const end = epochMs(get('end'));
  if (!get('linkedid') || start === null || end === null) return null;
  return {
    linkedid: get('linkedid'), uniqueid: get('uniqueid'), channel: get('channel'), dstchannel: get('dstchannel'),
    src: get('src'), dst: get('dst'), dcontext: get('dcontext'), lastapp: get('lastapp'),
    start, answer: epochMs(get('answer')), end,
    duration: Number(get('duration')) || 0, billsec: Number(get('billsec')) || 0,
    disposition: get('disposition'), userfield: get('userfield'), sequence: Number(get('sequence')) || 0,
  };
}

/** Parses a chunk of the CSV file. Records that do not parse are counted, not fatal. */
export function parseCdrText(text: string): { rows: CdrRow[]; bad: number } {
  const rows: CdrRow[] = [];
  let bad = 0;
  for (const line of splitRecords(text)) {
    if (line.trim() === '') continue;
    const r = RECORD_START.test(line) ? parseCdrLine(line) : null;
    if (r) rows.push(r);
    else bad++;
  }
  return { rows, bad };
}
