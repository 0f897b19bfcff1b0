// Asterisk's own CDR, as written by cdr_custom with dialplan/cdr_custom_cti.conf: parsing and turning
// the rows of one linkedid into a CallRecord. Used to add calls the service never saw and to complete
// calls it saw in part (see reconcile.ts). Row semantics: Asterisk 22 CDR specification
// (one row per pair of channels a Dial() or bridge joined; billsec = end - answer of that pair).
import { normaliseExternal } from '../lib/phone.js';
import { parseChannelName } from './call.js';
import { DENY_REASONS } from './dial-policy.js';
import type { CallRecord, Direction, Disposition, LegRecord } from './model.js';

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

/** Splits one CSV line with "quoted" fields and "" escapes. Returns null for a malformed line. */
export function splitCsvLine(line: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let v = '';
      i++;
      for (;;) {
        if (i >= line.length) return null;
        if (line[i] === '"') {
          if (line[i + 1] === '"') { v += '"'; i += 2; continue; }
          i++;
          break;
        }
        v += line[i++];
      }
      out.push(v);
      if (i < line.length && line[i] !== ',') return null;
      i++;
    } else {
      const next = line.indexOf(',', i);
      const end = next < 0 ? line.length : next;
      out.push(line.slice(i, end));
      i = end + 1;
    }
  }
  return out;
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

/**
 * A record's first line: cdr_custom_cti.conf quotes every field, and the first, the linkedid, is never
 * empty. A line inside a quoted field never looks like this: CSV_QUOTE doubles the quotes of the value,
 * and the field's closing quote is followed by a comma or the end of the record.
 */
const RECORD_START = /^"[^",]/;
const oddQuotes = (s: string): boolean => {
  let n = 0;
  for (let i = s.indexOf('"'); i >= 0; i = s.indexOf('"', i + 1)) n++;
  return n % 2 === 1;
};

/**
 * The records of a chunk of the CSV file. CSV_QUOTE doubles quotes but leaves a CR or LF inside a field
 * as it is, so a caller ID (src) or a DID (dst) with a line break spans lines; split on every newline,
 * its later lines would be read as records of their own, written by the caller. A record goes on while
 * its quotes are open, up to the next record's first line; a line that starts no record (the rest of a
 * record cut by a chunk boundary) is returned as it is, to be counted as bad, never read as a row.
 */
export function splitCdrRecords(text: string): string[] {
  const lines = text.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    let rec = lines[i]!;
    if (RECORD_START.test(rec)) {
      while (oddQuotes(rec) && i + 1 < lines.length && !RECORD_START.test(lines[i + 1]!)) rec += `\n${lines[++i]}`;
    }
    out.push(rec);
  }
  return out;
}

/** Parses a chunk of the CSV file. Records that do not parse are counted, not fatal. */
export function parseCdrText(text: string): { rows: CdrRow[]; bad: number } {
  const rows: CdrRow[] = [];
  let bad = 0;
  for (const line of splitCdrRecords(text)) {
    if (line.trim() === '') continue;
    const r = RECORD_START.test(line) ? parseCdrLine(line) : null;
    if (r) rows.push(r);
    else bad++;
  }
  return { rows, bad };
}

function cdrDisposition(d: string): Disposition {
  switch (d) {
    case 'ANSWERED': return 'answered';
    case 'BUSY': return 'busy';
    case 'NO ANSWER': return 'no_answer';
    default: return 'failed';
  }
}

/**
 * The userfield cti-mark, cti-routed and cti-dial-denied write (dialplan/extensions_cti.conf):
 * "cti:<direction>:<digits>[;routed=<reason>][;denied=<reason>]", the digits empty for inbound calls.
 * An inbound call's outside party is the caller, the src column of the row that carries the mark
 * (Asterisk's own CALLERID(num)), never the userfield. Rows written before the dialplan kept trunk data
 * out of it have "cti:inbound:<caller ID>[;routed=<reason>]", where a caller ID with ";routed=" or ":"
 * in it would read as fields of ours: that caller ID is the row's src, so it is taken off as a whole
 * before the rest is read. A reason is a word the router (routed) or the dial policy (denied: nothing
 * was dialled out) gives; anything else is ignored.
 */
interface Mark { direction: Direction; origin: 'click2call' | null; external: string; routedBy: string | null; deniedBy: string | null }
const MARK = /^cti:(inbound|outbound|internal|click2call)(?::|$)/;
const ROUTED_BY = /^(?:prior_manager|owner|default|fallback|turnover:[^;]*)$/;
/** The dial policy's reasons, and the dialplan's own per-phone limits (dial-policy-dialplan.ts). */
const DENIED_BY = new Set<string>([...DENY_REASONS, 'rate', 'concurrency']);
function mark(rows: CdrRow[]): Mark | null {
  let found = null as Mark | null;
  for (const r of rows) {
    const m = MARK.exec(r.userfield);
    if (!m) continue;
    const d = m[1] as 'inbound' | 'outbound' | 'internal' | 'click2call';
    let rest = r.userfield.slice(m[0].length);
    let external: string;
    if (d === 'inbound') {
      if (r.src !== '' && rest.startsWith(r.src)) rest = rest.slice(r.src.length);
      external = r.src;
    } else {
      const semi = rest.indexOf(';');
      external = semi < 0 ? rest : rest.slice(0, semi);
      rest = semi < 0 ? '' : rest.slice(semi);
    }
    // ";routed=<reason>" then ";denied=<reason>", each only when its reason is one of our words.
    const fields = /^(?:;routed=([^;]*))?(?:;denied=([^;]*))?$/.exec(rest);
    const routed = fields?.[1] ?? null;
    const denied = fields?.[2] ?? null;
    found = {
      direction: d === 'click2call' ? 'outbound' : d, origin: d === 'click2call' ? 'click2call' : null,
      external: found?.external || external,
      routedBy: (routed !== null && ROUTED_BY.test(routed) ? routed : null) || found?.routedBy || null,
      deniedBy: (denied !== null && DENIED_BY.has(denied) ? denied : null) || found?.deniedBy || null,
    };
  }
  return found;
}

