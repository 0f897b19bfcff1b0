// Records the AMI fixtures of sandbox/SCENARIOS.md on a running sandbox (sandbox/pbx.sh up), as root:
//   npx tsx sandbox/capture-scenarios.ts [scenario ...]        (default: all)
// For each scenario: tests/fixtures/ami/<name>.ami      raw bytes received by the least-rights `cti` AMI user,
//                    from connect/login until the scenario's last Hangup + 1 s (verbatim, CRLF);
//                    tests/fixtures/ami/<name>.cdr.csv  the scenario's rows of cti.csv (verbatim lines);
//                    tests/fixtures/ami/<name>.cel.csv  the scenario's rows of the CEL file (cel-custom/cti.csv, verbatim);
// and prints a summary (CDR rows, recording durations by soxi). The sandbox user's stream of the same
// scenario goes to .pbx/run/scenario-<name>.sandbox.ami for reference (not a fixture: it has dialplan events).
// The harness (files, summary) is sandbox/capture.ts, shared with capture-freepbx.ts.
import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  PROJECT_ROOT, Phone, attendedTransfer, completeAttendedTransfer, clickToCall, conferenceFromCall, coreShowChannels, inboundCall,
  queuePause, recordingPath, SHAPE_DIDS, waitForChannel, waitForParkedCall, waitUntil,
} from '../tests/support/sandbox.js';
import { capture, sleep, soxDuration } from './capture.js';

const OUT = path.join(PROJECT_ROOT, 'tests', 'fixtures', 'ami');
const phones = { p101: new Phone(101), p102: new Phone(102), p103: new Phone(103) };

type Scenario = () => Promise<void>;

/** Runs fn with these phones ringing until answered by hand (answerMode manual), then back to auto. */
async function manual<T>(list: Phone[], fn: () => Promise<T>): Promise<T> {
  await Promise.all(list.map((p) => p.answerMode('manual')));
  try { return await fn(); } finally { await Promise.all(list.map((p) => p.answerMode('auto'))); }
}

/** the live PJSIP/<ext> channel of a call */
const legOf = (linkedid: string, ext: string) =>
  waitForChannel((c) => c.linkedid === linkedid && c.channel.startsWith(`PJSIP/${ext}-`) && c.state === 'Up', 15_000, `PJSIP/${ext} of ${linkedid}`);

