// The call log against the real sandbox Asterisk: real SIP phones (baresip), real calls, and
// Asterisk's own CDR for the same call as the oracle (talkSeconds vs billsec within 1 s, disposition,
// numbers). Needs `cti pbx up` (scripts/test.sh does it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wavDurationMs } from '../../src/calls/recording.js';
import {
  attendedTransfer, clickToCall, completeAttendedTransfer, dialTo, inboundCall, oneCdr, Phone, readCdr, recordingPath,
  waitForCdr, waitForChannel, waitUntil, type CdrRow,
} from '../support/sandbox.js';
import { api, loggedCall, newDbFile, seedUser, startService, type ServiceProcess } from '../support/service.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let svc: ServiceProcess;
let supervisor: string;
let anna: string; // manager, extension 101
let boris: string; // manager, extension 102
const phones: Record<string, Phone> = {};

beforeAll(async () => {
  const dbFile = newDbFile();
  supervisor = await seedUser(dbFile, 'sveta', 'supervisor');
  anna = await seedUser(dbFile, 'anna', 'manager', '101');
  boris = await seedUser(dbFile, 'boris', 'manager', '102');
  svc = await startService({ dbFile });
  for (const ext of ['101', '102', '103']) phones[ext] = await new Phone(ext).open();
});

afterAll(async () => {
  for (const p of Object.values(phones)) p.close();
  await svc?.stop();
});

const one = oneCdr;

/** The call as the API returns it, once ended and (when answered) once its recording is measured. */
async function logged(linkedId: string): Promise<any> {
  return waitUntil(async () => {
    const c = await loggedCall(svc, supervisor, linkedId);
    return c.disposition !== 'answered' || c.recording ? c : undefined;
  }, 20_000, `call ${linkedId} with its recording`, 250);
}

/** Our record against the CDR row Asterisk wrote for the same conversation. */
function expectTimesMatch(call: any, row: CdrRow) {
  expect(Math.abs(call.talkSeconds - row.billsec), `talkSeconds ${call.talkSeconds} vs billsec ${row.billsec}`).toBeLessThanOrEqual(1);
  expect(Math.abs(call.ringSeconds - (row.duration - row.billsec)), `ringSeconds ${call.ringSeconds} vs CDR ${row.duration - row.billsec}`).toBeLessThanOrEqual(1);
}

/**
 * The recording exists, lasts the talk time within 1 s, and the API serves it whole and by Range.
 * `heldSeconds`: time the client spent on hold during an attended transfer, which MixMonitor (option b,
 * only while bridged) may leave out in part: the recording then lasts between talk - hold and talk.
 */
async function expectRecording(call: any, heldSeconds = 0) {
  expect(call.recording).not.toBeNull();
  const file = recordingPath(call.linkedId);
  const fileSeconds = (wavDurationMs(file) ?? 0) / 1000;
  const why = `recording ${fileSeconds}s vs talk ${call.talkSeconds}s (hold ${heldSeconds}s)`;
  expect(fileSeconds, why).toBeGreaterThanOrEqual(call.talkSeconds - heldSeconds - 1);
  expect(fileSeconds, why).toBeLessThanOrEqual(call.talkSeconds + 1);
  if (heldSeconds === 0) expect(fileSeconds, why).toBeGreaterThanOrEqual(call.talkSeconds - 1);
  expect(Math.abs(call.recording.durationSeconds - fileSeconds)).toBeLessThanOrEqual(0.1);
  const whole = await api(svc, call.recording.url, supervisor);
  expect(whole.status).toBe(200);
  expect(whole.headers.get('content-type')).toBe('audio/wav');
  expect(whole.bytes.subarray(0, 4).toString()).toBe('RIFF');
  const part = await api(svc, call.recording.url, supervisor, { headers: { range: 'bytes=100-1099' } });
  expect(part.status).toBe(206);
  expect(part.headers.get('content-range')).toBe(`bytes 100-1099/${whole.bytes.length}`);
  expect(part.bytes.equals(whole.bytes.subarray(100, 1100))).toBe(true);
}

