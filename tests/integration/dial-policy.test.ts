// The dial policy in the sandbox Asterisk itself (dialplan/extensions_cti_policy.conf, the shipped
// defaults: Russia only, never premium rate or the international networks): a desk phone dialling a
// refused number never gets a channel out of the PBX (no Dial to the simulated PSTN), is rejected and
// the call is logged with the reason; an allowed number goes out as before. Also an AMI Originate into
// cti-click2call that bypasses the service. Asterisk's CDR and AMI DialBegin are the oracle.
// Needs `sandbox/pbx.sh up` and `npm run build`.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  asterisk, clickToCall, coreShowChannels, hangupChannel, onAmiEvent, Phone, readCdr, sandboxAmi, waitForCdr, waitUntil, type AmiMessage, type CdrRow,
} from '../support/sandbox.js';
import { loggedCall, newDbFile, seedUser, startService, type ServiceProcess } from '../support/service.js';

let svc: ServiceProcess;
let supervisor: string;
let phone: Phone;
let off: (() => void) | undefined;
/** Every DialBegin seen, by linkedid: where the PBX tried to send each call. */
const dials = new Map<string, string[]>();
const denials: AmiMessage[] = [];

beforeAll(async () => {
  await sandboxAmi();
  off = onAmiEvent((e) => {
    if (e['event'] === 'DialBegin') {
      const l = String(e['linkedid'] ?? e['destlinkedid']);
      dials.set(l, [...(dials.get(l) ?? []), String(e['destchannel'])]);
    }
    // The dialplan's reason, a CEL user event (CELGenUserEvent(CtiDialDenied,<reason>)): {"extra":"<reason>"}.
    if (e['event'] === 'CEL' && e['eventname'] === 'USER_DEFINED' && e['userdeftype'] === 'CtiDialDenied') {
      denials.push({ ...e, reason: String((JSON.parse(String(e['extra'] || '{}')) as { extra?: string }).extra ?? '') });
    }
  });
  const dbFile = newDbFile();
  supervisor = await seedUser(dbFile, 'sveta', 'supervisor');
  await seedUser(dbFile, 'olga', 'manager', '103');
  svc = await startService({ dbFile });
  phone = await new Phone('103').open();
});

// Each test leaves 103 free for the next, whatever it left up (a call that should have been refused).
afterEach(async () => {
  for (const c of await coreShowChannels()) if (c.channel.startsWith('PJSIP/103-')) await hangupChannel(c.channel).catch(() => undefined);
  await waitUntil(async () => !(await coreShowChannels()).some((c) => c.channel.startsWith('PJSIP/103-')), 10_000, '103 free');
});

afterAll(async () => {
  off?.();
  phone?.close();
  await svc?.stop();
});

/** 103 dials `number`; resolves with the CDR rows of that call once Asterisk has finished it. */
async function dialFrom103(number: string, talkMs = 0): Promise<{ rows: CdrRow[]; established: boolean; closed: string }> {
  const t0 = Date.now() / 1000;
  phone.clearEvents();
  await phone.dial(number);
  let established = false;
  if (talkMs > 0) {
    await phone.waitFor('CALL_ESTABLISHED', 15_000);
    established = true;
    await new Promise((r) => setTimeout(r, talkMs));
    await phone.hangup();
  }
  const closed = await phone.waitFor('CALL_CLOSED', 15_000);
  const digits = number.replace(/^\+/, '');
  const row = await waitUntil(() => readCdr().find((r) => r.start / 1000 >= t0 - 1 && r.channel.startsWith('PJSIP/103-') && r.dst === digits), 15_000, `the CDR of 103 -> ${number}`);
  return { rows: await waitForCdr(row.linkedid), established, closed: String(closed.param ?? '') };
}

describe('the dial policy in the dialplan: desk phones', () => {
  it.each([
    ['+882161234567', 'international_network'],
    ['+78091234567', 'premium'],
    ['88091234567', 'premium'],
    ['+19005551234', 'region'],
    ['+375291234567', 'region'],
  ])('103 dialling %s is refused by Asterisk (%s): nothing dialled out, rejected, logged as a failed outbound call', async (number, reason) => {
    const { rows, established, closed } = await dialFrom103(number);
    expect(established).toBe(false);
    const linkedId = rows[0]!.linkedid;
    // Nothing left the PBX: no Dial() at all for this call, so no channel to the (simulated) trunk.
    expect(dials.get(linkedId) ?? []).toEqual([]);
    expect(rows.every((r) => r.lastapp !== 'Dial')).toBe(true);
    expect(closed).toMatch(/403|Forbidden|rejected/i);
    expect(rows.map((r) => r.userfield)).toContainEqual(expect.stringContaining(`;denied=${reason}`));
    expect(denials.find((d) => d['linkedid'] === linkedId)?.['reason']).toBe(reason);
    const call = await loggedCall(svc, supervisor, linkedId);
    expect(call).toMatchObject({ direction: 'outbound', extension: '103', disposition: 'failed', talkSeconds: 0 });
    expect(call.hangupCause).toMatch(/21/);
  });

  it('103 dialling a Russian mobile in the national 8 format goes out and is answered', async () => {
    const { rows, established } = await dialFrom103('89161234509', 2500);
    expect(established).toBe(true);
    const linkedId = rows[0]!.linkedid;
    expect(dials.get(linkedId)).toContainEqual(expect.stringMatching(/^Local\/89161234509@sandbox-pstn/));
    expect(rows.every((r) => !r.userfield.includes('denied'))).toBe(true);
    const call = await loggedCall(svc, supervisor, linkedId);
    expect(call).toMatchObject({ direction: 'outbound', disposition: 'answered', externalNumber: '+79161234509' });
  });
});

