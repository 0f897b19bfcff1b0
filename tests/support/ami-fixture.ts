// Reads a recorded AMI byte stream (tests/fixtures/ami/*.ami, captured from the sandbox Asterisk) into
// raw events shaped as asterisk-manager emits them: lower-cased header names, string values.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RawAmiEvent } from '../../src/pbx/ami-events.js';
import { parseCdrText, type CdrRow } from '../../src/pbx/cdr.js';
import { toPbxEvent } from '../../src/pbx/ami-events.js';
import { parseCelText } from '../../src/pbx/cel.js';
import type { CelEvent } from '../../src/pbx/events.js';

export const fixturesDir = fileURLToPath(new URL('../fixtures/ami/', import.meta.url));
/** The FreePBX-shaped profile's recorded call shapes (sandbox/capture-freepbx.ts), in the same format. */
export const freepbxFixturesDir = fileURLToPath(new URL('../fixtures/freepbx/', import.meta.url));

export function parseAmiStream(text: string): RawAmiEvent[] {
  const out: RawAmiEvent[] = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    const ev: Record<string, string> = {};
    for (const line of block.split(/\r?\n/)) {
      const i = line.indexOf(': ');
      if (i <= 0) continue;
      const key = line.slice(0, i).trim().toLowerCase();
      if (!(key in ev)) ev[key] = line.slice(i + 2);
    }
    if (ev['event']) out.push(ev);
  }
  return out;
}

// Recorded fixtures carry the times of the day they were recorded. Tests see them moved to the run's
// clock (the scenario's last CDR end ten minutes before now, or the time a test names), AMI Timestamp
// headers and the CDR's start/answer/end columns by the same amount, so that durations, ordering and the
// AMI-vs-CDR comparisons are untouched and nothing depends on today's date (a look-back window, "today"'s
// counters). Ids (uniqueid, linkedid: "epoch.seq" in Asterisk) keep their recorded text.

/** The CDR columns that hold times (dialplan/cdr_custom_cti.conf: start, answer, end as ${CDR(x,u)}). */
const CDR_TIME_COLUMNS = [8, 9, 10];

/** Microseconds to add to a scenario's recorded times so that its last CDR end falls at `endAt` (ms). */
export function fixtureShiftUs(cdrText: string, endAt: number = Date.now() - 10 * 60_000): number {
  let last = 0;
  for (const line of cdrText.split('\n')) {
    const cols = splitCsv(line);
    if (!cols) continue;
    for (const i of CDR_TIME_COLUMNS) last = Math.max(last, toUs(cols[i] ?? '0'));
  }
  return last === 0 ? 0 : Math.round(endAt * 1000) - last;
}

/** The CEL file's time column (dialplan/cel_custom_cti.conf: eventtime, second). */
const CEL_TIME_COLUMNS = [1];

/** A recorded CDR (or, with CEL_TIME_COLUMNS, CEL) file's text with its times moved by `shiftUs` (0 = "no answer" stays 0). */
export function shiftCdrText(text: string, shiftUs: number, columns = CDR_TIME_COLUMNS): string {
  return text.split('\n').map((line) => {
    const cols = splitCsv(line);
    if (!cols) return line;
    for (const i of columns) if (toUs(cols[i] ?? '0') > 0) cols[i] = fromUs(toUs(cols[i]!) + shiftUs);
    return cols.map((c) => `"${c.replace(/"/g, '""')}"`).join(',');
  }).join('\n');
}

/** A recorded scenario's CDR file text, moved to the run's clock (see fixtureShiftUs). */
export function cdrFixtureText(name: string, endAt?: number): string {
  const text = readFileSync(`${fixturesDir}${name}.cdr.csv`, 'utf8');
  return shiftCdrText(text, fixtureShiftUs(text, endAt));
}

/** A recorded scenario's CEL file text, moved to the run's clock by the same amount as its CDR (see fixtureShiftUs). */
export function celFixtureText(name: string, endAt?: number): string {
  const cdrText = readFileSync(`${fixturesDir}${name}.cdr.csv`, 'utf8');
  return shiftCdrText(readFileSync(`${fixturesDir}${name}.cel.csv`, 'utf8'), fixtureShiftUs(cdrText, endAt), CEL_TIME_COLUMNS);
}

/**
 * A recorded scenario: its AMI events (raw, as asterisk-manager gives them), its CDR rows and the CEL
 * records Asterisk wrote to the file for the same calls, all moved to the run's clock together.
 */
export function loadScenario(name: string, opts: { endAt?: number; dir?: string } = {}): { events: RawAmiEvent[]; cdr: CdrRow[]; cel: CelEvent[] } {
  const dir = opts.dir ?? fixturesDir;
  const cdrText = readFileSync(`${dir}${name}.cdr.csv`, 'utf8');
  const shift = fixtureShiftUs(cdrText, opts.endAt);
  const events = parseAmiStream(readFileSync(`${dir}${name}.ami`, 'utf8'));
  for (const ev of events) if (typeof ev['timestamp'] === 'string') ev['timestamp'] = fromUs(toUs(ev['timestamp']) + shift);
  const cdr = parseCdrText(shiftCdrText(cdrText, shift)).rows;
  const cel = parseCelText(shiftCdrText(readFileSync(`${dir}${name}.cel.csv`, 'utf8'), shift, CEL_TIME_COLUMNS)).events;
  return { events, cdr, cel };
}

function toUs(s: string): number {
  const [sec = '0', frac = ''] = s.split('.');
  return Number(sec) * 1_000_000 + Number(frac.padEnd(6, '0').slice(0, 6));
}
function fromUs(us: number): string {
  return `${Math.floor(us / 1_000_000)}.${String(us % 1_000_000).padStart(6, '0')}`;
}
/** The recorded files' lines: every field double-quoted, "" inside (CSV_QUOTE); null for other lines. */
function splitCsv(line: string): string[] | null {
  if (!line.startsWith('"')) return null;
  const cols: string[] = [];
  const re = /"((?:[^"]|"")*)"(?:,|$)/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line)) !== null) {
    cols.push(m[1]!.replace(/""/g, '"'));
    if (re.lastIndex >= line.length) break;
  }
  return cols.length >= 11 ? cols : null;
}

/**
 * A recorded scenario's events as typed PbxEvents, for feeding the real tracker (app.callLog.handle).
 * `copy` suffixes every uniqueid and linkedid (a distinct call per copy); `numbers` rewrites caller
 * numbers (e.g. the sandbox's 1555... to a Russian mobile that parses as E.164); `endAt` moves the call
 * to end then (default: ten minutes ago, see fixtureShiftUs).
 */
export function scenarioEvents(name: string, opts: { copy?: string; numbers?: Record<string, string>; endAt?: number } = {}): import('../../src/pbx/events.js').PbxEvent[] {
  const { events } = loadScenario(name, opts.endAt === undefined ? {} : { endAt: opts.endAt });
  const out: import('../../src/pbx/events.js').PbxEvent[] = [];
  for (const raw of events) {
    const r: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(raw)) {
      let s = String(v);
      if (opts.copy && /(uniqueid|linkedid)$/.test(k) && s) s = `${s}-${opts.copy}`;
      for (const [from, to] of Object.entries(opts.numbers ?? {})) s = s.split(from).join(to);
      r[k] = s;
    }
    const e = toPbxEvent(r);
    if (e) out.push(e);
  }
  return out;
}
