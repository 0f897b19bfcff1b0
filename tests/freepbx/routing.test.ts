// The service's routing on a FreePBX-shaped PBX (CTI_PBX_PROFILE=freepbx bash sandbox/pbx.sh up): the PBX's
// own dialplan routes every call; only the inbound route of DID 8005550700 points at the custom destination
// dest-1, which Gosubs cti-route (dialplan/freepbx/extensions_custom_cti.conf) and, on Return, rings
// FreePBX's ring group 600 (101 & 102). Other DIDs (8005550101 -> ext 101) are only observed.
// Who rang and who answered is read from the PBX's side: DialBegin/Newstate/Newexten as the sandbox AMI
// user sees them (timestampevents=yes: Asterisk's clock) and Asterisk's CDR (cdr_custom, CTI_CDR_FILE).
// The service's stored call (extension, routedBy, durations) is then checked through its API.
//   entering routing = Newexten of Stasis in cti-route-wait;  Asterisk's bound = Newexten cti-route-wait,T;
//   reaching a phone = DialBegin to PJSIP/<ext>;  ringing = that channel's first Newstate Ringing or Up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  asterisk, inboundCall, loadSandboxEnv, onAmiEvent, Phone, sandboxAmi, waitForAmiEvent, waitForCdr, waitUntil, type AmiMessage, type CdrRow,
} from '../support/sandbox.js';
import { addClient, api, loggedCall, newDbFile, seedUser, startService, type ServiceProcess } from '../support/service.js';

// defaultTarget 103 is no phone of ring group 600: should the dialplan ever dial the service's default
// target instead of returning to FreePBX's destination, 103 rings and the tests below fail.
const RULES = { managerRingSeconds: 5, targetRingSeconds: 10, currency: 'RUB', tiers: [], defaultTarget: { extension: '103' }, deadlineMs: 300 };
const ROUTED_DID = '8005550700'; // inbound route -> custom destination "CTI routing" -> (Return) ring group 600
const OBSERVED_DID = '8005550101'; // inbound route -> extension 101, no custom destination
const GROUP = ['101', '102'];
const BOUND_MS = 2000; // CTI_ROUTE_WAIT 1.5 s + the Dial and the phone's 180 (routing-never-waits.test.ts)
const RUN = String(Math.floor(Math.random() * 900) + 100);
const num = (n: number) => `+7916${RUN}${String(n).padStart(4, '0')}`;

interface Timeline {
  routing?: number;
  boundTaken?: number;
  stasisStatus?: string;
  dials: { ext: string; at: number }[];
  phone?: { ext: string; state: string; at: number };
}
/** Asterisk's times per linkedid (the whole call), ms since the epoch. */
const times = new Map<string, Timeline>();
const destOf = new Map<string, { linkedid: string; ext: string }>(); // uniqueid of a phone's channel
let off: (() => void) | null = null;
let dbFile: string;
let admin: string;
let svc: ServiceProcess | null = null;

const at = (e: AmiMessage) => Number(e['timestamp']) * 1000;
const tl = (linkedid: string) => times.get(linkedid) ?? times.set(linkedid, { dials: [] }).get(linkedid)!;
const isStasis = (e: AmiMessage) => e['event'] === 'Newexten' && e['application'] === 'Stasis' && e['context'] === 'cti-route-wait';