const scenarios: Record<string, Scenario> = {
  'inbound-answered': async () => {
    const call = await inboundCall({ from: '15551230001', did: '8005550101', talkSeconds: 4 });
    await call.originateResponse;
  },
  'inbound-no-answer': async () => {
    const call = await inboundCall({ from: '15551230002', did: '8005550198', timeoutSeconds: 30 });
    await call.originateResponse;
  },
  'inbound-busy': async () => {
    const call = await inboundCall({ from: '15551230003', did: '8005550199' });
    await call.originateResponse;
  },
  'inbound-caller-abandon': async () => {
    // the Originate gives up after 4 s: the client hangs up while 198 is still ringing
    const call = await inboundCall({ from: '15551230004', did: '8005550198', timeoutSeconds: 4 });
    await call.originateResponse;
  },
  outbound: async () => {
    await phones.p101.dial('89161230005');
    await phones.p101.waitFor('CALL_ESTABLISHED', 10_000);
    await sleep(5000);
    await phones.p101.hangup();
    await phones.p101.waitFor('CALL_CLOSED', 10_000);
  },
  // The dial policy refuses it in the dialplan (extensions_cti_policy.conf: +882 is an international network).
  'outbound-denied': async () => {
    await phones.p101.dial('+882161234567');
    await phones.p101.waitFor('CALL_CLOSED', 10_000);
  },
  // Click-to-call past the service to a premium number: 101 answers, the client is never dialled.
  'click2call-denied': async () => {
    const call = await clickToCall({ ext: '101', number: '78091234567' });
    await call.originateResponse;
  },
  internal: async () => {
    await phones.p101.dial('102');
    await phones.p101.waitFor('CALL_ESTABLISHED', 10_000);
    await sleep(4000);
    await phones.p101.hangup();
    await phones.p101.waitFor('CALL_CLOSED', 10_000);
  },
  click2call: async () => {
    const call = await clickToCall({ ext: '101', number: '89161230007' });
    await phones.p101.waitFor('CALL_ESTABLISHED', 10_000);
    await call.originateResponse;
    await sleep(5000);
    await phones.p101.hangup();
    await phones.p101.waitFor('CALL_CLOSED', 10_000);
  },
  // Click-to-call whose first leg (the manager's own phone) fails: the dialplan never runs, no CtiCall mark.
  'click2call-busy': async () => {
    const call = await clickToCall({ ext: '199', number: '89161230017' });
    await call.originateResponse;
  },
  'click2call-no-answer': async () => {
    const call = await clickToCall({ ext: '198', number: '89161230018', timeoutSeconds: 6 });
    await call.originateResponse;
  },
  // The manager answers, the client's line is busy (sandbox-pstn 89990000486).
  'click2call-client-busy': async () => {
    const call = await clickToCall({ ext: '101', number: '89990000486' });
    await call.originateResponse;
    await waitUntil(async () => !(await coreShowChannels()).some((c) => c.linkedid === call.linkedid), 15_000, 'the call to end');
  },
  'blind-transfer': async () => {
    const call = await inboundCall({ from: '15551230008', did: '8005550101' });
    await phones.p101.waitFor('CALL_ESTABLISHED', 10_000);
    await sleep(3000);
    await phones.p101.blindTransfer('102');
    await phones.p102.waitFor('CALL_ESTABLISHED', 10_000);
    await phones.p101.waitFor('CALL_CLOSED', 10_000);
    await sleep(4000);
    await phones.p102.hangup();
    await phones.p102.waitFor('CALL_CLOSED', 10_000);
    await call.originateResponse;
  },
  'attended-transfer': async () => {
    const call = await inboundCall({ from: '15551230009', did: '8005550101' });
    const leg = await legOf(call.linkedid, '101');
    await sleep(3000);
    await attendedTransfer(leg.channel, '102');
    await phones.p102.waitFor('CALL_ESTABLISHED', 10_000);
    await sleep(3000); // consult talk
    await completeAttendedTransfer(leg.channel);
    await sleep(4000);
    await phones.p102.hangup();
    await phones.p102.waitFor('CALL_CLOSED', 10_000);
  },
  'two-calls': async () => {
    const [a, b] = await Promise.all([
      inboundCall({ from: '15551230010', did: '8005550101', talkSeconds: 6 }),
      inboundCall({ from: '15551230011', did: '8005550102', talkSeconds: 4 }),
    ]);
    await Promise.all([a.originateResponse, b.originateResponse]);
  },
  // 103 follows-me (followme.conf): its desk phone rings 5 s unanswered, then its mobile 89160000103
  // (through the outside line, [sandbox-pstn]) answers after ~1 s; the client talks 6 s and hangs up.
  'followme-mobile-answers': async () => {
    await phones.p103.answerMode('manual');
    try {
      const call = await inboundCall({ from: '89161230020', did: '74950009103', talkSeconds: 6 });
      await phones.p103.waitFor('CALL_INCOMING', 10_000);
      await call.originateResponse;
      await waitUntil(async () => !(await coreShowChannels()).some((c) => c.linkedid === call.linkedid), 30_000, 'the call to end');
    } finally {
      await phones.p103.answerMode('auto');
    }
  },
  // 101 answers a client, after 3 s pulls in 102 (AMI Redirect of both into ConfBridge + Originate 102):
  // all three talk 5 s, 102 leaves, 101 and the client 2 s more, then 101 hangs up (the leader: the
  // conference ends and the client is removed).
  'confbridge-three-way': async () => {
    const call = await inboundCall({ from: '89161230021', did: '74950000101' });
    const leg = await legOf(call.linkedid, '101');
    const client = await waitForChannel((c) => c.linkedid === call.linkedid && /^Local\/.*@cti-inbound-.*;2$/.test(c.channel), 5000, "the client's ;2");
    await sleep(3000);
    await conferenceFromCall({ leaderChannel: leg.channel, otherChannel: client.channel, room: call.linkedid, inviteExt: '102' });
    await phones.p102.waitFor('CALL_ESTABLISHED', 10_000);
    await sleep(5000);
    await phones.p102.hangup();
    await phones.p102.waitFor('CALL_CLOSED', 10_000);
    await sleep(2000);
    await phones.p101.hangup();
    await phones.p101.waitFor('CALL_CLOSED', 10_000);
  },
  // 103 answers a client and attended-transfers to 600 (queue sales, ringall 101+102); 102 only rings,
  // 101 answers; after 3 s consulting 103 completes the transfer (hangs up); client and 101 talk 4 s.
  'attended-transfer-into-queue': async () => {
    await phones.p102.answerMode('manual');
    try {
      const call = await inboundCall({ from: '89161230022', did: '74950000103' });
      const leg = await legOf(call.linkedid, '103');
      await sleep(3000);
      await attendedTransfer(leg.channel, '600');
      await phones.p101.waitFor('CALL_ESTABLISHED', 15_000);
      await sleep(3000);
      await completeAttendedTransfer(leg.channel);
      await sleep(4000);
      await phones.p101.hangup();
      await phones.p101.waitFor('CALL_CLOSED', 10_000);
    } finally {
      await phones.p102.answerMode('auto');
    }
  },
  // A client waits in the queue sales (DID ...0600 -> Local/sales@cti-queue/n); 102 only rings, 101
  // answers, talks 3 s and blind-transfers (SIP REFER) to 103; 103 talks 4 s and hangs up.
  'queue-call-blind-transferred': async () => {
    await phones.p102.answerMode('manual');
    try {
      const call = await inboundCall({ from: '89161230023', did: '74950000600' });
      await phones.p101.waitFor('CALL_ESTABLISHED', 15_000);
      await sleep(3000);
      await phones.p101.blindTransfer('103');
      await phones.p103.waitFor('CALL_ESTABLISHED', 10_000);
      await phones.p101.waitFor('CALL_CLOSED', 10_000);
      await sleep(4000);
      await phones.p103.hangup();
      await phones.p103.waitFor('CALL_CLOSED', 10_000);
      await call.originateResponse;
    } finally {
      await phones.p102.answerMode('auto');
    }
  },
  // ---- call shapes of issue 12 (queues, ring group, pickup, parking); DIDs: SHAPE_DIDS
  // Queue sales (ringall): both ring; 102 answers after 2 s while 101 still rings; client talks 4 s.
  'queue-ringall-second-answers': async () => {
    await manual([phones.p101, phones.p102], async () => {
      const call = await inboundCall({ from: '15551230021', did: SHAPE_DIDS.queueSales, talkSeconds: 4 });
      await Promise.all([phones.p101.waitFor('CALL_INCOMING', 10_000), phones.p102.waitFor('CALL_INCOMING', 10_000)]);
      await sleep(2000);
      await phones.p102.answer();
      await phones.p102.waitFor('CALL_ESTABLISHED', 10_000);
      await call.originateResponse;
    });
  },
  // Queue sales-rr (rrmemory): the member tried first lets it ring out (member timeout 5 s), app_queue
  // waits retry 1 s and rings the other, who answers after 1 s; client talks 4 s.
  'queue-rrmemory-second-answers': async () => {
    await manual([phones.p101, phones.p102], async () => {
      const call = await inboundCall({ from: '15551230022', did: SHAPE_DIDS.queueSalesRr, talkSeconds: 4 });
      const rung = (ext: string) => (c: { linkedid: string; channel: string }) => c.linkedid === call.linkedid && c.channel.startsWith(`PJSIP/${ext}-`);
      const firstLeg = await waitForChannel((c) => rung('101')(c) || rung('102')(c), 10_000, 'the first member rung');
      const [first, second] = firstLeg.channel.startsWith('PJSIP/101-') ? [phones.p101, phones.p102] : [phones.p102, phones.p101];
      console.log(`  rrmemory rang ${first.ext} first; ${second.ext} answers`);
      await waitForChannel(rung(second.ext), 15_000, 'the second member rung');
      await second.waitFor('CALL_INCOMING', 5_000);
      await sleep(1000);
      await second.answer();
      await second.waitFor('CALL_ESTABLISHED', 10_000);
      await call.originateResponse;
    });
  },
  // Queue sales: nobody answers; the client gives up after 8 s (both members rang and missed once, the
  // second round had begun).
  'queue-caller-abandons': async () => {
    await manual([phones.p101, phones.p102], async () => {
      const call = await inboundCall({ from: '15551230023', did: SHAPE_DIDS.queueSales, timeoutSeconds: 8 });
      await call.originateResponse;
    });
  },
  // Queue night (198 never answers) with Queue()'s own 8 s timeout, then the same channel dials 103, who
  // answers; client talks 4 s.
  'queue-timeout-to-target': async () => {
    const call = await inboundCall({ from: '15551230024', did: SHAPE_DIDS.queueNightThen103, talkSeconds: 4, timeoutSeconds: 40 });
    await phones.p103.waitFor('CALL_ESTABLISHED', 20_000);
    await call.originateResponse;
  },
  // Queue sales with 101 paused (AMI QueuePause, reason "lunch"): only 102 rings and answers; talks 4 s.
  'queue-member-busy-or-paused': async () => {
    await queuePause('PJSIP/101', true, 'sales', 'lunch');
    try {
      const call = await inboundCall({ from: '15551230025', did: SHAPE_DIDS.queueSales, talkSeconds: 4 });
      await phones.p102.waitFor('CALL_ESTABLISHED', 10_000);
      await call.originateResponse;
    } finally {
      await queuePause('PJSIP/101', false, 'sales');
    }
  },
  // Ring group Dial(PJSIP/101&PJSIP/102): both ring; 102 answers after 2 s; talks 4 s.
  'ring-group': async () => {
    await manual([phones.p101, phones.p102], async () => {
      const call = await inboundCall({ from: '15551230026', did: SHAPE_DIDS.group101102, talkSeconds: 4 });
      await Promise.all([phones.p101.waitFor('CALL_INCOMING', 10_000), phones.p102.waitFor('CALL_INCOMING', 10_000)]);
      await sleep(2000);
      await phones.p102.answer();
      await phones.p102.waitFor('CALL_ESTABLISHED', 10_000);
      await call.originateResponse;
    });
  },
  // An inbound call rings 101 (not answering); after 2 s 103 dials *8 (group pickup) and talks 4 s.
  'pickup-group': async () => {
    await manual([phones.p101], async () => {
      const call = await inboundCall({ from: '15551230027', did: '8005550101' });
      await phones.p101.waitFor('CALL_INCOMING', 10_000);
      await sleep(2000);
      await phones.p103.dial('*8');
      await phones.p103.waitFor('CALL_ESTABLISHED', 10_000);
      await sleep(4000);
      await phones.p103.hangup();
      await phones.p103.waitFor('CALL_CLOSED', 10_000);
      await call.originateResponse;
    });
  },
  // As pickup-group, but 103 dials **101 (directed pickup of 101's ringing phone, PickupChan).
  'pickup-directed': async () => {
    await manual([phones.p101], async () => {
      const call = await inboundCall({ from: '15551230028', did: '8005550101' });
      await phones.p101.waitFor('CALL_INCOMING', 10_000);
      await sleep(2000);
      await phones.p103.dial('**101');
      await phones.p103.waitFor('CALL_ESTABLISHED', 10_000);
      await sleep(4000);
      await phones.p103.hangup();
      await phones.p103.waitFor('CALL_CLOSED', 10_000);
      await call.originateResponse;
    });
  },
  // 101 answers, talks 3 s, parks the call by blind transfer (REFER) to 700; 3 s later 102 dials the slot
  // (701) and talks 4 s, then hangs up.
  parking: async () => {
    const call = await inboundCall({ from: '15551230029', did: '8005550101' });
    await phones.p101.waitFor('CALL_ESTABLISHED', 10_000);
    await sleep(3000);
    const parked = waitForParkedCall(10_000);
    await phones.p101.blindTransfer('700');
    const { space } = await parked;
    console.log(`  parked in ${space}`);
    await phones.p101.waitFor('CALL_CLOSED', 10_000);
    await sleep(3000);
    await phones.p102.dial(space);
    await phones.p102.waitFor('CALL_ESTABLISHED', 10_000);
    await sleep(4000);
    await phones.p102.hangup();
    await phones.p102.waitFor('CALL_CLOSED', 10_000);
    await call.originateResponse;
  },
};

capture({
  out: OUT, tag: 'scenario', shapes: scenarios, phones: Object.values(phones),
  cdrExtra: (r) => `uf=${r.userfield} seq=${r.sequence}`,
  after: (_name, { linkedids }) => {
    for (const l of linkedids) {
      const f = recordingPath(l);
      console.log(`  recording ${path.basename(f)}: ${existsSync(f) ? `${soxDuration(f)} s` : 'none'}`);
    }
  },
});
