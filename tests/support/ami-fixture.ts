// Reads a recorded AMI byte stream (tests/fixtures/ami/*.ami, captured from the sandbox Asterisk) into
// raw events shaped as asterisk-manager emits them: lower-cased header names, string values.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RawAmiEvent } from '../../src/pbx/ami-events.js';
import { parseCdrText, type CdrRow } from '../../src/calls/cdr.js';
import { toPbxEvent } from '../../src/pbx/ami-events.js';

export const fixturesDir = fileURLToPath(new URL('../fixtures/ami/', import.meta.url));

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

export function loadScenario(name: string): { events: RawAmiEvent[]; cdr: CdrRow[] } {
  const events = parseAmiStream(readFileSync(`${fixturesDir}${name}.ami`, 'utf8'));
  const cdr = parseCdrText(readFileSync(`${fixturesDir}${name}.cdr.csv`, 'utf8')).rows;
  return { events, cdr };
}

/**
 * A recorded scenario's events as typed PbxEvents, for feeding the real tracker (app.callLog.handle).
 * `copy` suffixes every uniqueid and linkedid (a distinct call per copy); `numbers` rewrites caller
 * numbers (e.g. the sandbox's 1555... to a Russian mobile that parses as E.164).
 */
export function scenarioEvents(name: string, opts: { copy?: string; numbers?: Record<string, string> } = {}): import('../../src/pbx/events.js').PbxEvent[] {
  const { events } = loadScenario(name);
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
