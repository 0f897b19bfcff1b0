// The PBX never waits for the service: a call that enters routing while the service is frozen (SIGSTOP,
// its ARI websocket still open) or was killed with -9 while deciding reaches a phone within 2 s, enforced
// by Asterisk itself (dialplan cti-route-ask: TIMEOUT(absolute) around Stasis, CTI_ROUTE_WAIT).
// Every time is Asterisk's own, from the sandbox AMI user's events (read=all, timestampevents=yes):
//   entering routing = Newexten of Stasis;  the Asterisk bound taken = Newexten of cti-route-ask,T;
//   reaching a phone = DialBegin to PJSIP/<ext>, and the phone ringing = that channel's first Newstate
//   Ringing (the phone's 180) or Up (it answered at once).
// Margin: the bound is CTI_ROUTE_WAIT = 1.5 s; Stasis notices the timeout in its own channel wait (to the
// millisecond: ast_waitfor honours the channel's hangup time), then the dialplan starts MixMonitor and the
// Dial, and the phone answers 180 over loopback: tens of ms. 2 s leaves about 0.4 s for a loaded machine.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inboundCall, onAmiEvent, sandboxAmi, waitForAmiEvent, waitForCdr, waitUntil, type AmiMessage } from '../support/sandbox.js';
import { loggedCall, newDbFile, seedUser, startService, type ServiceProcess } from '../support/service.js';

const RULES = { managerRingSeconds: 5, targetRingSeconds: 10, currency: 'RUB', tiers: [], defaultTarget: { extension: '101' }, deadlineMs: 300 };
const BOUND_MS = 2000;
const RUN = String(Math.floor(Math.random() * 900) + 100);
const num = (n: number) => `+7916${RUN}${String(n).padStart(4, '0')}`;
/** Sandbox DIDs whose own target is the phone named by their last three digits ([cti-did-targets]). */
const didFor = (ext: string) => `7495000${ext.padStart(4, '0')}`;

interface Timeline { routing?: number; boundTaken?: number; dial?: { ext: string; at: number }; phone?: { state: string; at: number } }
/** Asterisk's times per linkedid (the whole call), in ms since the epoch. */
const times = new Map<string, Timeline>();
const destOf = new Map<string, string>(); // uniqueid of a phone's channel -> linkedid of its call
let off: (() => void) | null = null;
let dbFile: string;
let admin: string;
let svc: ServiceProcess | null = null;

const at = (e: AmiMessage) => Number(e['timestamp']) * 1000;
const tl = (linkedid: string) => times.get(linkedid) ?? times.set(linkedid, {}).get(linkedid)!;

beforeAll(async () => {
  await sandboxAmi();
  off = onAmiEvent((e) => {
    const linkedid = String(e['linkedid'] ?? '');
    if (e['event'] === 'Newexten' && e['application'] === 'Stasis' && e['context'] === 'cti-route-ask') tl(linkedid).routing ??= at(e);
    if (e['event'] === 'Newexten' && e['context'] === 'cti-route-ask' && e['extension'] === 'T') tl(linkedid).boundTaken ??= at(e);
    if (e['event'] === 'DialBegin' && String(e['destchannel'] ?? '').startsWith('PJSIP/')) {
      tl(linkedid).dial ??= { ext: String(e['destchannel']).slice(6, 9), at: at(e) };
      destOf.set(String(e['destuniqueid']), linkedid);
    }
    if (e['event'] === 'Newstate' && destOf.has(String(e['uniqueid'])) && ['Ringing', 'Up'].includes(String(e['channelstatedesc']))) {
      tl(destOf.get(String(e['uniqueid']))!).phone ??= { state: String(e['channelstatedesc']), at: at(e) };
    }
  });
  dbFile = newDbFile();
  admin = await seedUser(dbFile, 'root', 'admin');
  for (const [name, ext] of [['anna', '101'], ['boris', '102'], ['olga', '103']] as const) await seedUser(dbFile, name, 'manager', ext);
});

afterAll(async () => {
  off?.();
  if (svc && svc.proc.exitCode === null) svc.proc.kill('SIGCONT');
  await svc?.stop();
});

/** ms from entering routing to the phone's ringing, after checking that Asterisk's own bound did it. */
function measured(linkedid: string, ext: string): { toDial: number; toRinging: number } {
  const t = times.get(linkedid);
  expect(t?.routing, 'the call entered the Stasis application').toBeDefined();
  expect(t?.boundTaken, "Asterisk's bound (cti-route-ask,T) ended the wait").toBeDefined();
  expect(t?.dial?.ext, 'the phone dialled').toBe(ext);
  expect(t?.phone, 'the phone rang or answered').toBeDefined();
  return { toDial: Math.round(t!.dial!.at - t!.routing!), toRinging: Math.round(t!.phone!.at - t!.routing!) };
}

