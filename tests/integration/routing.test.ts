// Routing on the sandbox Asterisk. Which phone rang and which answered is read from the PBX's side
// (Asterisk's CDR Dial rows and its DialBegin events as the sandbox AMI user sees them), never from our
// own log; the routedBy the service stored is then checked through the API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inboundCall, onAmiEvent, sandboxAmi, waitForCdr, type AmiMessage, type CdrRow } from '../support/sandbox.js';
import { addClient, api, loggedCall, newDbFile, seedUser, startService, type ServiceProcess } from '../support/service.js';

const RULES = {
  managerRingSeconds: 5,
  targetRingSeconds: 10,
  currency: 'RUB',
  tiers: [
    { name: 'retail', minTurnover: 0, target: { extension: '103' } },
    { name: 'wholesale', minTurnover: 100_000, target: { extension: '102' } },
  ],
  defaultTarget: { extension: '101' },
  deadlineMs: 300,
};
const NOBODY_DID = '74950000000'; // a DID without its own target: the routing decides alone
// Numbers of this run only: the sandbox's CDR keeps earlier runs' calls, which a fresh database imports.
const RUN = String(Math.floor(Math.random() * 900) + 100);
const num = (n: number, style: 'e164' | 'national' | 'spaced' | 'dashed' = 'e164') => {
  const sub = `${RUN}${String(n).padStart(4, '0')}`; // 7 digits
  switch (style) {
    case 'national': return `8 (916) ${sub.slice(0, 3)}-${sub.slice(3, 5)}-${sub.slice(5)}`;
    case 'spaced': return `+7 916 ${sub.slice(0, 3)} ${sub.slice(3, 5)} ${sub.slice(5)}`;
    case 'dashed': return `+7-916-${sub.slice(0, 3)}-${sub.slice(3, 5)}-${sub.slice(5)}`;
    default: return `+7916${sub}`;
  }
};

let dbFile: string;
let svc: ServiceProcess | null = null;
let admin: string;
const users: Record<string, string> = {};

/** DialBegin events (sandbox AMI) per linkedid, with Asterisk's timestamps. */
const dials = new Map<string, { dest: string; at: number }[]>();
const starts = new Map<string, number>();
let off: (() => void) | null = null;

beforeAll(async () => {
  await sandboxAmi();
  off = onAmiEvent((e: AmiMessage) => {
    const at = Number(e.timestamp) * 1000;
    if (e.event === 'Newchannel' && typeof e.linkedid === 'string' && !starts.has(e.linkedid)) starts.set(e.linkedid, at);
    // Phones only: an Originate of a Local channel has a DialBegin of its own.
    if (e.event === 'DialBegin' && typeof e.destchannel === 'string' && e.destchannel.startsWith('PJSIP/')) {
      const l = String(e.linkedid || e.destlinkedid);
      dials.set(l, [...(dials.get(l) ?? []), { dest: e.destchannel, at }]);
    }
  });
  dbFile = newDbFile();
  admin = await seedUser(dbFile, 'root', 'admin');
  for (const [name, ext] of [['anna', '101'], ['boris', '102'], ['olga', '103'], ['sleepy', '198'], ['busy', '199'], ['ghost', '104']] as const) {
    users[name] = await seedUser(dbFile, name, 'manager', ext);
  }
  svc = await startService({ dbFile, rules: RULES });
});

afterAll(async () => {
  off?.();
  await svc?.stop();
});

const client = (name: string, turnover: number | null, owner: string | null, phone: string) => addClient(svc!, admin, { name, turnover, owner, phone });

/** The Dial rows of the call, in order: which phone rang, and how each ended (Asterisk's CDR). */
function dialRows(rows: CdrRow[]): { ext: string; disposition: string }[] {
  return rows
    .filter((r) => r.lastapp === 'Dial' && r.dstchannel.startsWith('PJSIP/'))
    .sort((a, b) => a.start - b.start)
    .map((r) => ({ ext: r.dstchannel.slice(6, 9), disposition: r.disposition }));
}

