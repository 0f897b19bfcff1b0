// Observe-only on a PBX whose dialplan we do not own: the FreePBX-shaped sandbox profile
// (CTI_PBX_PROFILE=freepbx, sandbox/freepbx/; what FreePBX does in each shape: sandbox/SCENARIOS.md
// "FreePBX profile"), with the service attached by an AMI user alone (and the CEL file the README's admin
// steps add). Each shape, placed for real, is checked as a supervisor would against Asterisk's own CDR:
// one record, the manager who answered, ring and talk time within 1 s, FreePBX's own recording (its
// dated folder and file name) found and played, whole and by Range; the pop reaches the browser of the
// phone that rings and no other; the calls report counts every call once.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ScreenPop } from '../../src/contract/index.js';
import {
  attendedTransfer, blindTransferAmi, completeAttendedTransfer, hangupEverything, inboundCall, loadSandboxEnv, Phone, readCdr, waitForCdr,
  waitForChannel, waitUntil, type CdrRow,
} from '../support/sandbox.js';
import { api, loggedCall, newDbFile, seedUser, startService, type ServiceProcess } from '../support/service.js';
import { sessionCookieIn, socketFor, type ClientSocket } from '../support/session.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const env = loadSandboxEnv();
if (env['CTI_PBX_PROFILE'] !== 'freepbx') throw new Error('the freepbx tier needs the sandbox up with CTI_PBX_PROFILE=freepbx (sandbox/pbx.sh)');
/** The profile's inbound routes (sandbox/freepbx/extensions.conf). */
const DID = Object.fromEntries((env['CTI_SANDBOX_FREEPBX_DIDS'] ?? '').split(',').filter(Boolean).map((kv) => kv.split(':') as [string, string]));
const RUN = String(Math.floor(Math.random() * 9000) + 1000);
const client = (n: number) => `+7916${RUN}${String(n).padStart(3, '0')}`;
const national = (n: number) => `8916${RUN}${String(n).padStart(3, '0')}`;

let svc: ServiceProcess;
let dbFile: string;
let supervisor: string;
let t0: string;
const runStartedAt = Date.now() - 1000;
const names: Record<string, string> = {}; // user id -> name
const phones: Record<string, Phone> = {};
const sockets: ClientSocket[] = [];
/** The pops each manager's browser got, by name. */
const pops: Record<string, ScreenPop[]> = { anna: [], boris: [], olga: [] };

beforeAll(async () => {
  t0 = new Date(Date.now() - 1000).toISOString();
  dbFile = newDbFile();
  supervisor = await seedUser(dbFile, 'sveta', 'supervisor');
  // olga's mobile is the number 103's follow-me rings (sandbox/freepbx/astdb.txt AMPUSER/103/followme/grplist).
  for (const [name, ext, mobile] of [['anna', '101', null], ['boris', '102', null], ['olga', '103', '+79160000103']] as const) {
    await seedUser(dbFile, name, 'manager', ext, mobile);
  }
  svc = await startService({ dbFile });
  for (const m of (await api(svc, '/api/v1/managers', supervisor)).body.items as { id: string; name: string }[]) names[m.id] = m.name;
  for (const ext of ['101', '102', '103']) phones[ext] = await new Phone(ext).open();
  for (const name of Object.keys(pops)) {
    const s = await socketFor(svc.url, await sessionCookieIn(dbFile, name));
    s.on('call:ringing', (p: ScreenPop) => pops[name]!.push(p));
    sockets.push(s);
  }
});

afterEach(async () => {
  // A test that failed half-way leaves neither a phone that only rings nor a call that holds one.
  for (const p of Object.values(phones)) await p.answerMode('auto').catch(() => undefined);
  await hangupEverything();
});

afterAll(async () => {
  for (const s of sockets) s.close();
  for (const p of Object.values(phones)) p.close();
  await svc?.stop();
});

async function logged(linkedId: string): Promise<any> {
  return waitUntil(async () => {
    const c = await loggedCall(svc, supervisor, linkedId, 30_000);
    return c.state === 'ended' && (c.disposition !== 'answered' || c.recording) ? c : undefined;
  }, 30_000, `call ${linkedId} ended, with its recording`, 250);
}

