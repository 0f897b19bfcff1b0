// Nothing lost: the service killed with -9 mid-call, or cut off from AMI mid-call, still ends up with
// every call in its log, complete and exact against Asterisk's own CDR. Real sandbox Asterisk.
import { afterEach, describe, expect, it } from 'vitest';
import { inboundCall, loadSandboxEnv, waitForCdr, waitUntil, type CdrRow } from '../support/sandbox.js';
import { AmiProxy, api, loggedCall, newDbFile, seedUser, startService, type ServiceProcess } from '../support/service.js';

const running: ServiceProcess[] = [];
let proxy: AmiProxy | null = null;
afterEach(async () => {
  for (const s of running.splice(0)) await s.kill9();
  await proxy?.cut();
  proxy = null;
});

async function service(dbFile: string, env: Record<string, string> = {}): Promise<ServiceProcess> {
  const s = await startService({ dbFile, env });
  running.push(s);
  return s;
}

const dialTo = (ext: string) => (r: CdrRow) => r.lastapp === 'Dial' && r.dstchannel.startsWith(`PJSIP/${ext}-`);

function expectExact(call: any, rows: CdrRow[], ext: string) {
  const dial = rows.find(dialTo(ext));
  expect(dial, 'the Dial row').toBeDefined();
  expect(call).toMatchObject({ state: 'ended', direction: 'inbound', disposition: 'answered', extension: ext });
  expect(Math.abs(call.talkSeconds - dial!.billsec), `talk ${call.talkSeconds} vs billsec ${dial!.billsec}`).toBeLessThanOrEqual(1);
  expect(Math.abs(call.ringSeconds - (dial!.duration - dial!.billsec))).toBeLessThanOrEqual(1);
  expect(Date.parse(call.endedAt) - Date.parse(call.startedAt)).toBeGreaterThanOrEqual(dial!.billsec * 1000 - 1000);
}

/**
 * The call has its recording, and it plays: GET /calls/:id names it, the file is served whole (200) and
 * by Range (206), and it is a WAV with seconds of sound in it (the sandbox phones send a tone), not a
 * bare header. Waits a little: a file found after the CDR row is filled in by a later reconcile pass.
 */
async function expectRecordingPlays(svc: ServiceProcess, token: string, callId: string): Promise<void> {
  const call = await waitUntil(async () => {
    const r = await api(svc, `/api/v1/calls/${callId}`, token);
    return r.status === 200 && r.body.recording ? r.body : undefined;
  }, 15_000, `call ${callId} with its recording`, 250).catch(async (err) => {
    const r = await api(svc, `/api/v1/calls/${callId}`, token);
    throw new Error(`${(err as Error).message}; the call: ${JSON.stringify({ ...r.body, legs: undefined })}`);
  });
  expect(call.recording.url).toBe(`/api/v1/calls/${callId}/recording`);
  expect(call.recording.durationSeconds).toBeGreaterThanOrEqual(call.talkSeconds - 1);
  const whole = await api(svc, call.recording.url, token);
  expect(whole.status).toBe(200);
  expect(whole.headers.get('content-type')).toBe('audio/wav');
  expect(whole.bytes.subarray(0, 4).toString()).toBe('RIFF');
  expect(whole.bytes.length, 'a WAV with seconds of audio, not a header').toBeGreaterThan(16_000);
  // Not silence: 16-bit PCM samples after the 44-byte header reach a tone's amplitude.
  let peak = 0;
  for (let i = 44; i + 1 < whole.bytes.length; i += 2) peak = Math.max(peak, Math.abs(whole.bytes.readInt16LE(i)));
  expect(peak, 'the peak sample of the recording').toBeGreaterThan(1000);
  const part = await api(svc, call.recording.url, token, { headers: { range: 'bytes=1000-4999' } });
  expect(part.status).toBe(206);
  expect(part.headers.get('content-range')).toBe(`bytes 1000-4999/${whole.bytes.length}`);
  expect(part.bytes.equals(whole.bytes.subarray(1000, 5000))).toBe(true);
}

/** The call as the service logged it, while it is still in progress and answered. */
async function seenTalking(svc: ServiceProcess, token: string, linkedId: string): Promise<any> {
  return waitUntil(async () => {
    const r = await api(svc, `/api/v1/calls?linkedId=${linkedId}`, token);
    const c = r.body?.items?.[0];
    return c && c.state === 'live' && c.answeredAt ? c : undefined;
  }, 15_000, 'the call answered in the live log', 100);
}

