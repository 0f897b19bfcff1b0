// Observe-only on the FreePBX-shaped PBX, beyond the call log: the supervisors' live board (phones'
// states, the call waiting and talking, FreePBX's queue with its Local/10x@from-queue/n members shown as
// our managers) and what Asterisk wrote while the service was away: a call it was killed in the middle
// of, and a call that came and went while it was down, both rebuilt from the CEL file the README's admin
// step adds (cel_custom, epoch times), with FreePBX's own recording, exact against Asterisk's CDR.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LiveSnapshot } from '../../src/contract/index.js';
import { hangupEverything, inboundCall, loadSandboxEnv, Phone, waitForCdr, waitUntil, type CdrRow } from '../support/sandbox.js';
import { api, loggedCall, newDbFile, seedUser, startService, type ServiceProcess } from '../support/service.js';

const env = loadSandboxEnv();
if (env['CTI_PBX_PROFILE'] !== 'freepbx') throw new Error('the freepbx tier needs the sandbox up with CTI_PBX_PROFILE=freepbx (sandbox/pbx.sh)');
const DID = Object.fromEntries((env['CTI_SANDBOX_FREEPBX_DIDS'] ?? '').split(',').filter(Boolean).map((kv) => kv.split(':') as [string, string]));
const RUN = String(Math.floor(Math.random() * 9000) + 1000);
const client = (n: number) => `+7917${RUN}${String(n).padStart(3, '0')}`;

const running: ServiceProcess[] = [];
const phones: Record<string, Phone> = {};

beforeAll(async () => {
  for (const ext of ['101', '102']) phones[ext] = await new Phone(ext).open();
});

afterEach(async () => {
  for (const p of Object.values(phones)) await p.answerMode('auto').catch(() => undefined);
  await hangupEverything();
  for (const s of running.splice(0)) await s.stop().catch(() => undefined);
});

afterAll(() => {
  for (const p of Object.values(phones)) p.close();
});

async function service(dbFile: string, env: Record<string, string> = {}): Promise<ServiceProcess> {
  const s = await startService({ dbFile, env });
  running.push(s);
  return s;
}

/** The client's own CDR row (the test trunk's ;1 half into from-trunk): its wait and its talk. */
function expectExact(call: any, rows: CdrRow[]) {
  const r = rows.find((x) => x.channel.includes('@from-trunk-') && x.channel.endsWith(';1'));
  expect(r?.answer, 'the client row, answered').toBeTruthy();
  expect(Math.abs(call.talkSeconds - (r!.end - r!.answer!) / 1000), `talk ${call.talkSeconds}`).toBeLessThanOrEqual(1);
  expect(Math.abs(call.ringSeconds - (r!.answer! - r!.start) / 1000), `ring ${call.ringSeconds}`).toBeLessThanOrEqual(1);
}

async function expectRecordingPlays(svc: ServiceProcess, token: string, linkedId: string, prefix: string) {
  const call = await waitUntil(async () => {
    const c = await loggedCall(svc, token, linkedId, 30_000);
    return c.recording ? c : undefined;
  }, 20_000, `the recording of ${linkedId}`, 250);
  const whole = await api(svc, call.recording.url, token);
  expect(whole.status).toBe(200);
  expect(whole.bytes.subarray(0, 4).toString()).toBe('RIFF');
  expect(whole.bytes.length).toBeGreaterThan(8000); // more than a second of 8 kHz audio
  const part = await api(svc, call.recording.url, token, { headers: { range: 'bytes=1000-4999' } });
  expect(part.status).toBe(206);
  expect(part.bytes.equals(whole.bytes.subarray(1000, 5000))).toBe(true);
  const detail = await api(svc, `/api/v1/calls/${call.id}`, token);
  expect(detail.status).toBe(200);
  return call;
}

