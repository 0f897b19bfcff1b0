import pino from 'pino';
import { CallTracker } from '../../src/calls/tracker.js';
import { toPbxEvent } from '../../src/pbx/ami-events.js';
import { summariseCdr } from '../../src/calls/cdr.js';
import { loadScenario } from '../support/ami-fixture.js';
const name = process.argv[2]!;
const { events, cdr } = loadScenario(name);
const t = new CallTracker({ extensionPattern: /^[0-9]{2,5}$/, region: 'RU', log: pino({ level: 'silent' }) });
const ended: any[] = [];
t.on('ended', (c) => ended.push(c.toRecord()));
for (const raw of events) { const e = toPbxEvent(raw); if (e) t.handle(e); }
console.log(JSON.stringify(ended.map(r => ({...r, legs: r.legs.map((l: any) => `${l.extension} ring=${l.ringMs} talk=${l.talkMs} ${l.disposition}`)})), null, 1));
const groups = new Map<string, any[]>();
for (const r of cdr) { groups.set(r.linkedid, [...(groups.get(r.linkedid) ?? []), r]); }
for (const [l, rows] of groups) { const s = summariseCdr(rows, (x) => /^[0-9]{2,5}$/.test(x), 'RU'); console.log('CDR', l, s.direction, s.disposition, s.extension, s.externalNumber, 'ring', s.ringMs, 'talk', s.talkMs, rows.map(r => `${r.channel}->${r.dstchannel} ${r.lastapp} ${r.disposition} bill=${r.billsec}`).join(' | ')); }
console.log('live', t.liveCount);
