// The call interpreter fed with AMI event streams recorded from the sandbox Asterisk 22 (as the
// least-rights `cti` AMI user receives them: its CEL events among the rest), checked against the CDR
// rows Asterisk wrote for the same calls (tests/fixtures/ami/<scenario>.cdr.csv).
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { CdrRow } from '../../src/pbx/cdr.js';
import type { CallRecord } from '../../src/calls/model.js';
import { CallTracker } from '../../src/calls/tracker.js';
import { toPbxEvent } from '../../src/pbx/ami-events.js';
import { normaliseExternal } from '../../src/lib/phone.js';
import { loadScenario } from '../support/ami-fixture.js';

function replay(name: string): { calls: CallRecord[]; cdr: CdrRow[]; states: string[]; tracker: CallTracker } {
  const { events, cdr } = loadScenario(name);
  const tracker = new CallTracker({ extensionPattern: /^[0-9]{2,5}$/, region: 'RU', log: pino({ level: 'silent' }) });
  const calls: CallRecord[] = [];
  const states: string[] = [];
  tracker.on('updated', (c) => states.push(c.state));
  tracker.on('ended', (c) => { states.push(c.state); calls.push(c.record); });
  for (const raw of events) {
    const e = toPbxEvent(raw);
    if (e) tracker.handle(e);
  }
  return { calls, cdr, states, tracker };
}

const row = (cdr: CdrRow[], pred: (r: CdrRow) => boolean): CdrRow => {
  const r = cdr.find(pred);
  if (!r) throw new Error('no such CDR row');
  return r;
};
const secs = (ms: number) => ms / 1000;
const dialTo = (ext: string) => (r: CdrRow) => r.lastapp === 'Dial' && r.dstchannel.startsWith(`PJSIP/${ext}-`);

