// One interpreter: every recorded scenario read live (the AMI stream the `cti` user received, CEL events
// among the rest) and afterwards (the CEL file Asterisk wrote for the same calls, replayed through a
// tracker of its own, as the reconciler does) gives the same records, field by field. Times may differ
// by the two readings of Asterisk's clock: cel_manager's EventTime has whole seconds only, so the live
// path takes the AMI event's Timestamp, read when the AMI event is written, a moment after the CEL
// record's own eventtime that the file keeps (0.2 to 4 ms in the recorded scenarios).
import { readdirSync } from 'node:fs';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { CallRecord } from '../../src/calls/model.js';
import { CallTracker } from '../../src/calls/tracker.js';
import { toPbxEvent } from '../../src/pbx/ami-events.js';
import type { PbxEvent } from '../../src/pbx/events.js';
import { fixturesDir, freepbxFixturesDir, loadScenario } from '../support/ami-fixture.js';

const shapes = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.cel.csv')).map((f) => f.replace(/\.cel\.csv$/, '')).sort();
// Our own dialplan's scenarios, then the FreePBX-shaped profile's (a dialplan we do not own).
const scenarios = [...shapes(fixturesDir).map((name) => ({ name, dir: fixturesDir })), ...shapes(freepbxFixturesDir).map((name) => ({ name: `freepbx/${name}`, dir: freepbxFixturesDir }))];

function records(events: Iterable<PbxEvent>): CallRecord[] {
  const tracker = new CallTracker({ extensionPattern: /^[0-9]{2,5}$/, region: 'RU', log: pino({ level: 'silent' }) });
  const out: CallRecord[] = [];
  tracker.on('ended', (c) => out.push(c.record));
  for (const e of events) tracker.handle(e);
  return out.sort((a, b) => a.startedAt - b.startedAt);
}

const TIMES = new Set(['startedAt', 'answeredAt', 'endedAt', 'ringMs', 'talkMs', 'queueWaitMs']);
const TOLERANCE_MS = 10;

/** The fields that differ (times beyond the tolerance), with both values: [] when the records agree. */
function differences(a: unknown, b: unknown, path = ''): string[] {
  if (typeof a === 'number' && typeof b === 'number' && TIMES.has(path.split('.').at(-1) ?? '')) {
    return Math.abs(a - b) <= TOLERANCE_MS ? [] : [`${path}: ${a} vs ${b}`];
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return [`${path}: ${a.length} items vs ${b.length}`];
    return a.flatMap((x, i) => differences(x, b[i], `${path}.${i}`));
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k));
  }
  return Object.is(a, b) ? [] : [`${path}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`];
}

describe('one interpreter: live over AMI and afterwards from the CEL file', () => {
  it('has recorded scenarios to compare', () => {
    expect(scenarios.filter((s) => s.dir === fixturesDir).length).toBeGreaterThanOrEqual(15);
    expect(scenarios.filter((s) => s.dir === freepbxFixturesDir).length).toBeGreaterThanOrEqual(12);
  });

  for (const { name, dir } of scenarios) {
    it(`${name}: the same records both ways`, () => {
      const { events, cel } = loadScenario(name.replace(/^freepbx\//, ''), { dir });
      const live = records(events.map((raw) => toPbxEvent(raw)).filter((e): e is PbxEvent => e !== null));
      const after = records(cel);
      expect(live.length).toBeGreaterThan(0);
      expect(after.map((r) => r.linkedId)).toEqual(live.map((r) => r.linkedId));
      for (let i = 0; i < live.length; i++) expect(differences(live[i], after[i]), `${name} call ${i + 1}`).toEqual([]);
    });
  }

  it('the comparison catches a difference beyond the clocks (it can fail)', () => {
    const { cel } = loadScenario('inbound-answered');
    const [a] = records(cel);
    const later = { ...a!, talkMs: a!.talkMs + 1000, extension: '102' };
    expect(differences(a, later)).toEqual([`extension: "101" vs "102"`, `talkMs: ${a!.talkMs} vs ${a!.talkMs + 1000}`]);
  });
});