describe('observe-only on the FreePBX-shaped PBX: the live board and the calls made while the service was away', () => {
  it("the live board: 101 rings then talks on the route's call, FreePBX's queue 400 lists anna and boris", async () => {
    const dbFile = newDbFile();
    const sveta = await seedUser(dbFile, 'sveta', 'supervisor');
    await seedUser(dbFile, 'anna', 'manager', '101');
    await seedUser(dbFile, 'boris', 'manager', '102');
    const svc = await service(dbFile);
    const board = async () => (await api<LiveSnapshot>(svc, '/api/v1/live', sveta)).body;
    const start = await waitUntil(async () => {
      const b = await board();
      return b.pbx === 'connected' && b.managers.find((m) => m.extension === '101')?.state === 'available' && b.queues.some((q) => q.queue === '400') ? b : undefined;
    }, 15_000, 'phones and queues from the PBX');
    const q = start.queues.find((x) => x.queue === '400')!;
    expect(q.members.map((m) => [m.extension, m.name]).sort()).toEqual([['101', 'anna'], ['102', 'boris']]);

    await phones['101']!.answerMode('manual');
    phones['101']!.clearEvents();
    const number = client(1);
    const h = await inboundCall({ from: number, did: DID['ext101']!, talkSeconds: 3, timeoutSeconds: 40 });
    await phones['101']!.waitFor('CALL_INCOMING', 15_000);
    const ringing = await waitUntil(async () => {
      const b = await board();
      const c = b.calls.find((x) => x.waiting && x.externalNumber === number);
      return c && b.managers.find((m) => m.extension === '101')?.state === 'ringing' ? c : undefined;
    }, 5_000, 'the waiting call and 101 ringing');
    expect(ringing).toMatchObject({ direction: 'inbound', state: 'ringing', extension: '101', managerName: 'anna' });
    await phones['101']!.answer();
    await waitUntil(async () => {
      const b = await board();
      return b.calls.some((x) => x.id === ringing.id && x.state === 'talking') && b.managers.find((m) => m.extension === '101')?.state === 'talking';
    }, 5_000, '101 talking');
    await waitForCdr(h.linkedid, 20_000);
    await waitUntil(async () => !(await board()).calls.some((x) => x.id === ringing.id), 8_000, 'the call gone from the board');
  });

  it('with an AMI user alone (no ARI user): the service is up, observes, logs the call with its recording', async () => {
    const dbFile = newDbFile();
    const token = await seedUser(dbFile, 'sveta', 'supervisor');
    await seedUser(dbFile, 'anna', 'manager', '101');
    // Empty is unset (src/config): the sandbox's ARI user is not given to this service.
    const svc = await service(dbFile, { CTI_ARI_USER: '', CTI_ARI_PASSWORD: '' });
    const health = await waitUntil(async () => {
      const r = await fetch(`${svc.url}/healthz`);
      return r.status === 200 ? r.json() : undefined;
    }, 10_000, '/healthz up without ARI');
    expect(health).toEqual({ status: 'up' });
    const admin = await seedUser(dbFile, 'root', 'admin');
    expect((await api(svc, '/healthz', admin)).body).toMatchObject({ ami: { state: 'connected' }, ari: { state: 'disabled' } });
    const h = await inboundCall({ from: client(4), did: DID['ext101']!, talkSeconds: 3 });
    const rows = await waitForCdr(h.linkedid, 20_000);
    const call = await loggedCall(svc, token, h.linkedid, 30_000);
    expect(call).toMatchObject({ direction: 'inbound', disposition: 'answered', extension: '101', externalNumber: client(4), routedBy: null });
    expectExact(call, rows);
    await expectRecordingPlays(svc, token, h.linkedid, 'in-');
  });

  it('kill -9 mid-call, and a call while down: both rebuilt from the CEL file, exact, with FreePBX\'s recordings', async () => {
    const dbFile = newDbFile();
    const token = await seedUser(dbFile, 'sveta', 'supervisor');
    await seedUser(dbFile, 'anna', 'manager', '101');
    await seedUser(dbFile, 'boris', 'manager', '102');
    const first = await service(dbFile);
    const h = await inboundCall({ from: client(2), did: DID['ext101']!, talkSeconds: 5 });
    const live = await waitUntil(async () => {
      const r = await api(first, `/api/v1/calls?linkedId=${h.linkedid}`, token);
      const c = r.body?.items?.[0];
      return c && c.state === 'live' && c.answeredAt ? c : undefined;
    }, 15_000, 'the call talking in the log');
    await first.kill9();
    running.splice(running.indexOf(first), 1);
    const rows = await waitForCdr(h.linkedid, 20_000);
    const unseen = await inboundCall({ from: client(3), did: DID['group600']!, talkSeconds: 3 });
    const unseenRows = await waitForCdr(unseen.linkedid, 20_000);

    const second = await service(dbFile);
    const call = await loggedCall(second, token, h.linkedid, 30_000);
    expect(call).toMatchObject({ id: live.id, source: 'ami+cdr', direction: 'inbound', disposition: 'answered', extension: '101', externalNumber: client(2) });
    expectExact(call, rows);
    const never = await loggedCall(second, token, unseen.linkedid, 30_000);
    expect(never).toMatchObject({ source: 'cdr', direction: 'inbound', disposition: 'answered', externalNumber: client(3) });
    expect(['101', '102']).toContain(never.extension);
    expectExact(never, unseenRows);
    await expectRecordingPlays(second, token, h.linkedid, 'in-');
    await expectRecordingPlays(second, token, unseen.linkedid, 'rg-600-');
    const all = await api(second, '/api/v1/calls?limit=500', token);
    expect(all.body.items.filter((c: any) => c.linkedId === h.linkedid || c.linkedId === unseen.linkedid)).toHaveLength(2);
  });
});