async function call(from: string, opts: { did?: string; talkSeconds?: number } = {}) {
  const h = await inboundCall({ from, did: opts.did ?? NOBODY_DID, talkSeconds: opts.talkSeconds ?? 2, timeoutSeconds: 40 });
  const rows = await waitForCdr(h.linkedid, 40_000);
  return { linkedid: h.linkedid, rows, rang: dialRows(rows) };
}

async function routedBy(linkedid: string): Promise<string | null> {
  return (await loggedCall(svc!, admin, linkedid)).routedBy;
}

describe('routing on the sandbox Asterisk', () => {
  it('an unknown number goes to the default target', async () => {
    const c = await call(num(1));
    expect(c.rang).toEqual([{ ext: '101', disposition: 'ANSWERED' }]);
    expect(await routedBy(c.linkedid)).toBe('default');
  });

  it('a small-turnover client goes to the retail desk, a large one to the wholesale specialist', async () => {
    await client('Small Shop', 2_000, null, num(2, 'national'));
    await client('Big Distributor', 200_000, null, num(3, 'spaced'));
    const small = await call(num(2));
    expect(small.rang).toEqual([{ ext: '103', disposition: 'ANSWERED' }]);
    expect(await routedBy(small.linkedid)).toBe('turnover:retail');
    const big = await call(`8916${num(3).slice(5)}`);
    expect(big.rang).toEqual([{ ext: '102', disposition: 'ANSWERED' }]);
    expect(await routedBy(big.linkedid)).toBe('turnover:wholesale');
  });

  it("a client with an owner rings the owner's phone", async () => {
    await client('Owned Ltd', 5_000, 'boris', num(4));
    const c = await call(num(4));
    expect(c.rang).toEqual([{ ext: '102', disposition: 'ANSWERED' }]);
    expect(await routedBy(c.linkedid)).toBe('owner');
  });

  it('a returning client rings the manager who last talked with them (calls before the contact existed count)', async () => {
    // First call while the number is unknown: the default target (101) answers.
    const first = await call(num(5));
    expect(first.rang).toEqual([{ ext: '101', disposition: 'ANSWERED' }]);
    // The contact is created afterwards (wholesale turnover, no owner): the earlier call is matched to it.
    const clientId = await client('Returning Co', 300_000, null, num(5, 'dashed'));
    const earlier = await loggedCall(svc!, admin, first.linkedid);
    expect(earlier.clientId).toBe(clientId);
    const again = await call(num(5));
    expect(again.rang).toEqual([{ ext: '101', disposition: 'ANSWERED' }]);
    expect(await routedBy(again.linkedid)).toBe('prior_manager');
  });

  it("the manager's phone busy: the call moves on to the tier target at once", async () => {
    await client('Busy Owner Ltd', 150_000, 'busy', num(6));
    const c = await call(num(6));
    expect(c.rang).toEqual([{ ext: '199', disposition: 'BUSY' }, { ext: '102', disposition: 'ANSWERED' }]);
    expect(await routedBy(c.linkedid)).toBe('turnover:wholesale');
    const [a, b] = dials.get(c.linkedid) ?? [];
    expect(b!.at - a!.at, 'gap between the busy phone and the next target').toBeLessThan(1000);
  });

  it("the manager does not answer: after the manager's ring time the tier target rings", async () => {
    await client('Sleepy Owner Ltd', 1_000, 'sleepy', num(7));
    const c = await call(num(7));
    expect(c.rang).toEqual([{ ext: '198', disposition: 'NO ANSWER' }, { ext: '103', disposition: 'ANSWERED' }]);
    expect(await routedBy(c.linkedid)).toBe('turnover:retail');
    const [a, b] = dials.get(c.linkedid) ?? [];
    expect((b!.at - a!.at) / 1000).toBeGreaterThanOrEqual(RULES.managerRingSeconds - 0.5);
    expect((b!.at - a!.at) / 1000).toBeLessThan(RULES.managerRingSeconds + 1.5);
  });

  it("the manager's phone is not registered: the tier target rings at once", async () => {
    await client('Ghost Owner Ltd', 3_000, 'ghost', num(10)); // 104 has no phone on the PBX
    const c = await call(num(10));
    expect(c.rang.at(-1)).toEqual({ ext: '103', disposition: 'ANSWERED' });
    expect(c.rang.filter((r) => r.ext === '104').every((r) => r.disposition !== 'ANSWERED')).toBe(true);
    expect(await routedBy(c.linkedid)).toBe('turnover:retail');
    const waited = (dials.get(c.linkedid)!.at(-1)!.at - starts.get(c.linkedid)!) / 1000;
    expect(waited, 'seconds until the tier target rang').toBeLessThan(1.5);
  });

  it('rules changed through the admin API take effect without a restart', async () => {
    const put = await api(svc!, '/api/v1/routing/rules', admin, {
      method: 'PUT', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...RULES, defaultTarget: { extension: '103' } }),
    });
    expect(put.status).toBe(200);
    const bad = await api(svc!, '/api/v1/routing/rules', admin, {
      method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...RULES, deadlineMs: 1 }),
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^deadlineMs/);
    expect((await api(svc!, '/api/v1/routing/rules', users['anna']!, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(RULES) })).status).toBe(403);
    const c = await call(num(8));
    expect(c.rang).toEqual([{ ext: '103', disposition: 'ANSWERED' }]);
    await api(svc!, '/api/v1/routing/rules', admin, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(RULES) });
  });

  it("a DID whose own target is the default target's phone rings that phone, not the rules' default group", async () => {
    // The sandbox's CTI_DEFAULT_TARGET is PJSIP/101 and [cti-did-targets] sends ...101 to PJSIP/101 too:
    // the DID's own target must still reach the routing (it once read as "no target" and rang the group).
    const put = await api(svc!, '/api/v1/routing/rules', admin, {
      method: 'PUT', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...RULES, defaultTarget: { group: ['102', '103'] } }),
    });
    expect(put.status).toBe(200);
    try {
      const own = await call(num(11), { did: '74950000101' });
      expect(own.rang).toEqual([{ ext: '101', disposition: 'ANSWERED' }]);
      expect(await routedBy(own.linkedid)).toBe('default');
      const none = await call(num(12));
      expect(none.rang.map((r) => r.ext).sort()).toEqual(['102', '103']);
    } finally {
      await api(svc!, '/api/v1/routing/rules', admin, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(RULES) });
    }
  });

  it('a slow lookup: the deadline sends the call to the default target, within a second', async () => {
    await svc!.stop();
    svc = await startService({ dbFile, rules: RULES, env: { CTI_FAULT_ROUTING_DELAY_MS: '3000' } });
    const c = await call(num(4)); // Owned Ltd: would ring boris (102)
    expect(c.rang).toEqual([{ ext: '101', disposition: 'ANSWERED' }]);
    expect(await routedBy(c.linkedid)).toBe('fallback');
    const waited = (dials.get(c.linkedid)![0]!.at - starts.get(c.linkedid)!) / 1000;
    expect(waited).toBeGreaterThanOrEqual(RULES.deadlineMs / 1000 - 0.05);
    expect(waited).toBeLessThan(1);
    await svc!.stop();
    svc = await startService({ dbFile, rules: RULES });
  });

  it('the service stopped: calls still ring the default target with no more than 1 s added', async () => {
    await svc!.stop();
    svc = null;
    const c = await call(num(4));
    expect(c.rang).toEqual([{ ext: '101', disposition: 'ANSWERED' }]);
    const waited = (dials.get(c.linkedid)![0]!.at - starts.get(c.linkedid)!) / 1000;
    expect(waited).toBeLessThan(1);
    // Back up: the call is reconciled from the CDR with the reason the dialplan wrote there.
    svc = await startService({ dbFile, rules: RULES });
    expect(await routedBy(c.linkedid)).toBe('fallback');
  });

  // A call inside the application when the service crashes no longer waits for it to come back: the PBX
  // rings the fallback target after CTI_ROUTE_WAIT (routing-never-waits.test.ts).
});
