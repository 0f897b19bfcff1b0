// A call the dial policy refused in the dialplan (cti-dial-denied), recorded on the sandbox
// (tests/fixtures/ami/outbound-denied, click2call-denied): the call log keeps it as a failed outbound
// call, whether it is read live from AMI or rebuilt from Asterisk's CEL file alone, and both readings agree.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { CallRecord } from '../../src/calls/model.js';
import { CallTracker } from '../../src/calls/tracker.js';
import { toPbxEvent } from '../../src/pbx/ami-events.js';
import { loadScenario } from '../support/ami-fixture.js';

function replay(name: string, from: 'ami' | 'cel' = 'ami'): CallRecord[] {
  const { events, cel } = loadScenario(name);
  const tracker = new CallTracker({ extensionPattern: /^[0-9]{2,5}$/, region: 'RU', log: pino({ level: 'silent' }) });
  const calls: CallRecord[] = [];
  tracker.on('ended', (c) => calls.push(c.record));
  if (from === 'cel') for (const e of cel) tracker.handle(e);
  else for (const raw of events) {
    const e = toPbxEvent(raw);
    if (e) tracker.handle(e);
  }
  return calls;
}

const facts = (c: CallRecord) => ({
  direction: c.direction, origin: c.origin, extension: c.extension, externalNumber: c.externalNumber, disposition: c.disposition,
  answeredAt: c.answeredAt, talkMs: c.talkMs,
});

describe('calls the dial policy refused, in the call log', () => {
  it('a desk phone dialling +882: one outbound call of 101, failed, Call Rejected (21), no talk', () => {
    const calls = replay('outbound-denied');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ direction: 'outbound', origin: null, extension: '101', externalNumber: '+882161234567', disposition: 'failed', answeredAt: null, talkMs: 0 });
    expect(calls[0]!.hangupCause).toMatch(/\(21\)/);
    expect(facts(replay('outbound-denied', 'cel')[0]!)).toEqual(facts(calls[0]!));
  });

  it('a click-to-call past the service to 8-809: the manager answered, the client was never dialled: failed, not answered', () => {
    const calls = replay('click2call-denied');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ direction: 'outbound', origin: 'click2call', extension: '101', externalNumber: '+78091234567', disposition: 'failed', answeredAt: null, talkMs: 0 });
    expect(facts(replay('click2call-denied', 'cel')[0]!)).toEqual(facts(calls[0]!));
  });
});
