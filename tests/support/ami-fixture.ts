// Reads a recorded AMI byte stream (tests/fixtures/ami/*.ami, captured from the sandbox Asterisk) into
// raw events shaped as asterisk-manager emits them: lower-cased header names, string values.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RawAmiEvent } from '../../src/pbx/ami-events.js';
import { parseCdrText, type CdrRow } from '../../src/calls/cdr.js';

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