/** The simulated client's own CDR row (the ;1 half of the test trunk's Local channel into from-trunk). */
function clientRow(rows: CdrRow[]): CdrRow {
  const r = rows.find((x) => x.channel.includes('@from-trunk-') && x.channel.endsWith(';1'));
  if (!r) throw new Error(`no client row among ${rows.map((x) => x.channel).join(', ')}`);
  return r;
}

/** Ring (wait) and talk time against a CDR row's start, answer and end (µs times Asterisk wrote), within 1 s. */
function expectTimes(call: any, row: CdrRow) {
  expect(row.answer, `${row.channel} answered`).not.toBeNull();
  const talk = (row.end - row.answer!) / 1000;
  const ring = (row.answer! - row.start) / 1000;
  expect.soft(Math.abs(call.talkSeconds - talk), `talkSeconds ${call.talkSeconds} vs the CDR's ${talk.toFixed(2)}`).toBeLessThanOrEqual(1);
  expect.soft(Math.abs(call.ringSeconds - ring), `ringSeconds ${call.ringSeconds} vs the CDR's ${ring.toFixed(2)}`).toBeLessThanOrEqual(1);
}

/** Managers (by name) whose legs talked. */
const talkers = (call: any) => [...new Set((call.legs as any[]).filter((l) => l.talkSeconds > 0).map((l) => names[l.managerId] ?? `ext ${l.extension}`))].sort();

/** One record for the conversation: no other call of the log starts within it. */
async function expectOneRecord(call: any) {
  const page = await api(svc, `/api/v1/calls?from=${encodeURIComponent(call.startedAt)}&limit=50`, supervisor);
  const others = (page.body.items as any[]).filter((c) => c.id !== call.id && c.startedAt >= call.startedAt && c.startedAt <= call.endedAt);
  expect.soft(others.map((c) => `${c.direction} ${c.extension} ${c.disposition} ${c.linkedId}`)).toEqual([]);
}

/** FreePBX's recordings: Asterisk's monitor dir, dated folders (YYYY/MM/DD), as seen from here. */
function freepbxRecordings(prefix: string): string[] {
  const out: string[] = [];
  const walk = (d: string, depth: number): void => {
    if (!existsSync(d)) return;
    for (const f of readdirSync(d)) {
      const p = path.join(d, f);
      if (depth < 3 && statSync(p).isDirectory()) walk(p, depth + 1);
      else if (depth === 3 && f.startsWith(prefix) && f.endsWith('.wav')) out.push(p);
    }
  };
  walk(env.CTI_RECORDINGS_DIR, 0);
  return out;
}

/** A PCM WAV's length in seconds, from its header (fmt byte rate, data chunk size). */
function wavSeconds(b: Buffer): number {
  let off = 12;
  let rate = 0;
  while (off + 8 <= b.length) {
    const id = b.toString('ascii', off, off + 4);
    const len = b.readUInt32LE(off + 4);
    if (id === 'fmt ') rate = b.readUInt32LE(off + 16);
    if (id === 'data') return rate ? Math.min(len, b.length - off - 8) / rate : 0;
    off += 8 + len + (len % 2);
  }
  return 0;
}

/**
 * The recording the API serves is FreePBX's own file for this call (named `<prefix>...` in a dated
 * folder, found by nothing but MixMonitor's start in the event log), it lasts the talk time within 1 s
 * (less `heldSeconds` on hold), and plays whole and by Range.
 */
