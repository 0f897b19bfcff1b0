// Trunk data is untrusted (issue 10, item 3): inbound calls on the sandbox Asterisk whose caller ID (or
// DID) carries commas, pipes, parentheses, quotes, semicolons, CR/LF, "Direction:" fields or 200
// characters. Each call must stay inbound, ring whom the routing rules give for the digits the caller
// really sent, and be stored with that number and no other manager's client. Caller IDs go in through
// the sandbox's [sandbox-trunk] (any bytes, CR/LF included: an AMI Originate's CallerID header cannot
// carry them; a SIP From header would need them percent-encoded). Who rang is read from Asterisk's CDR.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normaliseExternal } from '../../src/lib/phone.js';
import { inboundCall, readCdr, waitForCdr, type CdrRow } from '../support/sandbox.js';
import { api, loggedCall, newDbFile, seedUser, startService, type ServiceProcess } from '../support/service.js';

const RULES = { managerRingSeconds: 5, targetRingSeconds: 10, defaultTarget: { extension: '101' }, deadlineMs: 300, tiers: [] };
const NOBODY_DID = '74950000000'; // no target of its own: PJSIP/101 (anna) by the default target
// Numbers of this run only: the sandbox's CDR keeps earlier runs' calls, which a fresh database imports.
const RUN = String(Math.floor(Math.random() * 900) + 100);
const CALLER = `7495${RUN}0001`; // what the caller really has
const VICTIM = `7916${RUN}4321`; // boris's client: a forged caller ID must never be matched to it

let dbFile: string;
let svc: ServiceProcess | null = null;
let admin: string;
let victimClientId: string;
let victimContactId: string;

beforeAll(async () => {
  dbFile = newDbFile();
  admin = await seedUser(dbFile, 'root', 'admin');
  for (const [name, ext] of [['anna', '101'], ['boris', '102'], ['olga', '103']] as const) await seedUser(dbFile, name, 'manager', ext);
  svc = await startService({ dbFile, rules: RULES });
  const c = await api(svc, '/api/v1/clients', admin, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'company', name: 'Victim Ltd', turnover: 500_000, currency: 'RUB', ownerName: 'boris' }),
  });
  expect(c.status, JSON.stringify(c.body)).toBe(201);
  victimClientId = c.body.id;
  const ct = await api(svc, '/api/v1/contacts', admin, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ clientId: victimClientId, name: 'Victim contact', phones: [{ number: `+${VICTIM}`, label: 'work' }] }),
  });
  expect(ct.status, JSON.stringify(ct.body)).toBe(201);
  victimContactId = ct.body.id;
});

afterAll(async () => {
  await svc?.stop();
});

/** Which phones rang, in order, and how each Dial ended (Asterisk's CDR). */
function rang(rows: CdrRow[]): { ext: string; disposition: string }[] {
  return rows
    .filter((r) => r.lastapp === 'Dial' && r.dstchannel.startsWith('PJSIP/'))
    .sort((a, b) => a.start - b.start)
    .map((r) => ({ ext: r.dstchannel.slice(6, 9), disposition: r.disposition }));
}

async function call(opts: { number?: string; name?: string; did?: string }) {
  const h = await inboundCall({
    from: '', did: opts.did ?? NOBODY_DID, talkSeconds: 1, timeoutSeconds: 40,
    trunkCallerId: opts.did ? undefined : { number: opts.number, name: opts.name },
  });
  const rows = await waitForCdr(h.linkedid, 40_000);
  return { linkedid: h.linkedid, rows, rang: rang(rows) };
}

/** What the record keeps of a caller ID: its E.164 when it is a number, else its digits (README). CR/LF reach Asterisk's events as spaces. */
const stored = (cid: string) => normaliseExternal(cid.replace(/[\r\n]/g, ' '), 'RU');

// Each of these was stored wrongly by the dialplan that spliced CALLERID(num) into Gosub() and UserEvent()
// (what it stored is in the comment). Pipes and semicolons are tested where they did harm: the DID
// (CTI_ROUTE) and the CDR (its userfield), below.
const CRAFTED: [string, string][] = [
  // outbound, external +79167654321 (boris's client), the answering manager's call with it
  ['commas and the fields of another call (issue 10)', `${CALLER},Direction: outbound,External: ${VICTIM}`],
  // "Direction: outbound" first: outbound again, through the Caller: field
  ['"Direction:" and "External:" fields', `Direction: outbound,External: ${VICTIM}`],
  // Gosub's arguments cut at the parenthesis: the DID's digits glued to the caller's
  ['parentheses', `${CALLER})(${VICTIM}`],
  // an unbalanced quote swallowed the comma before the DID: the caller's and the DID's digits as one number
  ['single and double quotes, one unbalanced', `'${CALLER}'"`],
  // every AMI event of the channel cut in two: the call was never logged
  ['CR/LF with AMI headers', `${CALLER}\r\nDirection: outbound\r\nExternal: ${VICTIM}\r\nUniqueid: x\r\n\r\nEvent: UserEvent`],
  ['200 characters', `${CALLER},Direction: outbound,External: ${VICTIM},`.padEnd(200, '9')],
];

