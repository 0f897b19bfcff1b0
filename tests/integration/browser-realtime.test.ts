// The manager's browser side on the sandbox Asterisk: click-to-call progress (the PBX rings the
// manager's phone 101 first, then the client; Asterisk's DialBegin events are the oracle for the order),
// plain failure reasons, and the pop of a real inbound call reaching only the ringing extension's socket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { C2cProgress, ScreenPop } from '../../src/contract/index.js';
import { coreShowChannels, hangupChannel, hangupEverything, inboundCall, oneCdr, onAmiEvent, sandboxAmi, waitForCdr, waitUntil, type AmiMessage } from '../support/sandbox.js';
import { loggedCall, newDbFile, seedUser, startService, type ServiceProcess } from '../support/service.js';
import { sessionCookieIn, socketFor, type ClientSocket } from '../support/session.js';

let svc: ServiceProcess | null = null;
let dbFile: string;
let supervisor: string;
const sockets: ClientSocket[] = [];
const RUN = String(Math.floor(Math.random() * 9000) + 1000);

/** DialBegin events as Asterisk reports them (sandbox AMI user), per linkedid, in order. */
const dials = new Map<string, { dest: string; at: number }[]>();
let off: (() => void) | null = null;

const cookieFor = (name: string): Promise<string> => sessionCookieIn(dbFile, name);

async function socket(name: string): Promise<{ s: ClientSocket; got: { name: string; payload: any }[] }> {
  const s = await socketFor(svc!.url, await cookieFor(name));
  sockets.push(s);
  const got: { name: string; payload: any }[] = [];
  s.onAny((n: string, p: unknown) => got.push({ name: n, payload: p }));
  return { s, got };
}

async function c2c(name: string, number: string): Promise<{ status: number; body: any }> {
  const r = await fetch(`${svc!.url}/api/v1/calls/click-to-call`, {
    method: 'POST', headers: { cookie: await cookieFor(name), 'x-cti-csrf': '1', 'content-type': 'application/json' }, body: JSON.stringify({ number }),
  });
  return { status: r.status, body: await r.json() };
}

beforeAll(async () => {
  await sandboxAmi();
  off = onAmiEvent((e: AmiMessage) => {
    if (e.event !== 'DialBegin') return;
    const l = String(e.destlinkedid || e.linkedid);
    dials.set(l, [...(dials.get(l) ?? []), { dest: String(e.destchannel), at: Number(e.timestamp) * 1000 }]);
  });
  dbFile = newDbFile();
  for (const [name, ext] of [['anna', '101'], ['boris', '102'], ['busy', '199'], ['sleepy', '198'], ['ghost', '104']] as const) await seedUser(dbFile, name, 'manager', ext);
  supervisor = await seedUser(dbFile, 'sveta', 'supervisor');
  svc = await startService({
    dbFile, rules: { defaultTarget: { extension: '101' }, managerRingSeconds: 6, targetRingSeconds: 10, tiers: [] },
    // 198 never answers: it rings this long instead of the default 30 s (all else as in production).
    env: { CTI_CLICK_TO_CALL_RING_S: '10' },
  });
});

afterAll(async () => {
  for (const s of sockets) s.close();
  // 198 rings for 10 s: a test that failed before it stopped must not leave it ringing into the next file.
  await hangupEverything({ waitMs: 5000 });
  off?.();
  await svc?.stop();
});