/**
 * The call one linkedid's CDR rows describe. The rows that carry the conversation are the Dial()
 * rows with a destination; Local-channel halves and dialplan-only rows only widen start and end.
 */
export function summariseCdr(rows: CdrRow[], isExtension: (r: string) => boolean, region: string): CallRecord {
  const sorted = [...rows].sort((a, b) => a.start - b.start || a.sequence - b.sequence);
  const first = sorted[0];
  if (!first) throw new Error('summariseCdr needs at least one row');
  const dialRows = sorted.filter((r) => r.dstchannel !== '' && r.lastapp === 'Dial');
  const main = dialRows.length > 0 ? dialRows : sorted.filter((r) => r.dstchannel !== '').length > 0 ? sorted.filter((r) => r.dstchannel !== '') : sorted;
  const phoneOf = (ch: string) => {
    const { tech, resource } = parseChannelName(ch);
    return tech !== 'Local' && ch !== '' && isExtension(resource) ? resource : null;
  };
  const origin = phoneOf(first.channel);
  // An Originate's own dial of a phone that never answered (lastapp AppDial2, no dialplan ran, so no
  // cti mark): only click-to-call originates to phones, and its CallerID (src) is the client's number.
  const m = mark(sorted) ?? (origin && sorted.length === 1 && first.lastapp === 'AppDial2' && first.answer === null && first.src
    ? { direction: 'outbound' as const, origin: 'click2call' as const, external: first.src, routedBy: null, deniedBy: null }
    : null);
  const direction: Direction = m?.direction ?? (origin ? (main.some((r) => r.dstchannel && !phoneOf(r.dstchannel)) ? 'outbound' : 'internal') : 'inbound');

  // A refused call was never dialled out: a click-to-call's row is ANSWERED by the manager's phone alone.
  const answeredRows = m?.deniedBy ? [] : main.filter((r) => r.disposition === 'ANSWERED' && r.answer !== null);
  const answeredAt = answeredRows.length > 0 ? Math.min(...answeredRows.map((r) => r.answer as number)) : null;
  const startedAt = Math.min(...sorted.map((r) => r.start));
  const endedAt = Math.max(...sorted.map((r) => r.end));
  const lastMain = main[main.length - 1] ?? first;
  const disposition: Disposition = answeredAt !== null ? 'answered' : m?.deniedBy ? 'failed' : cdrDisposition(lastMain.disposition);

  const legs: LegRecord[] = [];
  const seen = new Set<string>();
  for (const r of sorted) {
    for (const [ch, isDst] of [[r.channel, false], [r.dstchannel, true]] as const) {
      const ext = phoneOf(ch);
      if (!ext || seen.has(ch)) continue;
      seen.add(ch);
      const answered = r.answer !== null && r.disposition === 'ANSWERED';
      legs.push({
        uniqueId: isDst ? `${r.linkedid}:${ch}` : r.uniqueid,
        channel: ch,
        extension: ext,
        startedAt: r.start,
        answeredAt: answered ? r.answer : null,
        endedAt: r.end,
        ringMs: Math.max(0, (answered && r.answer !== null ? r.answer : r.end) - r.start),
        talkMs: answered ? r.billsec * 1000 : 0,
        disposition: answered ? 'answered' : cdrDisposition(r.disposition),
        hangupCause: null,
      });
    }
  }
  let extension: string | null;
  if (direction === 'outbound') extension = origin ?? legs[0]?.extension ?? null;
  else {
    const callees = legs.filter((l) => l.channel !== first.channel);
    const answered = callees.filter((l) => l.answeredAt !== null).sort((a, b) => (a.answeredAt ?? 0) - (b.answeredAt ?? 0));
    extension = answered.at(-1)?.extension ?? callees.at(-1)?.extension ?? origin;
  }
  const externalRaw = m?.external || (direction === 'inbound' ? first.src : direction === 'outbound' ? lastMain.dst : origin ?? first.src);
  return {
    linkedId: first.linkedid,
    mergedLinkedIds: [],
    state: 'ended',
    source: 'cdr',
    needsCdr: false,
    direction,
    origin: m?.origin ?? null,
    externalNumber: direction === 'internal' ? origin ?? externalRaw : normaliseExternal(externalRaw, region),
    contactId: null,
    clientId: null,
    routedBy: m?.routedBy ?? null,
    extension,
    startedAt,
    answeredAt,
    endedAt,
    ringMs: Math.max(0, (answeredAt ?? endedAt) - startedAt),
    talkMs: answeredAt !== null ? Math.max(0, endedAt - answeredAt) : 0,
    disposition,
    hangupCause: null,
    recordingFile: null,
    legs,
  };
}
