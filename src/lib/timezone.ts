// Time-zone arithmetic (reports, the PBX's wall-clock times), on Intl alone (IANA names, DST included). A report range is cut into
// segments of constant UTC offset so SQL can bucket calls by plain arithmetic: local day index =
// floor((started_at + offset) / 86400000) within a segment.
const HOUR = 3_600_000;
const DAY = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** True for an IANA zone name this Node knows (Europe/Moscow, UTC, America/New_York). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return /^[A-Za-z_+\-/0-9]+$/.test(tz);
  } catch {
    return false;
  }
}

/** The zone's offset from UTC at the instant `ms` (positive east of Greenwich), in ms. */
export function offsetAt(tz: string, ms: number): number {
  const p: Record<string, number> = {};
  for (const part of formatter(tz).formatToParts(new Date(ms))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const local = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  return local - (ms - (((ms % 1000) + 1000) % 1000));
}

/** The instant of a local wall-clock time (ms since epoch as if the wall clock were UTC). */
export function localToUtc(tz: string, localMs: number): number {
  let utc = localMs - offsetAt(tz, localMs);
  utc = localMs - offsetAt(tz, utc);
  return utc;
}

export interface Segment {
  from: number;
  to: number;
  offset: number;
}

/** [from, to) cut where the offset changes (DST), found to the minute. */
export function segments(tz: string, from: number, to: number): Segment[] {
  const out: Segment[] = [];
  let start = from;
  let off = offsetAt(tz, from);
  let t = from;
  while (t < to) {
    const next = Math.min(t + 6 * HOUR, to);
    const o = next < to ? offsetAt(tz, next) : off;
    if (o !== off) {
      // The change lies in (t, next]: bisect to the minute.
      let lo = t;
      let hi = next;
      while (hi - lo > 60_000) {
        const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000;
        if (offsetAt(tz, mid) === off) lo = mid; else hi = mid;
      }
      out.push({ from: start, to: hi, offset: off });
      start = hi;
      off = o;
    }
    t = next;
  }
  out.push({ from: start, to, offset: off });
  return out;
}

export const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Local calendar day index (days since 1970-01-01 local) -> 'YYYY-MM-DD'. */
export function dayLabel(dayIndex: number): string {
  const d = new Date(dayIndex * DAY);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** Parses 'YYYY-MM-DD' (local midnight in tz) or a full ISO 8601 date-time with offset; NaN if neither. */
export function parseBound(s: string, tz: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (m) {
    const local = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
    if (dayLabel(local / DAY) !== s) return NaN;
    return localToUtc(tz, local);
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(s)) return NaN;
  return Date.parse(s);
}

/** 'YYYY-MM-DD HH:MM:SS' in tz: what Excel reads as a date-time. */
export function localDateTime(tz: string, ms: number): string {
  const d = new Date(ms + offsetAt(tz, ms));
  return `${dayLabel(Math.floor(d.getTime() / DAY))} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

export { HOUR, DAY };