describe('recovery', () => {
  it('a refused AMI or ARI login is reported plainly, naming the variable to fix', async () => {
    const dbFile = newDbFile();
    const admin = await seedUser(dbFile, 'root', 'admin'); // /healthz gives the details to admins only
    const svc = await startService({ dbFile, env: { CTI_AMI_SECRET: 'wrong-secret', CTI_ARI_PASSWORD: 'wrong-password' }, waitConnected: false });
    running.push(svc);
    const health = await waitUntil(async () => {
      const r = await fetch(`${svc.url}/healthz`, { headers: { authorization: `Bearer ${admin}` } });
      const b = await r.json();
      return r.status === 503 && b.ami.state === 'login_failed' && b.ari.error ? b : undefined;
    }, 20_000, 'healthz to report the refused logins');
    expect(health.ami.error).toMatch(/AMI login refused for user 'cti'.*CTI_AMI_SECRET/);
    expect(health.ari.error).toMatch(/ARI refused user 'cti'.*CTI_ARI_PASSWORD/);
  });

  it('kill -9 mid-call: after the restart the call is in the log, complete and exact', async () => {
    const dbFile = newDbFile();
    const token = await seedUser(dbFile, 'sveta', 'supervisor');
    const first = await service(dbFile);
    const h = await inboundCall({ from: '+79161230001', did: '74950000101', talkSeconds: 5 });
    const live = await seenTalking(first, token, h.linkedid);
    await first.kill9();
    // The call ends while we are dead; a second call comes and goes entirely while we are dead.
    const rows = await waitForCdr(h.linkedid, 20_000);
    const unseen = await inboundCall({ from: '+79161230002', did: '74950000102', talkSeconds: 3 });
    const unseenRows = await waitForCdr(unseen.linkedid, 20_000);

    const second = await service(dbFile);
    const call = await loggedCall(second, token, h.linkedid);
    expect(call.id).toBe(live.id);
    expect(call.source).toBe('ami+cdr');
    expect(call.externalNumber).toBe('+79161230001');
    expectExact(call, rows, '101');
    const never = await loggedCall(second, token, unseen.linkedid);
    expect(never.source).toBe('cdr');
    expect(never.externalNumber).toBe('+79161230002');
    expectExact(never, unseenRows, '102');
    await expectRecordingPlays(second, token, call.id);
    await expectRecordingPlays(second, token, never.id);

    // Reconciling again (another restart) changes nothing, recordings included.
    const callBefore = await loggedCall(second, token, h.linkedid);
    const neverBefore = await loggedCall(second, token, unseen.linkedid);
    await second.stop();
    running.splice(running.indexOf(second), 1);
    const third = await service(dbFile);
    expect(await loggedCall(third, token, h.linkedid)).toEqual(callBefore);
    expect(await loggedCall(third, token, unseen.linkedid)).toEqual(neverBefore);
    const all = await api(third, '/api/v1/calls?limit=500', token);
    expect(all.body.items.filter((c: any) => c.linkedId === h.linkedid || c.linkedId === unseen.linkedid)).toHaveLength(2);
  });

  it('kill -9 mid-call and back before it ends: the call in progress is adopted and finished exactly', async () => {
    const dbFile = newDbFile();
    const token = await seedUser(dbFile, 'sveta', 'supervisor');
    const first = await service(dbFile);
    const h = await inboundCall({ from: '+79161230003', did: '74950000101', talkSeconds: 8 });
    await seenTalking(first, token, h.linkedid);
    await first.kill9();
    const second = await service(dbFile);
    const rows = await waitForCdr(h.linkedid, 20_000);
    const call = await waitUntil(async () => {
      const c = await loggedCall(second, token, h.linkedid);
      return c.source === 'ami+cdr' ? c : undefined;
    }, 20_000, 'the adopted call completed from the CDR');
    expectExact(call, rows, '101');
    await expectRecordingPlays(second, token, call.id);
  });

  it('dropped AMI connection mid-call: the call is completed after the reconnect', async () => {
    const env = loadSandboxEnv();
    proxy = new AmiProxy(Number(env['CTI_AMI_PORT']));
    const port = await proxy.start();
    const dbFile = newDbFile();
    const token = await seedUser(dbFile, 'sveta', 'supervisor');
    // The proxy listens on loopback, whichever host the PBX is on.
    const svc = await service(dbFile, { CTI_AMI_HOST: '127.0.0.1', CTI_AMI_PORT: String(port) });
    const h = await inboundCall({ from: '+79161230004', did: '74950000101', talkSeconds: 4 });
    await seenTalking(svc, token, h.linkedid);
    await proxy.cut();
    await waitUntil(async () => (await fetch(`${svc.url}/healthz`)).status === 503, 10_000, 'healthz to report AMI down');
    const health = await (await fetch(`${svc.url}/healthz`, { headers: { authorization: `Bearer ${token}` } })).json();
    expect(health).toEqual({ status: 'down' }); // a supervisor: up or down, no details
    const admin = await seedUser(dbFile, 'root', 'admin');
    const details = await (await fetch(`${svc.url}/healthz`, { headers: { authorization: `Bearer ${admin}` } })).json();
    expect(details.ami.state).not.toBe('connected');
    // The call ends while we are cut off; another one starts while we are cut off and outlives the gap.
    const rows = await waitForCdr(h.linkedid, 20_000);
    const during = await inboundCall({ from: '+79161230005', did: '74950000102', talkSeconds: 8 });
    await new Promise((r) => setTimeout(r, 2000));
    await proxy.restore();
    await waitUntil(async () => (await fetch(`${svc.url}/healthz`)).status === 200, 40_000, 'AMI to reconnect');
    const call = await waitUntil(async () => {
      const c = await loggedCall(svc, token, h.linkedid);
      return c.source === 'ami+cdr' ? c : undefined;
    }, 20_000, 'the call completed from the CDR');
    expectExact(call, rows, '101');
    const duringRows = await waitForCdr(during.linkedid, 20_000);
    // Adopted in progress (ami+cdr) if the reconnect came before its end, else added from the CDR (cdr).
    const adopted = await waitUntil(async () => {
      const c = await loggedCall(svc, token, during.linkedid);
      return c.source !== 'ami' ? c : undefined;
    }, 20_000, 'the call that started during the gap');
    expectExact(adopted, duringRows, '102');
    await expectRecordingPlays(svc, token, call.id);
    await expectRecordingPlays(svc, token, adopted.id);
  });
});
