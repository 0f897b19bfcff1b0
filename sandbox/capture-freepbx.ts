// Records the call shapes of the FreePBX profile (sandbox/SCENARIOS.md "FreePBX profile") on a running
// sandbox brought up with CTI_PBX_PROFILE=freepbx bash sandbox/pbx.sh up, as root:
//   npx tsx sandbox/capture-freepbx.ts [shape ...]        (default: all)
// For each shape, into tests/fixtures/freepbx/ (as sandbox/capture-scenarios.ts does for tests/fixtures/ami/):
//   <name>.ami         raw bytes the least-rights `cti` AMI user received (connect/login to last Hangup + 1 s)
//   <name>.cel.csv     the shape's rows of the CEL file (cel_custom, CTI_CEL_FILE, verbatim)
//   <name>.cdr.csv     the shape's rows of the test oracle's CDR file (cdr_custom, CTI_CDR_FILE, verbatim)
//   <name>.master.csv  the shape's rows of cdr_csv's Master.csv (where FreePBX's Asterisk writes CSV CDRs)
//   <name>.recordings.txt  the recordings written during the shape (path under the monitor dir, seconds)
// The sandbox user's stream (with the dialplan's events) goes to .pbx/run/freepbx-<name>.sandbox.ami.
// The harness (files, summary) is sandbox/capture.ts, shared with capture-scenarios.ts.
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  PROJECT_ROOT, Phone, amiAction, attendedTransfer, blindTransferAmi, clickToCall, completeAttendedTransfer, coreShowChannels,
  inboundCall, loadSandboxEnv, waitForAmiEvent, waitForChannel, waitUntil,
} from '../tests/support/sandbox.js';
import { capture, sleep, soxDuration } from './capture.js';

const env = loadSandboxEnv();
if (env['CTI_PBX_PROFILE'] !== 'freepbx') throw new Error('the sandbox is not up with CTI_PBX_PROFILE=freepbx');
const OUT = path.join(PROJECT_ROOT, 'tests', 'fixtures', 'freepbx');
const MASTER = env['CTI_SANDBOX_CDR_CSV']!;
const phones = { p101: new Phone(101), p102: new Phone(102), p103: new Phone(103) };

/** The DIDs of the profile's inbound routes (sandbox.env CTI_SANDBOX_FREEPBX_DIDS, sandbox/freepbx/extensions.conf). */
const DID = Object.fromEntries((env['CTI_SANDBOX_FREEPBX_DIDS'] ?? '').split(',').filter(Boolean).map((kv) => kv.split(':') as [string, string]));
const did = (k: string): string => { const v = DID[k]; if (!v) throw new Error(`no DID ${k} in CTI_SANDBOX_FREEPBX_DIDS`); return v; };

type Shape = () => Promise<void>;

async function manual<T>(list: Phone[], fn: () => Promise<T>): Promise<T> {
  await Promise.all(list.map((p) => p.answerMode('manual')));
  try { return await fn(); } finally { await Promise.all(list.map((p) => p.answerMode('auto'))); }
}

const legOf = (linkedid: string, ext: string) =>
  waitForChannel((c) => c.linkedid === linkedid && c.channel.startsWith(`PJSIP/${ext}-`) && c.state === 'Up', 15_000, `PJSIP/${ext} of ${linkedid}`);

