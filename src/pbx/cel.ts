// Asterisk's Channel Event Log (CEL) -> CelEvent, from its two sources: cel_manager's `Event: CEL` on
// AMI (live) and cel_custom's file (dialplan/cel_custom_cti.conf, read after the fact). Both give the
// same fields of the same record; nothing past src/pbx sees either format.
import { splitCsvLine, splitRecords, RECORD_START } from './dsv.js';
import { localToUtc } from '../lib/timezone.js';
import { CEL_EVENT_NAMES, type CelEvent, type CelEventName, type Endpoint } from './events.js';

const NAMES = new Set<string>(CEL_EVENT_NAMES);
/**
 * Asterisk's CEL events the interpreter has no use for (main/cel.c cel_event_types): a cel.conf with
 * `events = ALL` (FreePBX's) writes them too. Skipped, not counted as unreadable.
 */
const UNUSED = new Set(['STREAM_BEGIN', 'STREAM_END', 'DTMF', 'HOOKFLASH']);
/** A record of one of Asterisk's events that we do not read (UNUSED): neither an event nor a bad record. */
export const UNUSED_RECORD = 'unused' as const;

/**
 * "PJSIP/101-0000002a" -> PJSIP 101; "Local/600@cti-queue-00000003;2" -> Local 600, half 2;
 * "PJSIP/trunk-0000000b" -> PJSIP trunk. (Asterisk names a channel <tech>/<resource>-<sequence>.)
 */
export function parseEndpoint(name: string): Endpoint {
  const slash = name.indexOf('/');
  if (slash < 0) return { tech: name, resource: '', local: false, half: null };
  const tech = name.slice(0, slash);
  const rest = name.slice(slash + 1);
  if (tech === 'Local') {
    const half = rest.endsWith(';1') ? 1 : rest.endsWith(';2') ? 2 : null;
    const at = rest.indexOf('@');
    return { tech, resource: at < 0 ? rest.replace(/;[12]$/, '') : rest.slice(0, at), local: true, half };
  }
  const dash = rest.lastIndexOf('-');
  return { tech, resource: dash > 0 ? rest.slice(0, dash) : rest, local: false, half: null };
}

function blank(s: string): string | null {
  const t = s.trim();
  return t === '' || t === '<unknown>' ? null : t;
}