describe('call log on the sandbox Asterisk, checked against its CDR', () => {
  it('inbound answered', async () => {
    const h = await inboundCall({ from: '+79161234501', did: '74950000101', talkSeconds: 4 });
    const rows = await waitForCdr(h.linkedid);
    const call = await logged(h.linkedid);
    const dial = one(rows, dialTo('101'), 'the Dial to 101');
    expect(dial.disposition).toBe('ANSWERED');
    expect(call).toMatchObject({ direction: 'inbound', disposition: 'answered', extension: '101', externalNumber: '+79161234501', source: 'ami' });
    expect(dial.src).toBe('+79161234501');
    expectTimesMatch(call, dial);
    expect(call.talkSeconds).toBeGreaterThanOrEqual(3);
    await expectRecording(call);
    // Access: the manager who took it sees it; another manager gets 403 for the call and the recording.
    expect((await api(svc, `/api/v1/calls/${call.id}`, anna)).status).toBe(200);
    expect((await api(svc, `/api/v1/calls/${call.id}`, boris)).status).toBe(403);
    expect((await api(svc, `/api/v1/calls/${call.id}/recording`, boris)).status).toBe(403);
  });

  it('inbound not answered (198 rings and never answers)', async () => {
    const h = await inboundCall({ from: '+79161234502', did: '74950000198' });
    const rows = await waitForCdr(h.linkedid, 40_000);
    const call = await logged(h.linkedid);
    const dial = one(rows, dialTo('198'), 'the Dial to 198');
    expect(dial.disposition).toBe('NO ANSWER');
    expect(call).toMatchObject({ direction: 'inbound', disposition: 'no_answer', extension: '198', talkSeconds: 0, answeredAt: null, recording: null });
    expectTimesMatch(call, dial);
    expect(call.ringSeconds).toBeGreaterThanOrEqual(5);
  });

  it('inbound to a busy phone (199)', async () => {
    const h = await inboundCall({ from: '+79161234503', did: '74950000199' });
    const rows = await waitForCdr(h.linkedid);
    const call = await logged(h.linkedid);
    expect(one(rows, dialTo('199'), 'the Dial to 199').disposition).toBe('BUSY');
    expect(call).toMatchObject({ direction: 'inbound', disposition: 'busy', extension: '199', talkSeconds: 0, recording: null });
  });

  it('caller hangs up while it rings', async () => {
    const h = await inboundCall({ from: '+79161234504', did: '74950000198', timeoutSeconds: 4 });
    const rows = await waitForCdr(h.linkedid, 30_000);
    const call = await logged(h.linkedid);
    const dial = one(rows, dialTo('198'), 'the Dial to 198');
    expect(dial.disposition).toBe('NO ANSWER');
    expect(call).toMatchObject({ disposition: 'no_answer', extension: '198', talkSeconds: 0 });
    expectTimesMatch(call, dial);
    expect(call.ringSeconds).toBeGreaterThanOrEqual(3);
    expect(call.ringSeconds).toBeLessThanOrEqual(6);
  });

  it("outbound from a manager's phone, number dialled in the national 8 format", async () => {
    const t0 = Date.now() / 1000;
    const p = phones['101']!;
    p.clearEvents();
    await p.dial('89161234505');
    await p.waitFor('CALL_ESTABLISHED', 15_000);
    await sleep(4000);
    await p.hangup();
    const row = await waitUntil(() => readCdr().find((r) => r.start / 1000 >= t0 - 1 && r.lastapp === 'Dial' && r.channel.startsWith('PJSIP/101-') && r.dst === '89161234505'), 15_000, 'the outbound CDR');
    const rows = await waitForCdr(row.linkedid);
    const call = await logged(row.linkedid);
    expect(call).toMatchObject({ direction: 'outbound', disposition: 'answered', extension: '101', externalNumber: '+79161234505' });
    expectTimesMatch(call, one(rows, (r) => r.lastapp === 'Dial' && r.channel.startsWith('PJSIP/101-'), 'the Dial from 101'));
    await expectRecording(call);
  });

  it('internal call 101 -> 102', async () => {
    const t0 = Date.now() / 1000;
    const p = phones['101']!;
    p.clearEvents();
    await p.dial('102');
    await p.waitFor('CALL_ESTABLISHED', 15_000);
    await sleep(3000);
    await p.hangup();
    const row = await waitUntil(() => readCdr().find((r) => r.start / 1000 >= t0 - 1 && dialTo('102')(r) && r.channel.startsWith('PJSIP/101-')), 15_000, 'the internal CDR');
    const call = await logged(row.linkedid);
    expect(call).toMatchObject({ direction: 'internal', disposition: 'answered', extension: '102', externalNumber: '101' });
    expect(call.legs.map((l: any) => l.extension)).toEqual(['101', '102']);
    expectTimesMatch(call, row);
    await expectRecording(call);
  });

  it('click-to-call by AMI Originate: the manager rings first, then the client', async () => {
    const h = await clickToCall({ ext: '101', number: '89161234507' });
    const ch = await waitForChannel((c) => c.linkedid === h.linkedid && c.channel.startsWith('PJSIP/101-') && c.bridgeid !== '', 15_000, "101's bridged channel");
    await sleep(4000);
    await (await import('../support/sandbox.js')).hangupChannel(ch.channel);
    const rows = await waitForCdr(h.linkedid);
    const call = await logged(h.linkedid);
    expect(call).toMatchObject({ direction: 'outbound', origin: 'click2call', disposition: 'answered', extension: '101', externalNumber: '+79161234507' });
    // The client's own CDR row bills from the client's answer; the originated manager row from the manager's.
    const client = one(rows, (r) => r.channel.includes('@sandbox-pstn') && r.channel.endsWith(';2'), "the client's row");
    expect(Math.abs(call.talkSeconds - client.billsec)).toBeLessThanOrEqual(1);
    expect(call.legs[0].extension).toBe('101');
    expect(Date.parse(call.legs[0].answeredAt)).toBeLessThan(Date.parse(call.answeredAt));
    await expectRecording(call);
  });

  it('blind transfer 101 -> 102 stays one call, with talk time per manager', async () => {
    const h = await inboundCall({ from: '+79161234508', did: '74950000101' });
    const p101 = phones['101']!;
    const p102 = phones['102']!;
    p102.clearEvents();
    await waitForChannel((c) => c.linkedid === h.linkedid && c.channel.startsWith('PJSIP/101-') && c.bridgeid !== '', 15_000, '101 talking');
    await sleep(3000);
    await p101.blindTransfer('102');
    await p102.waitFor('CALL_ESTABLISHED', 15_000);
    await sleep(3000);
    await p102.hangup();
    const rows = await waitForCdr(h.linkedid);
    const call = await logged(h.linkedid);
    expect(call).toMatchObject({ direction: 'inbound', disposition: 'answered', extension: '102' });
    const legs = Object.fromEntries(call.legs.map((l: any) => [l.extension, l]));
    expect(Object.keys(legs).sort()).toEqual(['101', '102']);
    const to101 = one(rows, dialTo('101'), 'the Dial to 101');
    const to102 = one(rows, dialTo('102'), 'the Dial to 102');
    expect(Math.abs(legs['101'].talkSeconds - to101.billsec)).toBeLessThanOrEqual(1);
    expect(Math.abs(legs['102'].talkSeconds - to102.billsec)).toBeLessThanOrEqual(1);
    const client = one(rows, (r) => r.channel.includes('@cti-inbound') && r.channel.endsWith(';1'), "the client's row");
    expect(Math.abs(call.talkSeconds - client.billsec)).toBeLessThanOrEqual(1);
    await expectRecording(call);
  });

  it('attended transfer 101 -> 102 stays one call, the consultation included', async () => {
    const h = await inboundCall({ from: '+79161234509', did: '74950000101' });
    const p102 = phones['102']!;
    p102.clearEvents();
    const ch101 = await waitForChannel((c) => c.linkedid === h.linkedid && c.channel.startsWith('PJSIP/101-') && c.bridgeid !== '', 15_000, '101 talking');
    await sleep(2000);
    const holdStart = Date.now();
    await attendedTransfer(ch101.channel, '102');
    await p102.waitFor('CALL_ESTABLISHED', 15_000);
    await sleep(2000);
    await completeAttendedTransfer(ch101.channel);
    const heldSeconds = (Date.now() - holdStart) / 1000;
    await sleep(3000);
    await p102.hangup();
    const rows = await waitForCdr(h.linkedid);
    const call = await logged(h.linkedid);
    expect(call).toMatchObject({ direction: 'inbound', disposition: 'answered', extension: '102', linkedId: h.linkedid });
    expect(call.legs.map((l: any) => l.extension).sort()).toEqual(['101', '102']);
    const client = one(rows, (r) => r.channel.includes('@cti-inbound') && r.channel.endsWith(';1'), "the client's row");
    expect(Math.abs(call.talkSeconds - client.billsec)).toBeLessThanOrEqual(1);
    // No second call for the consultation.
    const page = await api(svc, `/api/v1/calls?from=${encodeURIComponent(call.startedAt)}&limit=50`, supervisor);
    expect(page.body.items.filter((c: any) => c.startedAt >= call.startedAt && c.endedAt <= call.endedAt && c.id !== call.id && c.direction === 'internal')).toEqual([]);
    // While 101 consults 102 the client waits on hold, which is not recorded.
    await expectRecording(call, heldSeconds);
  });

  it('two calls at once stay two calls', async () => {
    const [a, b] = await Promise.all([
      inboundCall({ from: '+79161234510', did: '74950000101', talkSeconds: 6 }),
      inboundCall({ from: '+79161234511', did: '74950000102', talkSeconds: 4 }),
    ]);
    for (const [h, ext, from] of [[a, '101', '+79161234510'], [b, '102', '+79161234511']] as const) {
      const rows = await waitForCdr(h.linkedid);
      const call = await logged(h.linkedid);
      expect(call).toMatchObject({ direction: 'inbound', disposition: 'answered', extension: ext, externalNumber: from });
      expectTimesMatch(call, one(rows, dialTo(ext), `the Dial to ${ext}`));
      await expectRecording(call);
    }
  });
});