beforeAll(async () => {
  if (loadSandboxEnv()['CTI_PBX_PROFILE'] !== 'freepbx') throw new Error('the sandbox runs the default profile: CTI_PBX_PROFILE=freepbx bash sandbox/pbx.sh up');
  await sandboxAmi();
  off = onAmiEvent((e) => {
    const linkedid = String(e['linkedid'] ?? '');
    if (isStasis(e)) tl(linkedid).routing ??= at(e);
    if (e['event'] === 'Newexten' && e['context'] === 'cti-route-wait' && e['extension'] === 'T') tl(linkedid).boundTaken ??= at(e);
    // asterisk-manager turns the VarSet's Variable header into {NAME: ''}; Stasis() clears it first, then sets it.
    const v = e['variable'];
    if (e['event'] === 'VarSet' && typeof v === 'object' && !Array.isArray(v) && 'STASISSTATUS' in v && e['value']) tl(linkedid).stasisStatus = String(e['value']);
    if (e['event'] === 'DialBegin' && String(e['destchannel'] ?? '').startsWith('PJSIP/')) {
      const ext = String(e['destchannel']).slice(6, 9);
      tl(linkedid).dials.push({ ext, at: at(e) });
      destOf.set(String(e['destuniqueid']), { linkedid, ext });
    }
    const dest = destOf.get(String(e['uniqueid'] ?? ''));
    if (e['event'] === 'Newstate' && dest && ['Ringing', 'Up'].includes(String(e['channelstatedesc']))) {
      tl(dest.linkedid).phone ??= { ext: dest.ext, state: String(e['channelstatedesc']), at: at(e) };
    }
  });
  dbFile = newDbFile();
  admin = await seedUser(dbFile, 'root', 'admin');
  for (const [name, ext] of [['anna', '101'], ['boris', '102'], ['olga', '103']] as const) await seedUser(dbFile, name, 'manager', ext);
  svc = await startService({ dbFile, rules: RULES });
});

afterAll(async () => {
  off?.();
  if (svc && svc.proc.exitCode === null) svc.proc.kill('SIGCONT');
  await svc?.stop();
});

const client = (name: string, owner: string | null, phone: string) => addClient(svc!, admin, { name, owner, phone });

/** The Dial rows of the call to phones, in order: which phone rang, and how each ended (Asterisk's CDR). */
function dialRows(rows: CdrRow[]): { ext: string; disposition: string; row: CdrRow }[] {
  return rows
    .filter((r) => r.lastapp === 'Dial' && r.dstchannel.startsWith('PJSIP/'))
    .sort((a, b) => a.start - b.start)
    .map((r) => ({ ext: r.dstchannel.slice(6, 9), disposition: r.disposition, row: r }));
}

async function call(from: string, did = ROUTED_DID) {
  const h = await inboundCall({ from, did, talkSeconds: 2, timeoutSeconds: 40 });
  const rows = await waitForCdr(h.linkedid, 45_000);
  return { linkedid: h.linkedid, rows, rang: dialRows(rows) };
}

/**
 * The service's record of the call: exactly one, ended, answered by `ext`, its talk time as Asterisk's CDR
 * row of the Dial that phone answered says (billsec) within 1 s, and, when that Dial was the only one, its
 * ring time too (duration - billsec).
 */
async function expectLogged(c: Awaited<ReturnType<typeof call>>, ext: string, service = svc!): Promise<any> {
  const logged = await loggedCall(service, admin, c.linkedid, 30_000);
  const all = await api(service, `/api/v1/calls?linkedId=${encodeURIComponent(c.linkedid)}`, admin);
  expect(all.body.items, 'one record of the call').toHaveLength(1);
  expect(logged).toMatchObject({ direction: 'inbound', disposition: 'answered', extension: ext });
  const answered = c.rang.filter((r) => r.disposition === 'ANSWERED');
  expect(answered.map((r) => r.ext), 'the phone that answered, per the CDR').toEqual([ext]);
  const row = answered[0]!.row;
  expect(Math.abs(logged.talkSeconds - row.billsec), `talkSeconds ${logged.talkSeconds} vs billsec ${row.billsec}`).toBeLessThanOrEqual(1);
  if (c.rang.length === 1) {
    const ring = row.duration - row.billsec;
    expect(Math.abs(logged.ringSeconds - ring), `ringSeconds ${logged.ringSeconds} vs CDR ${ring}`).toBeLessThanOrEqual(1);
  }
  return logged;
}

/** ms from entering Stasis to the first phone's DialBegin and to its ringing (Asterisk's clock). */
function measured(linkedid: string, opts: { bound: boolean }): { toDial: number; toRinging: number; ext: string; state: string } {
  const t = times.get(linkedid);
  expect(t?.routing, 'the call entered the Stasis application').toBeDefined();
  if (opts.bound) expect(t?.boundTaken, "Asterisk's bound (cti-route-wait,T) ended the wait").toBeDefined();
  else expect(t?.boundTaken, 'no wait for the bound').toBeUndefined();
  expect(t!.dials.map((d) => d.ext).sort(), "FreePBX's ring group 600 dialled").toEqual(GROUP);
  expect(t?.phone, 'a phone rang or answered').toBeDefined();
  return { toDial: Math.round(t!.dials[0]!.at - t!.routing!), toRinging: Math.round(t!.phone!.at - t!.routing!), ext: t!.phone!.ext, state: t!.phone!.state };
}

