// Observe-only on a dialplan we do not own: the FreePBX-shaped profile's recorded call shapes
// (tests/fixtures/freepbx, sandbox/capture-freepbx.ts; what FreePBX does in each: sandbox/SCENARIOS.md
// "FreePBX profile") read by the one interpreter from nothing but Asterisk's own event log, as a
// supervisor would read the call log: direction, the outside party, who the call belongs to, whether it
// was answered, and FreePBX's own recording file. Ring and talk times against the CDR are the freepbx
// integration tier's (tests/freepbx).
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { CallRecord } from '../../src/calls/model.js';
import { CallTracker } from '../../src/calls/tracker.js';
import { toPbxEvent } from '../../src/pbx/ami-events.js';
import type { PbxEvent } from '../../src/pbx/events.js';
import { freepbxFixturesDir, loadScenario } from '../support/ami-fixture.js';

/** 103's user has the mobile the profile's follow-me rings (sandbox/freepbx/astdb.txt: 89160000103). */
const mobileExtension = (n: string) => (n.replace(/\D/g, '').endsWith('9160000103') ? '103' : null);

function records(name: string, way: 'live' | 'file'): CallRecord[] {
  const { events, cel } = loadScenario(name, { dir: freepbxFixturesDir });
  const tracker = new CallTracker({ extensionPattern: /^[0-9]{2,5}$/, region: 'RU', log: pino({ level: 'silent' }), mobileExtension });
  const out: CallRecord[] = [];
  tracker.on('ended', (s) => out.push(s.record));
  const input = way === 'live' ? events.map((raw) => toPbxEvent(raw)).filter((e): e is PbxEvent => e !== null) : cel;
  for (const e of input) tracker.handle(e);
  return out;
}

type Expect = Partial<Pick<CallRecord, 'direction' | 'origin' | 'externalNumber' | 'extension' | 'disposition' | 'queue' | 'routedBy'>> & {
  /** FreePBX's file name prefix (callrecording's CALLFILENAME: <type>-<to>-<from>-...), below YYYY/MM/DD/. */
  recording: string | null;
  /** Extensions whose legs talked. */
  talked: string[];
};

const SHAPES: Record<string, Expect> = {
  'inbound-ext-answered': { direction: 'inbound', externalNumber: '15551230101', extension: '101', disposition: 'answered', recording: 'in-8005550101-15551230101-', talked: ['101'] },
  'inbound-ringgroup-102-answers': { direction: 'inbound', externalNumber: '15551230102', extension: '102', disposition: 'answered', recording: 'rg-600-15551230102-', talked: ['102'] },
  'inbound-queue-answered': { direction: 'inbound', externalNumber: '15551230103', extension: '101', disposition: 'answered', queue: '400', recording: 'q-400-15551230103-', talked: ['101'] },
  'inbound-followme-mobile-answers': { direction: 'inbound', externalNumber: '15551230104', extension: '103', disposition: 'answered', recording: 'external-103-15551230104-', talked: ['103'] },
  // The routing's custom destination with no service attached: Stasis fails, our CtiRoute says fallback,
  // and FreePBX's ring group 600 (the destination after return) rings; 101 answers.
  'inbound-custom-destination': { direction: 'inbound', externalNumber: '15551230111', extension: '101', disposition: 'answered', routedBy: 'fallback', recording: 'in-8005550700-15551230111-', talked: ['101'] },
  'inbound-no-answer': { direction: 'inbound', extension: '198', disposition: 'no_answer', recording: 'external-198-', talked: [] },
  'inbound-busy': { direction: 'inbound', extension: '199', disposition: 'busy', recording: 'external-199-', talked: [] },
  outbound: { direction: 'outbound', origin: null, externalNumber: '+79161230105', extension: '101', disposition: 'answered', recording: 'out-89161230105-101-', talked: ['101'] },
  'outbound-busy': { direction: 'outbound', externalNumber: '+79990000486', extension: '101', disposition: 'busy', recording: 'out-89990000486-101-', talked: [] },
  internal: { direction: 'internal', externalNumber: '101', extension: '102', disposition: 'answered', recording: 'internal-102-101-', talked: ['101', '102'] },
  // The service's own click-to-call (the client's number as caller ID, REALCALLERIDNUM for FreePBX).
  click2call: { direction: 'outbound', origin: 'click2call', externalNumber: '+79161230107', extension: '101', disposition: 'answered', recording: 'out-89161230107-101-', talked: ['101'] },
  // Another tool's Originate that gave the phone its own caller ID: the number is the outside channel's.
  'click2call-ext-callerid': { direction: 'outbound', origin: 'click2call', externalNumber: '+79161230112', extension: '101', disposition: 'answered', recording: 'out-89161230112-101-', talked: ['101'] },
  // The caller's channel keeps FreePBX's first recording (the inbound route's) through the transfer.
  'blind-transfer': { direction: 'inbound', externalNumber: '15551230108', extension: '102', disposition: 'answered', recording: 'in-8005550101-15551230108-', talked: ['101', '102'] },
  'blind-transfer-ami': { direction: 'inbound', externalNumber: '15551230109', extension: '102', disposition: 'answered', recording: 'in-8005550101-15551230109-', talked: ['101', '102'] },
  'attended-transfer': { direction: 'inbound', externalNumber: '15551230110', extension: '102', disposition: 'answered', recording: 'in-8005550101-15551230110-', talked: ['101', '102'] },
};

describe('observe-only: FreePBX-shaped call shapes read off Asterisk\'s event log alone', () => {
  for (const [name, want] of Object.entries(SHAPES)) {
    for (const way of ['live', 'file'] as const) {
      it(`${name} (${way === 'live' ? 'live over AMI' : 'from the CEL file'}): one record, as the supervisor expects`, () => {
        const recs = records(name, way);
        expect(recs).toHaveLength(1);
        const r = recs[0]!;
        const { recording, talked, ...fields } = want;
        expect(r).toMatchObject(fields);
        if (recording === null) expect(r.recordingFile).toBeNull();
        else expect(r.recordingFile ?? '').toMatch(new RegExp(`^\\d{4}/\\d{2}/\\d{2}/${recording.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
        expect([...new Set(r.legs.filter((l) => l.talkMs > 0).map((l) => l.extension))].sort()).toEqual(talked);
      });
    }
  }

  it('a shape the interpreter gets wrong fails here (the expectations can fail)', () => {
    const [r] = records('inbound-ringgroup-102-answers', 'file');
    expect(r).not.toMatchObject({ extension: '101' });
  });
});