function parseExtra(s: string): Record<string, unknown> {
  const t = s.trim();
  if (t.startsWith('{')) {
    try {
      const v: unknown = JSON.parse(t);
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch { /* not JSON: kept as text */ }
  }
  return t === '' ? {} : { text: t };
}

/** The record's fields by name, as both sources name them once mapped. */
interface Fields {
  name: string; at: number; uniqueId: string; linkedId: string; channel: string; callerName: string; callerNumber: string;
  dnid: string; exten: string; context: string; app: string; appData: string; peer: string; userEvent: string; extra: string;
}

/** An Originate's ChannelId names a Local channel's halves "<id>" and "<id>;2" (main/core_local.c). */
const ID = /^[A-Za-z0-9._:;-]{1,150}$/;

function build(f: Fields): CelEvent | null {
  // The ids key everything: one that is not Asterisk's shape (a uniqueid is "1796138111.2", or the UUID
  // an Originate gave, ";2" for a Local channel's second half) is a record we do not trust, not a call to invent.
  if (!NAMES.has(f.name) || !ID.test(f.uniqueId) || !ID.test(f.linkedId) || !Number.isFinite(f.at)) return null;
  return {
    type: 'cel', name: f.name as CelEventName, at: f.at, uniqueId: f.uniqueId, linkedId: f.linkedId, channel: f.channel,
    endpoint: parseEndpoint(f.channel), callerNumber: blank(f.callerNumber), callerName: blank(f.callerName), dnid: blank(f.dnid),
    exten: f.exten, context: f.context, app: f.app, appData: f.appData, peer: f.peer,
    userEvent: f.name === 'USER_DEFINED' ? f.userEvent || null : null, extra: parseExtra(f.extra),
  };
}

type Raw = Record<string, unknown>;
const str = (v: unknown): string => (typeof v === 'string' ? v : Array.isArray(v) ? str(v[0]) : v === undefined || v === null ? '' : String(v));
const first = (v: unknown): string => str(v);
/**
 * cel_manager writes the caller ID fields unescaped and before Channel, UniqueID and LinkedID
 * (cel/cel_manager.c manager_log): a CR/LF in a caller's number could put header lines of the caller's
 * choosing before Asterisk's own. asterisk-manager turns repeated headers into arrays in order, so for
 * every header after the caller ID the last copy is Asterisk's; EventName comes before it: the first.
 * Extra, the last header, is JSON that Asterisk escapes.
 */
const last = (v: unknown): string => (Array.isArray(v) ? str(v[v.length - 1]) : str(v));

/** An AMI `Event: CEL` (cel.conf [manager] show_user_defined = yes), `at` from its Timestamp. */
export function celFromAmi(raw: Raw, at: number): CelEvent | null {
  const name = first(raw['eventname']);
  return build({
    name, at, uniqueId: last(raw['uniqueid']), linkedId: last(raw['linkedid']), channel: last(raw['channel']),
    callerNumber: first(raw['calleridnum']), callerName: first(raw['calleridname']), dnid: last(raw['calleriddnid']),
    exten: last(raw['exten']), context: last(raw['context']), app: last(raw['application']), appData: last(raw['appdata']),
    peer: last(raw['peer']), userEvent: last(raw['userdeftype']), extra: last(raw['extra']),
  });
}

/** The columns of dialplan/cel_custom_cti.conf, in order. */
export const CEL_COLUMNS = [
  'eventenum', 'eventtime', 'uniqueid', 'linkedid', 'channame', 'name', 'num', 'ani', 'dnid', 'exten', 'context',
  'appname', 'appdata', 'peer', 'userdeftype', 'eventextra',
] as const;

const WALL_CLOCK = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;

/**
 * eventtime -> epoch ms. Asterisk writes "1796138111.419845" (seconds.microseconds) when cel.conf has no
 * `dateformat`; with one (FreePBX sets `%F %T`) it writes the PBX's wall clock, "2026-12-01 10:15:00",
 * in the PBX's time zone and to the second only (main/cel.c cel_format_eventtime).
 */
function epochMs(s: string, timeZone: string): number {
  const t = s.trim();
  const wall = WALL_CLOCK.exec(t);
  if (wall) {
    const [y, mo, d, h, mi, sec] = wall.slice(1, 7).map(Number) as [number, number, number, number, number, number];
    const ms = wall[7] ? Math.round(Number(`0.${wall[7]}`) * 1000) : 0;
    return localToUtc(timeZone, Date.UTC(y, mo - 1, d, h, mi, sec)) + ms;
  }
  const n = Number(t);
  return t === '' || !Number.isFinite(n) || n <= 0 ? Number.NaN : Math.round(n * 1000);
}

/**
 * One record of the CEL file. `timeZone`: the PBX's, for wall-clock eventtimes (a cel.conf `dateformat`).
 * UNUSED_RECORD for one of Asterisk's events the interpreter does not read; null for a record that does not parse.
 */
export function parseCelLine(line: string, timeZone = 'UTC'): CelEvent | typeof UNUSED_RECORD | null {
  const f = splitCsvLine(line.replace(/\r$/, ''));
  if (!f || f.length < CEL_COLUMNS.length) return null;
  const get = (c: (typeof CEL_COLUMNS)[number]) => f[CEL_COLUMNS.indexOf(c)] ?? '';
  if (UNUSED.has(get('eventenum'))) return UNUSED_RECORD;
  return build({
    name: get('eventenum'), at: epochMs(get('eventtime'), timeZone), uniqueId: get('uniqueid'), linkedId: get('linkedid'), channel: get('channame'),
    callerName: get('name'), callerNumber: get('num'), dnid: get('dnid'), exten: get('exten'), context: get('context'),
    app: get('appname'), appData: get('appdata'), peer: get('peer'), userEvent: get('userdeftype'), extra: get('eventextra'),
  });
}

/** A chunk of the CEL file -> its events in file order; records that do not parse are counted, not fatal. */
export function parseCelText(text: string, timeZone = 'UTC'): { events: CelEvent[]; bad: number } {
  const events: CelEvent[] = [];
  let bad = 0;
  for (const rec of splitRecords(text)) {
    if (rec.trim() === '') continue;
    const e = RECORD_START.test(rec) ? parseCelLine(rec, timeZone) : null;
    if (e === UNUSED_RECORD) continue;
    if (e) events.push(e);
    else bad++;
  }
  return { events, bad };
}

/** MixMonitor's first argument is the file it writes ("/var/spool/.../<linkedid>.wav,b"). */
export function mixMonitorFile(appData: string): string | null {
  const file = appData.split(',')[0]?.trim() ?? '';
  return file === '' ? null : file;
}

/** Queue's first argument is the queue's name ("sales,t,,,30"). */
export function queueName(appData: string): string | null {
  const q = appData.split(',')[0]?.trim() ?? '';
  return /^[A-Za-z0-9_.-]{1,64}$/.test(q) ? q : null;
}

/**
 * Q.850 cause codes as Asterisk names them (main/causes.c ast_cause2str), for the causes a call ends
 * with; other codes keep their number alone.
 */
const CAUSES: Record<number, string> = {
  0: 'Unknown', 1: 'Unallocated (unassigned) number', 3: 'No route to destination', 16: 'Normal Clearing',
  17: 'User busy', 18: 'No user responding', 19: 'User alerting, no answer', 20: 'Subscriber absent',
  21: 'Call Rejected', 26: 'Answered elsewhere', 27: 'Destination out of order', 28: 'Invalid number format',
  31: 'Normal, unspecified', 34: 'Circuit/channel congestion', 38: 'Network out of order',
  41: 'Temporary failure', 42: 'Switching equipment congestion', 127: 'Interworking, unspecified',
};
export function causeText(code: number): string {
  const t = CAUSES[code];
  return t ? `${t} (${code})` : String(code);
}

/**
 * The columns of cel_pgsql's table that the interpreter reads (cel/cel_pgsql.c pgsql_log fills a column by
 * its name: eventtype, eventtime, cid_name, cid_num, cid_dnid, exten, context, channame, appname, appdata,
 * uniqueid, linkedid, peer, userdeftype, extra). docs/asterisk-pgsql.sql creates them.
 */
export const CEL_TABLE_COLUMNS = [
  'eventtype', 'eventtime', 'uniqueid', 'linkedid', 'channame', 'cid_name', 'cid_num', 'cid_dnid', 'exten', 'context',
  'appname', 'appdata', 'peer', 'userdeftype', 'extra',
] as const;
export type CelTableRow = { [K in (typeof CEL_TABLE_COLUMNS)[number]]?: string | null };

/**
 * One row of cel_pgsql's table, every column read as text. `eventtime` is what the column's type made of
 * it: a float8 column holds seconds.microseconds (as the CEL file without `dateformat`), a `timestamp`
 * column the PBX's wall clock (UTC with cel_pgsql.conf `usegmtime = yes`; else the PBX's zone, `timeZone`).
 * `eventtype` is the event's name with `show_user_defined = yes` (without it cel_pgsql writes a
 * USER_DEFINED event under its own name, which the interpreter would not know).
 */
export function celFromRow(row: CelTableRow, timeZone = 'UTC'): CelEvent | typeof UNUSED_RECORD | null {
  const get = (c: (typeof CEL_TABLE_COLUMNS)[number]): string => row[c] ?? '';
  if (UNUSED.has(get('eventtype'))) return UNUSED_RECORD;
  return build({
    name: get('eventtype'), at: epochMs(get('eventtime'), timeZone), uniqueId: get('uniqueid'), linkedId: get('linkedid'), channel: get('channame'),
    callerName: get('cid_name'), callerNumber: get('cid_num'), dnid: get('cid_dnid'), exten: get('exten'), context: get('context'),
    app: get('appname'), appData: get('appdata'), peer: get('peer'), userEvent: get('userdeftype'), extra: get('extra'),
  });
}