describe('click-to-call and pops on the sandbox Asterisk', () => {
  it('click-to-call: 101 rings first, then the client; progress calling_you -> calling_client -> talking -> ended', async () => {
    const { got } = await socket('anna');
    const number = `+7916${RUN}123`;
    const r = await c2c('anna', number);
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    const requestId: string = r.body.requestId;
    const stages = () => got.filter((e) => e.name === 'c2c:progress').map((e) => e.payload as C2cProgress);
    await waitUntil(() => stages().some((p) => p.stage === 'talking'), 20_000, 'talking');
    // PBX side: the manager's phone was dialled first, then the client (Local/<digits>@sandbox-pstn).
    const d = dials.get(requestId) ?? [];
    expect(d.map((x) => x.dest.replace(/-[0-9a-f]+(;\d)?$/, ''))).toEqual(['PJSIP/101', `Local/${number.slice(1)}@sandbox-pstn`]);
    expect(d[0]!.at).toBeLessThan(d[1]!.at);
    const chan = await waitUntil(async () => (await coreShowChannels()).find((c) => c.linkedid === requestId && c.channel.startsWith('PJSIP/101-')), 5000, '101 channel');
    await hangupChannel(chan.channel);
    await waitUntil(() => stages().some((p) => p.stage === 'ended'), 10_000, 'ended');
    expect(stages().map((p) => p.stage)).toEqual(['calling_you', 'calling_client', 'talking', 'ended']);
    expect(stages().every((p) => p.requestId === requestId)).toBe(true);
    expect(stages().at(-1)!.callId).toBeTypeOf('string');
    // No pop for a call the manager started.
    expect(got.filter((e) => e.name === 'call:ringing')).toEqual([]);
  });

  it("says plainly when the manager's own phone is busy, does not answer or is not registered", async () => {
    const busy = await socket('busy');
    const sleepy = await socket('sleepy');
    const ghost = await socket('ghost');
    const rb = await c2c('busy', `+7916${RUN}124`);
    const rs = await c2c('sleepy', `+7916${RUN}126`);
    const rg = await c2c('ghost', `+7916${RUN}125`);
    expect([rb.status, rs.status, rg.status]).toEqual([202, 202, 202]);
    const last = (g: typeof busy.got) => g.filter((e) => e.name === 'c2c:progress').map((e) => e.payload as C2cProgress).find((p) => p.stage === 'failed');
    expect((await waitUntil(() => last(busy.got), 15_000, 'busy')).reason).toBe('you_busy');
    expect((await waitUntil(() => last(ghost.got), 15_000, 'not registered')).reason).toBe('not_registered');
    // 198 rings for click-to-call's ring time (CTI_CLICK_TO_CALL_RING_S, 10 s here), then Originate gives up.
    expect((await waitUntil(() => last(sleepy.got), 50_000, 'no answer')).reason).toBe('you_no_answer');
    // The stored calls: outbound click-to-calls of the manager to the client, as Asterisk's CDR says
    // (before the fix they were logged as internal calls of 199/198 to themselves).
    for (const [r, ext, number, cdrDisposition, disposition] of [
      [rb, '199', `+7916${RUN}124`, 'BUSY', 'busy'], [rs, '198', `+7916${RUN}126`, 'NO ANSWER', 'no_answer'],
    ] as const) {
      const rows = await waitForCdr(r.body.requestId);
      const row = oneCdr(rows, (x) => x.channel.startsWith(`PJSIP/${ext}-`), `the originated ${ext} leg`);
      expect(row.disposition).toBe(cdrDisposition);
      const call = await loggedCall(svc!, supervisor, r.body.requestId);
      expect(call).toMatchObject({ direction: 'outbound', origin: 'click2call', extension: ext, externalNumber: number, disposition, talkSeconds: 0 });
      expect(Math.abs(call.ringSeconds - row.duration), `ring ${call.ringSeconds} vs CDR ${row.duration}`).toBeLessThanOrEqual(1);
    }
  });

  it("a real inbound call pops on 101's socket only, within a second of Asterisk's DialBegin", async () => {
    const anna = await socket('anna');
    const boris = await socket('boris');
    const h = await inboundCall({ from: `+7916${RUN}200`, did: '74950000000', talkSeconds: 1, timeoutSeconds: 20 });
    const pop = await waitUntil(() => anna.got.find((e) => e.name === 'call:ringing' && e.payload.linkedId === h.linkedid), 10_000, 'the pop');
    const arrived = Date.now();
    const card = pop.payload as ScreenPop;
    expect(card).toMatchObject({ extension: '101', direction: 'inbound', externalNumber: `+7916${RUN}200`, contact: null, prefill: { number: `+7916${RUN}200` } });
    const dial = (dials.get(h.linkedid) ?? []).find((x) => x.dest.startsWith('PJSIP/101-'));
    expect(dial).toBeDefined();
    expect(arrived - dial!.at).toBeLessThan(1000);
    await waitUntil(() => anna.got.find((e) => e.name === 'call:ended' && e.payload.linkedId === h.linkedid), 20_000, 'call:ended');
    expect(boris.got.filter((e) => e.name.startsWith('call:'))).toEqual([]);
  });
});