describe('the PBX never waits for a hung service', () => {
  it('the service frozen with SIGSTOP: every call rings its phone within 2 s, and the service, woken, logs them', async () => {
    svc = await startService({ dbFile, rules: RULES });
    const frozen = svc;
    frozen.proc.kill('SIGSTOP');
    let woken = false;
    try {
      // Three calls, one after another while the service stays frozen; each DID rings its own phone.
      const calls: { linkedid: string; ext: string }[] = [];
      for (const [i, ext] of ['101', '102', '103'].entries()) {
        const h = await inboundCall({ from: num(i + 1), did: didFor(ext), talkSeconds: 1, timeoutSeconds: 30 });
        calls.push({ linkedid: h.linkedid, ext });
        await new Promise((r) => setTimeout(r, 300));
      }
      for (const c of calls) {
        const rows = await waitForCdr(c.linkedid, 30_000);
        const dial = rows.find((r) => r.lastapp === 'Dial' && r.dstchannel.startsWith('PJSIP/'));
        expect(dial?.dstchannel.slice(6, 9)).toBe(c.ext);
        expect(dial?.disposition).toBe('ANSWERED');
        // The jump to T happens inside a Gosub, so Asterisk's CDR keeps the DID as the dialled number.
        expect(rows.every((r) => r.dst !== 'T'), 'no CDR row names T as its destination').toBe(true);
        const m = measured(c.linkedid, c.ext);
        console.log(`SIGSTOP: ${c.ext} dialled ${m.toDial} ms, ${times.get(c.linkedid)!.phone!.state} ${m.toRinging} ms after entering routing`);
        expect(m.toRinging).toBeLessThan(BOUND_MS);
      }
      expect(frozen.proc.exitCode, 'the service was frozen, not dead').toBeNull();
      frozen.proc.kill('SIGCONT');
      woken = true;
      // Woken, it is healthy again and its call log has the calls, routed by the fallback.
      await waitUntil(async () => (await fetch(`${frozen.url}/healthz`).catch(() => null))?.status === 200, 15_000, 'the service healthy');
      for (const c of calls) {
        const logged = await loggedCall(frozen, admin, c.linkedid, 30_000);
        expect(logged.direction).toBe('inbound');
        expect(logged.extension).toBe(c.ext);
        expect(logged.disposition).toBe('answered');
        expect(logged.routedBy).toBe('fallback');
      }
    } finally {
      if (!woken) frozen.proc.kill('SIGCONT');
    }
  });

  it('the service killed with -9 while a call waits for its decision: the call still rings within 2 s', async () => {
    await svc?.stop();
    // An honest seam: CTI_FAULT_ROUTING_DELAY_MS delays every lookup (src/routing/router.ts); with the
    // longest deadline the rules allow (1 s) the service has not answered when it is killed below.
    svc = await startService({ dbFile, rules: { ...RULES, deadlineMs: 1000 }, env: { CTI_FAULT_ROUTING_DELAY_MS: '60000' } });
    const entered = waitForAmiEvent((e) => e['event'] === 'Newexten' && e['application'] === 'Stasis' && e['context'] === 'cti-route-ask', 10_000, 'the call entering routing');
    const h = await inboundCall({ from: num(9), did: didFor('102'), talkSeconds: 1, timeoutSeconds: 30 });
    const e = await entered;
    expect(e['linkedid']).toBe(h.linkedid);
    await svc.kill9();
    const killedAfter = Math.round(Date.now() - at(e)); // the same clock as Asterisk's: one machine
    expect(killedAfter, 'killed before its own deadline could answer').toBeLessThan(1000);
    const rows = await waitForCdr(h.linkedid, 30_000);
    const dial = rows.find((r) => r.lastapp === 'Dial' && r.dstchannel.startsWith('PJSIP/'));
    expect(dial?.disposition).toBe('ANSWERED');
    const m = measured(h.linkedid, '102');
    console.log(`kill -9 ${killedAfter} ms after entering routing: 102 dialled ${m.toDial} ms, rang ${m.toRinging} ms after entering routing`);
    expect(m.toRinging).toBeLessThan(BOUND_MS);
    // Back up, the service logs the call from Asterisk's CDR, with the reason the dialplan wrote there.
    svc = await startService({ dbFile, rules: RULES });
    const logged = await loggedCall(svc, admin, h.linkedid, 30_000);
    expect(logged.extension).toBe('102');
    expect(logged.routedBy).toBe('fallback');
  });
});