describe('the dial policy in the dialplan: an Originate into cti-click2call that did not come through the service', () => {
  // The dialplan holds the premium ranges of the allowed countries only: +1 900 is refused as a country.
  it('the manager answers, the US premium number is never dialled', async () => {
    const h = await clickToCall({ ext: '103', number: '19005551234' });
    const rows = await waitForCdr(h.linkedid);
    expect((dials.get(h.linkedid) ?? []).filter((d) => d.includes('sandbox-pstn'))).toEqual([]);
    expect(rows.map((r) => r.userfield)).toContainEqual(expect.stringContaining(';denied=region'));
  });

  it('an allowed number (E.164 digits, as the service sends them) is dialled', async () => {
    const h = await clickToCall({ ext: '103', number: '79161234510' });
    await waitUntil(() => (dials.get(h.linkedid) ?? []).some((d) => d.startsWith('Local/79161234510@sandbox-pstn')), 15_000, 'the Dial to the client');
    for (const c of (await coreShowChannels()).filter((x) => x.linkedid === h.linkedid && x.channel.startsWith('PJSIP/103-'))) await hangupChannel(c.channel);
    await waitForCdr(h.linkedid);
  });
});

describe("the dial policy in the dialplan: an endpoint's limits (2 at once, 10 a minute)", () => {
  const minute = () => {
    const d = new Date();
    const p = (n: number) => String(n).padStart(2, '0');
    // STRFTIME(${EPOCH},,%Y%m%d%H%M) in the PBX's zone: the sandbox runs in UTC.
    return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}`;
  };
  afterEach(() => { asterisk('database del cti-dial-rate 103'); });

  it('the 11th call of a minute is refused (rate), nothing dialled out', async () => {
    // Not across a minute's end: the count is per calendar minute.
    if (new Date().getUTCSeconds() >= 55) await new Promise((r) => setTimeout(r, (61 - new Date().getUTCSeconds()) * 1000));
    asterisk(`database put cti-dial-rate 103 ${minute()}:10`);
    const h = await clickToCall({ ext: '103', number: '79161234511' });
    const rows = await waitForCdr(h.linkedid);
    expect((dials.get(h.linkedid) ?? []).filter((d) => d.includes('sandbox-pstn'))).toEqual([]);
    expect(rows.map((r) => r.userfield)).toContainEqual(expect.stringContaining(';denied=rate'));
  });

  it('two calls at once go out, a third at the same time is refused (concurrency)', async () => {
    const first = await clickToCall({ ext: '103', number: '79161234513' });
    await waitUntil(() => (dials.get(first.linkedid) ?? []).some((d) => d.includes('sandbox-pstn')), 15_000, 'the first call out');
    const second = await clickToCall({ ext: '103', number: '79161234514' });
    await waitUntil(() => (dials.get(second.linkedid) ?? []).some((d) => d.includes('sandbox-pstn')), 15_000, 'the second call out');
    const third = await clickToCall({ ext: '103', number: '79161234515' });
    const rows = await waitForCdr(third.linkedid);
    expect((dials.get(third.linkedid) ?? []).filter((d) => d.includes('sandbox-pstn'))).toEqual([]);
    expect(rows.map((r) => r.userfield)).toContainEqual(expect.stringContaining(';denied=concurrency'));
  });

  it('a count of an earlier minute does not hold the next call back', async () => {
    asterisk('database put cti-dial-rate 103 200001010000:10');
    const h = await clickToCall({ ext: '103', number: '79161234512' });
    await waitUntil(() => (dials.get(h.linkedid) ?? []).some((d) => d.startsWith('Local/79161234512@sandbox-pstn')), 15_000, 'the Dial to the client');
    expect(asterisk('database get cti-dial-rate 103')).toContain(`${minute().slice(0, 10)}`);
  });
});