async function expectFreepbxRecording(call: any, prefix: string, heldSeconds = 0) {
  expect(call.recording, 'the call has a recording').not.toBeNull();
  if (!call.recording) return;
  const whole = await api(svc, call.recording.url, supervisor);
  expect(whole.status).toBe(200);
  expect(whole.headers.get('content-type')).toBe('audio/wav');
  const files = freepbxRecordings(prefix).filter((f) => statSync(f).mtimeMs >= runStartedAt && readFileSync(f).equals(whole.bytes));
  expect(files.map((f) => path.relative(env.CTI_RECORDINGS_DIR, f)), `FreePBX's ${prefix}... file, served as it is`).toHaveLength(1);
  expect(path.relative(env.CTI_RECORDINGS_DIR, files[0] ?? '')).toMatch(/^\d{4}\/\d{2}\/\d{2}\//);
  const seconds = wavSeconds(whole.bytes);
  const why = `recording ${seconds.toFixed(2)} s vs talk ${call.talkSeconds} s (hold ${heldSeconds} s)`;
  expect.soft(seconds, why).toBeGreaterThanOrEqual(call.talkSeconds - heldSeconds - 1);
  expect.soft(seconds, why).toBeLessThanOrEqual(call.talkSeconds + 1);
  const part = await api(svc, call.recording.url, supervisor, { headers: { range: 'bytes=100-1099' } });
  expect(part.status).toBe(206);
  expect(part.bytes.equals(whole.bytes.subarray(100, 1100))).toBe(true);
}

/** The pops each browser got for this call (by the client's number). */
const popsFor = (number: string) => Object.fromEntries(Object.entries(pops).map(([n, list]) => [n, list.filter((p) => p.externalNumber === number).length]));

const legOf = (linkedid: string, ext: string) =>
  waitForChannel((c) => c.linkedid === linkedid && c.channel.startsWith(`PJSIP/${ext}-`) && c.state === 'Up', 15_000, `PJSIP/${ext} of ${linkedid}`);

/** The CDR rows of the call a phone started after `since` (ms): outbound, internal, click-to-call. */
async function rowsOfPhoneCall(ext: string, dst: string, sinceMs: number): Promise<CdrRow[]> {
  const row = await waitUntil(() => readCdr().find((r) => r.start >= sinceMs - 1000 && r.channel.startsWith(`PJSIP/${ext}-`) && r.lastapp === 'Dial' && r.dst === dst), 20_000, `the CDR of ${ext} -> ${dst}`);
  return waitForCdr(row.linkedid);
}

describe('observe-only on the FreePBX-shaped PBX: every shape checked against Asterisk\'s CDR', () => {
  it('inbound to an extension: the DID\'s route rings 101, anna\'s call with FreePBX\'s in- recording; only anna\'s browser pops', async () => {
    const number = client(1);
    const h = await inboundCall({ from: number, did: DID['ext101']!, talkSeconds: 4 });
    const rows = await waitForCdr(h.linkedid);
    const call = await logged(h.linkedid);
    expect(call).toMatchObject({ direction: 'inbound', disposition: 'answered', extension: '101', externalNumber: number, routedBy: null });
    expect(names[call.manager?.id]).toBe('anna');
    expectTimes(call, clientRow(rows));
    await expectOneRecord(call);
    await expectFreepbxRecording(call, `in-${DID['ext101']}-${number}-`);
    await waitUntil(() => popsFor(number)['anna']! > 0, 5_000, "anna's pop");
    expect(popsFor(number)).toEqual({ anna: 1, boris: 0, olga: 0 });
  });

  it('ring group 600 (ringall 101, 102): boris answers after 2 s; both browsers pop, the call is boris\'s', async () => {
    const number = client(2);
    await Promise.all([phones['101']!.answerMode('manual'), phones['102']!.answerMode('manual')]);
    phones['102']!.clearEvents();
    const h = await inboundCall({ from: number, did: DID['group600']!, talkSeconds: 4 });
    await phones['102']!.waitFor('CALL_INCOMING', 10_000);
    await sleep(2000);
    await phones['102']!.answer();
    const rows = await waitForCdr(h.linkedid, 30_000);
    const call = await logged(h.linkedid);
    expect(call).toMatchObject({ direction: 'inbound', disposition: 'answered', extension: '102', externalNumber: number });
    expect(talkers(call)).toEqual(['boris']);
    expect(call.ringSeconds).toBeGreaterThanOrEqual(1.5);
    expectTimes(call, clientRow(rows));
    await expectOneRecord(call);
    await expectFreepbxRecording(call, `rg-600-${number}-`);
    expect(popsFor(number)).toEqual({ anna: 1, boris: 1, olga: 0 });
  });

  it('queue 400 (members Local/10x@from-queue/n): 102 only rings, anna answers; queue 400 on the record', async () => {
    const number = client(3);
    await phones['102']!.answerMode('manual');
    const h = await inboundCall({ from: number, did: DID['queue400']!, talkSeconds: 4 });
    const rows = await waitForCdr(h.linkedid, 30_000);
    const call = await logged(h.linkedid);
    expect(call).toMatchObject({ direction: 'inbound', disposition: 'answered', extension: '101', externalNumber: number, queue: '400', queueOutcome: 'answered' });
    expect(talkers(call)).toEqual(['anna']);
    expectTimes(call, clientRow(rows));
    await expectOneRecord(call);
    await expectFreepbxRecording(call, `q-400-${number}-`);
    expect(popsFor(number)['olga']).toBe(0);
    expect(popsFor(number)['anna']).toBe(1);
  });

  it("follow-me of 103 to an outside number: the desk phone does not answer, olga's mobile does; olga's call", async () => {
    const number = client(4);
    await phones['103']!.answerMode('manual');
    const h = await inboundCall({ from: number, did: DID['followme103']!, talkSeconds: 5 });
    const rows = await waitForCdr(h.linkedid, 40_000);
    const call = await logged(h.linkedid);
    expect(call).toMatchObject({ direction: 'inbound', disposition: 'answered', extension: '103', externalNumber: number });
    expect(names[call.manager?.id]).toBe('olga');
    // The mobile leg talked, the desk phone only rang.
    const legs = call.legs as any[];
    expect(legs.filter((l) => l.talkSeconds > 0).map((l) => names[l.managerId])).toEqual(['olga']);
    expect(call.ringSeconds).toBeGreaterThanOrEqual(5);
    expectTimes(call, clientRow(rows));
    await expectOneRecord(call);
    await expectFreepbxRecording(call, `external-103-${number}-`);
  });

  it("outbound from 101 through FreePBX's outbound route and trunk: anna's call to the client, out- recording", async () => {
    const dialled = national(5);
    const since = Date.now();
    const p = phones['101']!;
    p.clearEvents();
    await p.dial(dialled);
    await p.waitFor('CALL_ESTABLISHED', 15_000);
    await sleep(4000);
    await p.hangup();
    const rows = await rowsOfPhoneCall('101', dialled, since);
    const call = await logged(rows[0]!.linkedid);
    expect(call).toMatchObject({ direction: 'outbound', origin: null, disposition: 'answered', extension: '101', externalNumber: client(5) });
    expectTimes(call, rows.find((r) => r.channel.startsWith('PJSIP/101-') && r.lastapp === 'Dial')!);
    await expectOneRecord(call);
    await expectFreepbxRecording(call, `out-${dialled}-101-`);
  });

  it("internal 101 -> 102: an internal call, internal- recording; the colleague's call pops on boris's page only", async () => {
    const since = Date.now();
    const p = phones['101']!;
    p.clearEvents();
    const before = popsFor('101');
    await p.dial('102');
    await p.waitFor('CALL_ESTABLISHED', 15_000);
    await sleep(4000);
    await p.hangup();
    const rows = await rowsOfPhoneCall('101', '102', since);
    const call = await logged(rows[0]!.linkedid);
    expect(call).toMatchObject({ direction: 'internal', disposition: 'answered', extension: '102' });
    expect(talkers(call)).toEqual(['anna', 'boris']);
    expectTimes(call, rows.find((r) => r.channel.startsWith('PJSIP/101-') && r.lastapp === 'Dial')!);
    await expectOneRecord(call);
    await expectFreepbxRecording(call, 'internal-102-101-');
    expect(popsFor('101')).toEqual({ anna: before['anna'], boris: before['boris']! + 1, olga: before['olga'] });
  });

  it("click-to-call from anna's card through FreePBX's from-internal: her phone first, then the client; out- recording", async () => {
    const number = client(7);
    const digits = number.slice(1); // the service dials E.164 without the plus
    const since = Date.now();
    const r = await fetch(`${svc.url}/api/v1/calls/click-to-call`, {
      method: 'POST', headers: { cookie: await sessionCookieIn(dbFile, 'anna'), 'x-cti-csrf': '1', 'content-type': 'application/json' }, body: JSON.stringify({ number }),
    });
    expect(r.status, await r.clone().text()).toBe(202);
    await phones['101']!.waitFor('CALL_ESTABLISHED', 15_000);
    await sleep(5000);
    await phones['101']!.hangup();
    const rows = await rowsOfPhoneCall('101', digits, since);
    const call = await logged(rows[0]!.linkedid);
    expect(call).toMatchObject({ direction: 'outbound', origin: 'click2call', disposition: 'answered', extension: '101', externalNumber: number });
    // The manager's row bills from the manager's answer; the client's (the trunk's far end) from the client's.
    const all = await waitForCdr(call.linkedId);
    const phoneRow = all.find((x) => x.channel.startsWith('PJSIP/101-') && x.lastapp === 'Dial')!;
    const clientSide = all.find((x) => x.channel.includes('@sandbox-pstn-') && x.channel.endsWith(';2'))!;
    expectTimes(call, { ...clientSide, start: phoneRow.start });
    expect(Date.parse(call.legs[0].answeredAt)).toBeLessThan(Date.parse(call.answeredAt));
    await expectOneRecord(call);
    await expectFreepbxRecording(call, `out-${digits}-101-`);
  });

  it('blind transfer 101 -> 102 (AMI BlindTransfer into from-internal-xfer): one call, boris\'s, both legs talked', async () => {
    const number = client(8);
    const h = await inboundCall({ from: number, did: DID['ext101']! });
    const leg = await legOf(h.linkedid, '101');
    await sleep(3000);
    phones['102']!.clearEvents();
    await blindTransferAmi(leg.channel, '102', 'from-internal-xfer');
    await phones['102']!.waitFor('CALL_ESTABLISHED', 10_000);
    await sleep(4000);
    await phones['102']!.hangup();
    const rows = await waitForCdr(h.linkedid, 30_000);
    const call = await logged(h.linkedid);
    expect(call).toMatchObject({ direction: 'inbound', disposition: 'answered', extension: '102', externalNumber: number });
    expect(talkers(call)).toEqual(['anna', 'boris']);
    expectTimes(call, clientRow(rows));
    await expectOneRecord(call);
    // The inbound route's recording runs on the client's channel: it covers both managers.
    await expectFreepbxRecording(call, `in-${DID['ext101']}-${number}-`);
  });

  it('attended transfer 101 -> 102 (AMI Atxfer): the consultation joins the call; boris\'s, one record', async () => {
    const number = client(9);
    const h = await inboundCall({ from: number, did: DID['ext101']! });
    const leg = await legOf(h.linkedid, '101');
    await sleep(3000);
    phones['102']!.clearEvents();
    await attendedTransfer(leg.channel, '102', 'from-internal-xfer');
    await phones['102']!.waitFor('CALL_ESTABLISHED', 10_000);
    await sleep(3000);
    await completeAttendedTransfer(leg.channel);
    await sleep(4000);
    await phones['102']!.hangup();
    const rows = await waitForCdr(h.linkedid, 30_000);
    const call = await logged(h.linkedid);
    expect(call).toMatchObject({ direction: 'inbound', disposition: 'answered', extension: '102', externalNumber: number });
    expect(talkers(call)).toEqual(['anna', 'boris']);
    expectTimes(call, clientRow(rows));
    await expectOneRecord(call);
    // The client was on hold for the 3 s consultation.
    await expectFreepbxRecording(call, `in-${DID['ext101']}-${number}-`, 3.5);
  });

  it('the calls report counts every call of this run once (6 inbound, 2 outbound, 1 internal)', async () => {
    const to = new Date(Date.now() + 60_000).toISOString();
    const r = await api(svc, `/api/v1/reports/calls?from=${encodeURIComponent(t0)}&to=${encodeURIComponent(to)}&groupBy=manager`, supervisor);
    expect(r.status).toBe(200);
    const m = r.body.totals.metrics;
    expect({ calls: m.calls.value, in: m.callsIn.value, out: m.callsOut.value, internal: m.callsInternal.value, answered: m.answered.value })
      .toEqual({ calls: 9, in: 6, out: 2, internal: 1, answered: 9 });
    const byManager = Object.fromEntries((r.body.rows as any[]).map((row) => [row.managerName ?? row.extension, row.metrics.calls.value]));
    expect(byManager).toMatchObject({ anna: 4, boris: 4, olga: 1 });
  });
});