describe('call tracker on recorded Asterisk traffic', () => {
  it('inbound answered: one call, talk time = the Dial row billsec', () => {
    const { calls, cdr, states, tracker } = replay('inbound-answered');
    expect(calls).toHaveLength(1);
    const c = calls[0]!;
    const dial = row(cdr, dialTo('101'));
    expect(c).toMatchObject({ direction: 'inbound', disposition: 'answered', extension: '101', externalNumber: dial.src, linkedId: dial.linkedid });
    expect(Math.abs(secs(c.talkMs) - dial.billsec)).toBeLessThanOrEqual(1);
    expect(Math.abs(secs(c.ringMs) - (dial.duration - dial.billsec))).toBeLessThanOrEqual(1);
    expect(c.startedAt).toBeLessThanOrEqual(c.answeredAt!);
    expect(c.recordingFile).toMatch(new RegExp(`${c.linkedId}\\.wav$`));
    expect(states.filter((s, i) => s !== states[i - 1])).toEqual(['dialling', 'ringing', 'talking', 'ended']);
    expect(tracker.liveCount).toBe(0);
  });

  it('inbound not answered: no_answer on the phone that rang, no talk time', () => {
    const { calls, cdr } = replay('inbound-no-answer');
    const c = calls[0]!;
    const dial = row(cdr, dialTo('198'));
    expect(dial.disposition).toBe('NO ANSWER');
    expect(c).toMatchObject({ disposition: 'no_answer', extension: '198', talkMs: 0, answeredAt: null });
    expect(Math.abs(secs(c.ringMs) - dial.duration)).toBeLessThanOrEqual(1);
    expect(c.legs).toHaveLength(1);
    expect(c.legs[0]).toMatchObject({ extension: '198', disposition: 'no_answer', talkMs: 0 });
  });

  it('inbound to a busy phone: busy', () => {
    const { calls, cdr } = replay('inbound-busy');
    expect(row(cdr, dialTo('199')).disposition).toBe('BUSY');
    expect(calls[0]).toMatchObject({ disposition: 'busy', extension: '199', talkMs: 0 });
    expect(calls[0]!.hangupCause).toMatch(/busy/i);
  });

  it('caller hangs up while ringing: no_answer, ring time up to the hang-up', () => {
    const { calls, cdr } = replay('inbound-caller-abandon');
    const dial = row(cdr, dialTo('198'));
    expect(calls[0]).toMatchObject({ disposition: 'no_answer', extension: '198', talkMs: 0 });
    expect(Math.abs(secs(calls[0]!.ringMs) - dial.duration)).toBeLessThanOrEqual(1);
  });

  it("outbound from a manager's phone: the manager is the caller, the number is the dialled one", () => {
    const { calls, cdr } = replay('outbound');
    const dial = row(cdr, (r) => r.lastapp === 'Dial' && r.channel.startsWith('PJSIP/101-'));
    expect(calls[0]).toMatchObject({ direction: 'outbound', disposition: 'answered', extension: '101', externalNumber: normaliseExternal(dial.dst, 'RU') });
    expect(Math.abs(secs(calls[0]!.talkMs) - dial.billsec)).toBeLessThanOrEqual(1);
  });

  it('internal call: both phones are legs, the callee is the manager', () => {
    const { calls, cdr } = replay('internal');
    const dial = row(cdr, dialTo('102'));
    expect(calls[0]).toMatchObject({ direction: 'internal', disposition: 'answered', extension: '102', externalNumber: '101' });
    expect(calls[0]!.legs.map((l) => l.extension)).toEqual(['101', '102']);
    expect(Math.abs(secs(calls[0]!.talkMs) - dial.billsec)).toBeLessThanOrEqual(1);
  });

  it('click-to-call (AMI Originate): talk starts when the client answers, not when the manager picks up', () => {
    const { calls, cdr } = replay('click2call');
    const c = calls[0]!;
    // The client's own CDR row (the simulated outside line) starts billing when the client answers.
    const client = row(cdr, (r) => r.channel.includes('@sandbox-pstn') && r.channel.endsWith(';2'));
    expect(c).toMatchObject({ direction: 'outbound', origin: 'click2call', disposition: 'answered', extension: '101' });
    expect(Math.abs(secs(c.talkMs) - client.billsec)).toBeLessThanOrEqual(1);
    // The manager's leg is answered before the client's.
    expect(c.legs[0]!.answeredAt!).toBeLessThan(c.answeredAt!);
  });

  // The manager's own phone fails (199 busy, 198 never answers): cti-click2call never runs; the log shows a
  // phone an Originate rang (AppDial2) with the client's number as its caller ID, and nothing else.
  for (const [name, ext, cdrDisposition, disposition] of [
    ['click2call-busy', '199', 'BUSY', 'busy'], ['click2call-no-answer', '198', 'NO ANSWER', 'no_answer'],
  ] as const) {
    it(`${name}: an outbound click-to-call of manager ${ext}, not an internal call to itself`, () => {
      const { calls, cdr } = replay(name);
      expect(calls).toHaveLength(1);
      const r = row(cdr, (x) => x.channel.startsWith(`PJSIP/${ext}-`));
      expect(r.disposition).toBe(cdrDisposition);
      expect(calls[0]).toMatchObject({
        direction: 'outbound', origin: 'click2call', extension: ext, disposition, answeredAt: null, talkMs: 0,
        externalNumber: normaliseExternal(r.src, 'RU'), linkedId: r.linkedid,
      });
      expect(Math.abs(secs(calls[0]!.ringMs) - r.duration)).toBeLessThanOrEqual(1);
    });
  }

  it('blind transfer: one call, talk time per manager leg, owned by the manager who took it', () => {
    const { calls, cdr } = replay('blind-transfer');
    expect(calls).toHaveLength(1);
    const c = calls[0]!;
    const to101 = row(cdr, dialTo('101'));
    const to102 = row(cdr, dialTo('102'));
    expect(c).toMatchObject({ direction: 'inbound', disposition: 'answered', extension: '102' });
    const legs = Object.fromEntries(c.legs.map((l) => [l.extension, l]));
    expect(Math.abs(secs(legs['101']!.talkMs) - to101.billsec)).toBeLessThanOrEqual(1);
    expect(Math.abs(secs(legs['102']!.talkMs) - to102.billsec)).toBeLessThanOrEqual(1);
    expect(Math.abs(secs(c.talkMs) - (to101.billsec + to102.billsec))).toBeLessThanOrEqual(1);
  });

  it('attended transfer: the consultation joins the call; one call, both managers, the client\'s whole talk time', () => {
    const { calls, cdr } = replay('attended-transfer');
    expect(calls).toHaveLength(1);
    const c = calls[0]!;
    // The client's own row (the ;1 half of the simulated trunk call) bills the whole conversation.
    const client = row(cdr, (r) => r.channel.includes('@cti-inbound') && r.channel.endsWith(';1'));
    expect(c).toMatchObject({ direction: 'inbound', disposition: 'answered', extension: '102' });
    expect(Math.abs(secs(c.talkMs) - client.billsec)).toBeLessThanOrEqual(1);
    expect(c.legs.map((l) => l.extension).sort()).toEqual(['101', '102']);
    for (const l of c.legs) expect(l.disposition).toBe('answered');
  });

  it('two calls at once stay two calls', () => {
    const { calls, cdr } = replay('two-calls');
    expect(calls).toHaveLength(2);
    for (const c of calls) {
      const dial = row(cdr, (r) => r.lastapp === 'Dial' && r.linkedid === c.linkedId);
      expect(c.extension).toBe(dial.dstchannel.slice(6, 9));
      expect(Math.abs(secs(c.talkMs) - dial.billsec)).toBeLessThanOrEqual(1);
    }
    expect(new Set(calls.map((c) => c.extension))).toEqual(new Set(['101', '102']));
  });

  it('ignores events of channels it never saw created (no phantom calls)', () => {
    const { events } = loadScenario('inbound-answered');
    const tracker = new CallTracker({ extensionPattern: /^[0-9]{2,5}$/, region: 'RU', log: pino({ level: 'silent' }) });
    const ended: unknown[] = [];
    tracker.on('ended', (c) => ended.push(c));
    // Drop every channel's start: the rest must not invent calls from answers and hang-ups alone.
    for (const raw of events.filter((r) => !(r['event'] === 'CEL' && r['eventname'] === 'CHAN_START'))) {
      const e = toPbxEvent(raw);
      if (e) tracker.handle(e);
    }
    expect(ended).toHaveLength(0);
    expect(tracker.liveCount).toBe(0);
  });
});