describe('inbound calls with a crafted caller ID on the sandbox Asterisk', () => {
  for (const [what, cid] of CRAFTED) {
    it(`${what}: inbound, the caller's own digits, the default target, no other manager's client`, async () => {
      const c = await call({ number: cid });
      expect(c.rang).toEqual([{ ext: '101', disposition: 'ANSWERED' }]);
      const rec = await loggedCall(svc!, admin, c.linkedid);
      expect(rec).toMatchObject({
        direction: 'inbound', origin: null, extension: '101', routedBy: 'default',
        externalNumber: stored(cid), contactId: null, clientId: null, disposition: 'answered',
      });
      // Nothing else was logged for this call (no second, forged call).
      const all = await api(svc!, `/api/v1/calls?clientId=${victimClientId}`, admin);
      expect(all.body.items.map((i: { linkedId: string }) => i.linkedId)).not.toContain(c.linkedid);
    });
  }

  it('a caller ID name with commas, CR/LF and "Direction:" changes nothing', async () => {
    const c = await call({ number: CALLER, name: `Evil, Inc\r\nDirection: outbound\r\nExternal: ${VICTIM}` });
    expect(c.rang).toEqual([{ ext: '101', disposition: 'ANSWERED' }]);
    expect(await loggedCall(svc!, admin, c.linkedid)).toMatchObject({ direction: 'inbound', extension: '101', externalNumber: `+${CALLER}`, contactId: null });
  });

  it("the client's own number in any punctuation is the client's call: matched, rung to its owner", async () => {
    const c = await call({ number: `+7 (916) ${RUN}-43-21` });
    expect(c.rang).toEqual([{ ext: '102', disposition: 'ANSWERED' }]);
    expect(await loggedCall(svc!, admin, c.linkedid)).toMatchObject({
      direction: 'inbound', extension: '102', routedBy: 'owner', externalNumber: `+${VICTIM}`, contactId: victimContactId, clientId: victimClientId,
    });
  });

  // Spliced into Stasis(cti,inbound,<DID>,<DID target>), the part after the comma became the DID's
  // target (102 and 103 rang), and its pipes the fields of CTI_ROUTE (102 rang "by owner").
  // The dialplan now routes on the DID's digits (here ...1031035 and ...1025: no sandbox DID target).
  for (const [what, did] of [['a dial string', `${NOBODY_DID},PJSIP/102&PJSIP/103,5`], ['pipes', `${NOBODY_DID},PJSIP/102|5|owner`]] as const) {
    it(`a DID carrying ${what} does not choose who rings, nor why`, async () => {
      const c = await call({ did });
      expect(c.rang).toEqual([{ ext: '101', disposition: 'ANSWERED' }]);
      expect(await loggedCall(svc!, admin, c.linkedid)).toMatchObject({ direction: 'inbound', extension: '101', routedBy: 'default' });
    });
  }

  for (const [what, cid, before] of [
    ['commas and CR/LF', `${CALLER},Direction: outbound,External: ${VICTIM}\r\nDirection: outbound`, 'the CDR record cut in two: no call'],
    ['semicolons', `${CALLER};routed=owner`, "routedBy 'owner;routed=fallback'"],
    // Every event of the caller's channel carries its caller ID: PostgreSQL refused each one for the
    // event log's varchar(80) column (the PBX on another host, docs/asterisk-pgsql.sql), so no call.
    ['200 characters', `${CALLER},`.padEnd(200, '9'), 'no call where the event log is in PostgreSQL'],
  ] as const) it(`logged from the CDR alone (the service was down), ${what}: still inbound, the caller's digits, no match (before: ${before})`, async () => {
    await svc?.stop();
    svc = null;
    let c: Awaited<ReturnType<typeof call>>;
    try {
      c = await call({ number: cid });
    } finally {
      svc = await startService({ dbFile });
    }
    expect(c.rang).toEqual([{ ext: '101', disposition: 'ANSWERED' }]);
    const dial = readCdr().find((r) => r.linkedid === c.linkedid && r.lastapp === 'Dial')!;
    // The CDR keeps the caller ID as its channel had it, cut at 79 characters (Asterisk's CDR record holds
    // AST_MAX_EXTENSION); the event log, which the service reads, keeps all of it.
    expect(cid.replace(/[\r\n]/g, ' ').startsWith(dial.src), dial.src).toBe(true);
    const rec = await loggedCall(svc, admin, c.linkedid, 30_000);
    expect(rec).toMatchObject({
      source: 'cdr', direction: 'inbound', origin: null, extension: '101', routedBy: 'fallback',
      externalNumber: stored(cid), contactId: null, clientId: null, disposition: 'answered',
    });
  });
});