const shapes: Record<string, Shape> = {
  // DID ...0101 -> from-did-direct,101 -> ext-local -> macro-exten-vm -> macro-dial-one; 101 answers, 4 s.
  'inbound-ext-answered': async () => {
    const call = await inboundCall({ from: '15551230101', did: did('ext101'), talkSeconds: 4 });
    await call.originateResponse;
  },
  // DID ...0600 -> ext-group,600 (ringall 101, 102); both ring, 102 answers after 2 s; 4 s.
  'inbound-ringgroup-102-answers': async () => {
    await manual([phones.p101, phones.p102], async () => {
      const call = await inboundCall({ from: '15551230102', did: did('group600'), talkSeconds: 4 });
      await Promise.all([phones.p101.waitFor('CALL_INCOMING', 10_000), phones.p102.waitFor('CALL_INCOMING', 10_000)]);
      await sleep(2000);
      await phones.p102.answer();
      await phones.p102.waitFor('CALL_ESTABLISHED', 10_000);
      await call.originateResponse;
    });
  },
  // DID ...0400 -> ext-queues,400 (ringall Local/101@from-queue/n, Local/102@from-queue/n); 102 only rings,
  // 101 answers at once; 4 s.
  'inbound-queue-answered': async () => {
    await manual([phones.p102], async () => {
      const call = await inboundCall({ from: '15551230103', did: did('queue400'), talkSeconds: 4 });
      await phones.p101.waitFor('CALL_ESTABLISHED', 15_000);
      await call.originateResponse;
    });
  },
  // DID ...0103 -> from-did-direct -> ext-findmefollow,103: 103 rings 5 s alone (not answering), then 103
  // and its mobile 89160000103 (Local/89160000103@from-internal/n -> outrt-1 -> the trunk); the mobile
  // answers after ~1 s; the client talks 6 s.
  'inbound-followme-mobile-answers': async () => {
    await manual([phones.p103], async () => {
      const call = await inboundCall({ from: '15551230104', did: did('followme103'), talkSeconds: 6, timeoutSeconds: 40 });
      await phones.p103.waitFor('CALL_INCOMING', 10_000);
      await call.originateResponse;
      await waitUntil(async () => !(await coreShowChannels()).some((c) => c.linkedid === call.linkedid), 30_000, 'the call to end');
    });
  },
  // 101 dials 89161230105: from-internal -> outrt-1 -> macro-dialout-trunk -> custom trunk
  // Local/89161230105@sandbox-pstn (answers after ~1 s); 5 s; 101 hangs up.
  outbound: async () => {
    await phones.p101.dial('89161230105');
    await phones.p101.waitFor('CALL_ESTABLISHED', 10_000);
    await sleep(5000);
    await phones.p101.hangup();
    await phones.p101.waitFor('CALL_CLOSED', 10_000);
  },
  // 101 dials 102: from-internal -> ext-local,102; 4 s; 101 hangs up.
  internal: async () => {
    await phones.p101.dial('102');
    await phones.p101.waitFor('CALL_ESTABLISHED', 10_000);
    await sleep(4000);
    await phones.p101.hangup();
    await phones.p101.waitFor('CALL_CLOSED', 10_000);
  },
  // AMI Originate Channel=PJSIP/101 Context=from-internal Exten=89161230107 Priority=1 (CallerID the
  // client's number and Variable REALCALLERIDNUM=101, as the service sends them: FreePBX knows the user
  // and records); 101 answers, then the route dials out; 5 s; 101 hangs up.
  click2call: async () => {
    const call = await clickToCall({ ext: '101', number: '89161230107' });
    await phones.p101.waitFor('CALL_ESTABLISHED', 10_000);
    await call.originateResponse;
    await sleep(5000);
    await phones.p101.hangup();
    await phones.p101.waitFor('CALL_CLOSED', 10_000);
  },
  // As click2call, with the extension's own caller ID on the Originate (CallerID "Manager 101" <101>):
  // FreePBX then knows the user (AMPUSER 101), applies its outbound recording policy and names the file
  // out-<number>-101-...; with the client's number as caller ID and no REALCALLERIDNUM it knows no user and
  // records nothing.
  'click2call-ext-callerid': async () => {
    const call = await originateAs({ ext: '101', number: '89161230112', callerid: '"Manager 101" <101>' });
    await phones.p101.waitFor('CALL_ESTABLISHED', 10_000);
    await call;
    await sleep(5000);
    await phones.p101.hangup();
    await phones.p101.waitFor('CALL_CLOSED', 10_000);
  },
  // Inbound to 101; after 3 s 101 blind-transfers (SIP REFER, resolved in TRANSFER_CONTEXT
  // from-internal-xfer) to 102; 102 talks 4 s and hangs up.
  'blind-transfer': async () => {
    const call = await inboundCall({ from: '15551230108', did: did('ext101') });
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
  // As blind-transfer, by AMI BlindTransfer of 101's channel to 102@from-internal-xfer.
  'blind-transfer-ami': async () => {
    const call = await inboundCall({ from: '15551230109', did: did('ext101') });
    const leg = await legOf(call.linkedid, '101');
    await sleep(3000);
    await blindTransferAmi(leg.channel, '102', 'from-internal-xfer');
    await phones.p102.waitFor('CALL_ESTABLISHED', 10_000);
    await sleep(4000);
    await phones.p102.hangup();
    await phones.p102.waitFor('CALL_CLOSED', 10_000);
    await call.originateResponse;
  },
  // Inbound to 101; after 3 s AMI Atxfer of 101's channel to 102@from-internal-xfer; 102 answers, 3 s
  // consult, 101 hangs up (completes the transfer); client and 102 talk 4 s, 102 hangs up.
  'attended-transfer': async () => {
    const call = await inboundCall({ from: '15551230110', did: did('ext101') });
    const leg = await legOf(call.linkedid, '101');
    await sleep(3000);
    await attendedTransfer(leg.channel, '102', 'from-internal-xfer');
    await phones.p102.waitFor('CALL_ESTABLISHED', 10_000);
    await sleep(3000);
    await completeAttendedTransfer(leg.channel);
    await sleep(4000);
    await phones.p102.hangup();
    await phones.p102.waitFor('CALL_CLOSED', 10_000);
  },
  // DID ...0198 -> 198 rings the ring timer (CTI_SANDBOX_RING_TIMEOUT), nobody answers: the extension's
  // "no answer" destination hangs up.
  'inbound-no-answer': async () => {
    const call = await inboundCall({ from: '15551230113', did: did('ext198'), timeoutSeconds: 30 });
    await call.originateResponse;
  },
  // DID ...0199 -> 199 answers 486: macro-exten-vm s-BUSY (Busy(20)).
  'inbound-busy': async () => {
    const call = await inboundCall({ from: '15551230114', did: did('ext199') });
    await call.originateResponse;
  },
  // 101 dials 89990000486 (sandbox-pstn's busy line): macro-dialout-trunk s-BUSY.
  'outbound-busy': async () => {
    await phones.p101.dial('89990000486');
    await phones.p101.waitFor('CALL_CLOSED', 30_000);
  },
  // DID ...0700 -> custom destination dest-1: Gosub(cti-route,s,1), with no service attached Stasis fails at
  // once (CtiRoute fallback) and it returns -> ring group 600 (101 and 102 answer at once); route recording Force; 4 s.
  'inbound-custom-destination': async () => {
    const call = await inboundCall({ from: '15551230111', did: did('custom700'), talkSeconds: 4 });
    await call.originateResponse;
  },
};

/** AMI Originate PJSIP/<ext> -> from-internal,<number>,1 with a chosen caller ID; resolves on OriginateResponse. */
async function originateAs(opts: { ext: string; number: string; callerid: string }): Promise<void> {
  const actionid = `fpbx-${Date.now()}`;
  const done = waitForAmiEvent((e) => e['event'] === 'OriginateResponse' && e['actionid'] === actionid, 40_000, 'OriginateResponse');
  await amiAction({ action: 'Originate', channel: `PJSIP/${opts.ext}`, context: 'from-internal', exten: opts.number, priority: 1, callerid: opts.callerid, async: 'true', timeout: 30_000, actionid });
  await done;
}

/** Recordings under the monitor dir modified since t0 (FreePBX's dated folders YYYY/MM/DD). */
function recordingsSince(t0: number): string[] {
  const root = env.CTI_RECORDINGS_DIR;
  const out: string[] = [];
  const walk = (d: string): void => {
    if (!existsSync(d)) return;
    for (const f of readdirSync(d)) {
      const p = path.join(d, f);
      const st = statSync(p);
      if (st.isDirectory()) walk(p); else if (st.mtimeMs >= t0 - 1000) out.push(p);
    }
  };
  walk(root);
  return out.sort();
}

capture({
  out: OUT, tag: 'freepbx', shapes, phones: Object.values(phones),
  tails: [{ file: MASTER, suffix: 'master.csv' }],
  after: (name, { t0 }) => {
    const recs = recordingsSince(t0).map((f) => `${path.relative(env.CTI_RECORDINGS_DIR, f)} ${soxDuration(f)}`);
    writeFileSync(path.join(OUT, `${name}.recordings.txt`), recs.map((l) => `${l}\n`).join(''));
    for (const l of recs) console.log(`  recording ${l} s`);
    if (!recs.length) console.log('  recording: none');
  },
});
