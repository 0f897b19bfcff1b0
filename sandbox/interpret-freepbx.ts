// What the CEL interpreter (src/calls/*) makes of the FreePBX profile's recorded shapes
// (tests/fixtures/freepbx/, sandbox/capture-freepbx.ts): each shape read live (its .ami stream, as
// tests/unit/interpreter-both-ways.test.ts feeds it) and afterwards (its .cel.csv), one line per record.
//   npx tsx sandbox/interpret-freepbx.ts [shape ...]      (default: all; --json for the whole records;
//   --dir <dir> reads the fixtures from another folder)
// No sandbox needed. A report, not a test: it states what comes out, right or wrong.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import type { CallRecord } from '../src/calls/model.js';
import { CallTracker } from '../src/calls/tracker.js';
import { toPbxEvent } from '../src/pbx/ami-events.js';
import { parseCelText } from '../src/pbx/cel.js';
import type { PbxEvent } from '../src/pbx/events.js';
import { PROJECT_ROOT } from '../tests/support/sandbox.js';
import { parseAmiStream } from '../tests/support/ami-fixture.js';

const args = process.argv.slice(2);
const dirAt = args.indexOf('--dir');
const DIR = dirAt >= 0 ? path.resolve(args.splice(dirAt, 2)[1] ?? '.') : path.join(PROJECT_ROOT, 'tests', 'fixtures', 'freepbx');
const json = args.includes('--json');
const names = args.filter((a) => !a.startsWith('--'));
const shapes = names.length ? names : readdirSync(DIR).filter((f) => f.endsWith('.cel.csv')).map((f) => f.replace(/\.cel\.csv$/, '')).sort();

function records(events: Iterable<PbxEvent>): CallRecord[] {
  const tracker = new CallTracker({ extensionPattern: /^[0-9]{2,5}$/, region: 'RU', log: pino({ level: 'silent' }) });
  const out: CallRecord[] = [];
  tracker.on('ended', (c) => out.push(c.record));
  for (const e of events) tracker.handle(e);
  return out.sort((a, b) => a.startedAt - b.startedAt);
}

const line = (r: CallRecord): string => [
  `direction=${r.direction}`, `origin=${r.origin ?? '-'}`, `external=${r.externalNumber ?? '-'}`, `extension=${r.extension ?? '-'}`,
  `disposition=${r.disposition ?? '-'}`, `ring=${(r.ringMs / 1000).toFixed(1)}s`, `talk=${(r.talkMs / 1000).toFixed(1)}s`,
  `queue=${r.queue ?? '-'}`, `recording=${r.recordingFile ?? '-'}`, `legs=${r.legs.length}`,
].join(' ');

for (const name of shapes) {
  const raw = parseAmiStream(readFileSync(path.join(DIR, `${name}.ami`), 'utf8'));
  const live = records(raw.map((e) => toPbxEvent(e)).filter((e): e is PbxEvent => e !== null));
  const { events: cel, bad } = parseCelText(readFileSync(path.join(DIR, `${name}.cel.csv`), 'utf8'));
  const after = records(cel);
  console.log(`\n=== ${name}: ${live.length} record(s) live, ${after.length} from the CEL file (${cel.length} CEL rows read, ${bad} unreadable)`);
  for (const r of live) console.log(`  live  ${line(r)}`);
  for (const r of after) console.log(`  file  ${line(r)}`);
  if (json) console.log(JSON.stringify({ live, after }, null, 1));
}