describe('routing through the FreePBX custom destination', () => {
  it("a client with an owner rings the owner's phone first; an unknown caller rings FreePBX's ring group; a returning one its last manager", async () => {
    await client('Owned Ltd', 'boris', num(1));
    const owned = await call(num(1));
    expect(owned.rang.map((r) => [r.ext, r.disposition])).toEqual([['102', 'ANSWERED']]);
    expect(times.get(owned.linkedid)!.dials[0]!.ext, "102's DialBegin first on Asterisk's clock").toBe('102');
    expect((await expectLogged(owned, '102')).routedBy).toBe('owner');

    // Unknown: the service has no opinion, the call returns to FreePBX, which rings its ring group 600.
    const unknown = await call(num(2));
    expect(unknown.rang.map((r) => r.ext).sort()).toEqual(GROUP);
    expect(times.get(unknown.linkedid)!.dials.map((d) => d.ext).sort()).toEqual(GROUP);
    const answeredBy = unknown.rang.find((r) => r.disposition === 'ANSWERED')?.ext;
    expect(GROUP).toContain(answeredBy);
    expect((await expectLogged(unknown, answeredBy!)).routedBy).toBe('default');

    // The number becomes a client (no owner): the manager who answered it last rings alone, first.
    await client('Returning Co', null, num(2));
    const again = await call(num(2));
    expect(again.rang.map((r) => [r.ext, r.disposition])).toEqual([[answeredBy, 'ANSWERED']]);
    expect((await expectLogged(again, answeredBy!)).routedBy).toBe('prior_manager');
  });

  it("the owner does not answer: after managerRingSeconds the call returns to FreePBX's ring group, logged once", async () => {
    await client('Sleepy Owner Ltd', 'boris', num(3));
    const p102 = await new Phone('102').open();
    await p102.answerMode('manual');
    try {
      const c = await call(num(3));
      const t = times.get(c.linkedid)!;
      // 102 alone first, then 600 rings both (102 again, still not answering, and 101, who answers).
      expect(t.dials[0]!.ext).toBe('102');
      expect(t.dials.slice(1).map((d) => d.ext).sort()).toEqual(GROUP);
      const waited = (t.dials[1]!.at - t.dials[0]!.at) / 1000;
      expect(waited, "seconds 102 rang alone").toBeGreaterThanOrEqual(RULES.managerRingSeconds - 0.5);
      expect(waited).toBeLessThan(RULES.managerRingSeconds + 1.5);
      expect(c.rang[0]).toMatchObject({ ext: '102', disposition: 'NO ANSWER' });
      expect(c.rang.slice(1).map((r) => `${r.ext} ${r.disposition}`).sort()).toEqual(['101 ANSWERED', '102 NO ANSWER']);
      // The route's own destination took over: the dialplan's last word is the "then" reason.
      expect((await expectLogged(c, '101')).routedBy).toBe('default');
    } finally {
      await p102.answerMode('auto');
      p102.close();
    }
  });

  it('observe-only: a DID without the custom destination never enters Stasis, rings 101 and is logged', async () => {
    const c = await call(num(4), OBSERVED_DID);
    expect(times.get(c.linkedid)?.routing, 'no Newexten of Stasis for this call').toBeUndefined();
    expect(c.rang.map((r) => [r.ext, r.disposition])).toEqual([['101', 'ANSWERED']]);
    expect((await expectLogged(c, '101')).routedBy).toBeNull();
  });
});

describe('the PBX never waits for the service (FreePBX custom destination)', () => {
  it("the service frozen with SIGSTOP: the call rings FreePBX's ring group within 2 s of entering Stasis", async () => {
    await client('Frozen Owner Ltd', 'boris', num(5)); // would ring 102 alone, were the service awake
    const frozen = svc!;
    frozen.proc.kill('SIGSTOP');
    let woken = false;
    try {
      const c = await call(num(5));
      const m = measured(c.linkedid, { bound: true });
      console.log(`SIGSTOP: ring group dialled ${m.toDial} ms, ${m.ext} ${m.state} ${m.toRinging} ms after entering Stasis`);
      expect(m.toRinging).toBeLessThan(BOUND_MS);
      expect(m.toDial).toBeGreaterThanOrEqual(1400); // the whole wait was Asterisk's bound, not an answer
      expect(c.rang.filter((r) => r.disposition === 'ANSWERED')).toHaveLength(1);
      expect(frozen.proc.exitCode, 'the service was frozen, not dead').toBeNull();
      frozen.proc.kill('SIGCONT');
      woken = true;
      await waitUntil(async () => (await fetch(`${frozen.url}/healthz`).catch(() => null))?.status === 200, 15_000, 'the service healthy');
      const logged = await expectLogged(c, c.rang.find((r) => r.disposition === 'ANSWERED')!.ext, frozen);
      expect(logged.routedBy).toBe('fallback');
      // Woken, it answered the call it had missed; the channel was gone, so it deleted its answer again:
      // no CTI_ROUTE_<uniqueid> global is left behind on the PBX.
      await waitUntil(() => !asterisk('core show globals').includes('CTI_ROUTE_'), 10_000, 'no CTI_ROUTE_ global left');
    } finally {
      if (!woken) frozen.proc.kill('SIGCONT');
    }
  });

  it('the service killed with -9 while deciding: the call rings the ring group within 2 s', async () => {
    await svc?.stop();
    // CTI_FAULT_ROUTING_DELAY_MS delays every lookup (src/routing/router.ts); with the longest deadline the
    // rules allow (1 s) the service has not answered when it is killed below.
    svc = await startService({ dbFile, rules: { ...RULES, deadlineMs: 1000 }, env: { CTI_FAULT_ROUTING_DELAY_MS: '60000' } });
    const entered = waitForAmiEvent(isStasis, 15_000, 'the call entering Stasis');
    const h = await inboundCall({ from: num(5), did: ROUTED_DID, talkSeconds: 2, timeoutSeconds: 40 });
    const e = await entered;
    expect(e['linkedid']).toBe(h.linkedid);
    await svc.kill9();
    const killedAfter = Math.round(Date.now() - at(e)); // the same clock as Asterisk's: one machine
    expect(killedAfter, 'killed before its own deadline could answer').toBeLessThan(1000);
    const rows = await waitForCdr(h.linkedid, 45_000);
    const m = measured(h.linkedid, { bound: true });
    console.log(`kill -9 ${killedAfter} ms after entering Stasis: ring group dialled ${m.toDial} ms, ${m.ext} ${m.state} ${m.toRinging} ms after entering Stasis`);
    expect(m.toRinging).toBeLessThan(BOUND_MS);
    // Back up, the service logs the call from Asterisk's records, with the reason the dialplan wrote.
    svc = await startService({ dbFile, rules: RULES });
    const c = { linkedid: h.linkedid, rows, rang: dialRows(rows) };
    expect((await expectLogged(c, c.rang.find((r) => r.disposition === 'ANSWERED')!.ext)).routedBy).toBe('fallback');
  });

  it('the service not running: Stasis fails at once and the ring group rings straight away', async () => {
    await svc?.stop();
    svc = null;
    const c = await call(num(5));
    expect(times.get(c.linkedid)!.stasisStatus).toBe('FAILED');
    const m = measured(c.linkedid, { bound: false });
    console.log(`service down: ring group dialled ${m.toDial} ms, ${m.ext} ${m.state} ${m.toRinging} ms after entering Stasis`);
    expect(m.toRinging).toBeLessThan(500);
    svc = await startService({ dbFile, rules: RULES });
    expect((await expectLogged(c, c.rang.find((r) => r.disposition === 'ANSWERED')!.ext)).routedBy).toBe('fallback');
  });
});
