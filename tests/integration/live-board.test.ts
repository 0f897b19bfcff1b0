// The live board on the sandbox Asterisk: the service (as the least-rights `cti` AMI user) learns every
// phone's state from DeviceStateList at connect, then follows a real inbound call to phone 198 (which
// rings until the test answers it): 198 goes ringing -> talking -> available, the call waits, is talked
// and goes, and today's counters move. What the supervisor's socket receives (live:delta) and what
// GET /api/v1/live returns are checked against the PBX's own word (the sandbox user's DeviceStateChange).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveDelta, LiveSnapshot } from '../../src/live/model.js';
import { closeSandbox, inboundCall, onAmiEvent, Phone, sandboxAmi, waitUntil, type AmiMessage } from '../support/sandbox.js';
import { api, loggedCall, newDbFile, seedUser, startService, type ServiceProcess } from '../support/service.js';
import { sessionCookieIn, socketFor, type ClientSocket } from '../support/session.js';

let svc: ServiceProcess | null = null;
let dbFile: string;
let sveta: string;
let anna: string;
let sock: ClientSocket | null = null;
const deltas: LiveDelta[] = [];
const pbxStates: { device: string; state: string }[] = [];
let off: (() => void) | null = null;
const phone198 = () => new Phone(198);

const cookieFor = (name: string): Promise<string> => sessionCookieIn(dbFile, name);

const board = async (): Promise<LiveSnapshot> => {
  const r = await api<LiveSnapshot>(svc!, '/api/v1/live', sveta);
  expect(r.status).toBe(200);
  return r.body;
};
/** The states a phone went through in the deltas received so far, repeats folded. */
const statesOf = (ext: string) => deltas.flatMap((d) => d.managers ?? []).filter((m) => m.extension === ext)
  .map((m) => m.state).filter((s, i, a) => s !== a[i - 1]);

beforeAll(async () => {
  await sandboxAmi();
  off = onAmiEvent((e: AmiMessage) => {
    if (e['event'] === 'DeviceStateChange' && e['device'] === 'PJSIP/198') pbxStates.push({ device: String(e['device']), state: String(e['state']) });
  });
  dbFile = newDbFile();
  anna = await seedUser(dbFile, 'anna', 'manager', '101');
  await seedUser(dbFile, 'sleepy', 'manager', '198');
  await seedUser(dbFile, 'ghost', 'manager', '104'); // no such phone on the PBX
  sveta = await seedUser(dbFile, 'sveta', 'supervisor');
  svc = await startService({ dbFile, rules: { defaultTarget: { extension: '198' }, managerRingSeconds: 20, targetRingSeconds: 20, tiers: [] } });
  sock = await socketFor(svc.url, await cookieFor('sveta'));
  sock.on('live:delta', (d) => deltas.push(d as LiveDelta));
  sock.emit('live:watch', true);
});

afterAll(async () => {
  sock?.close();
  off?.();
  await svc?.stop();
  await closeSandbox();
});

describe('live board on the sandbox PBX', () => {
  it('starts from the PBX: phones registered and idle are available, a user without a phone is offline, a phone nobody has gets no card', async () => {
    const b = await waitUntil(async () => {
      const s = await board();
      return s.pbx === 'connected' && s.managers.find((m) => m.extension === '101')?.state === 'available' ? s : undefined;
    }, 10_000, 'device states from DeviceStateList');
    const by = (ext: string) => b.managers.find((m) => m.extension === ext);
    expect(by('101')).toMatchObject({ name: 'anna', state: 'available', deviceState: 'idle' });
    expect(by('198')).toMatchObject({ name: 'sleepy', state: 'available' });
    expect(b.managers.map((m) => m.extension)).not.toContain('102'); // registered on the PBX, but nobody's phone: not a manager
    expect(by('104')).toMatchObject({ name: 'ghost', state: 'offline', deviceState: null });
    expect(b.calls).toEqual([]);
  });

  it('a manager gets 403', async () => {
    const r = await api(svc!, '/api/v1/live', anna);
    expect(r.status).toBe(403);
  });

  it('a real inbound call: it waits while 198 rings, 198 talks once answered, then the call goes and the counters move', async () => {
    const before = (await board()).counters;
    const p = await phone198().open();
    try {
      const client = `+7926${String(Date.now()).slice(-7)}`;
      const h = await inboundCall({ from: client, did: '74950000000', talkSeconds: 3, timeoutSeconds: 40 });
      await p.waitFor('CALL_INCOMING', 15_000);

      // Ringing: the call waits, and 198 rings.
      const ringing = await waitUntil(async () => {
        const s = await board();
        const c = s.calls.find((x) => x.waiting && x.extension === '198');
        return c && s.managers.find((m) => m.extension === '198')?.state === 'ringing' ? { s, c } : undefined;
      }, 5000, 'the waiting call and 198 ringing');
      expect(ringing.c).toMatchObject({ direction: 'inbound', state: 'ringing', managerName: 'sleepy', externalNumber: client, answeredAt: null });
      await new Promise((r) => setTimeout(r, 1200)); // a visible wait

      await p.answer();
      const talking = await waitUntil(async () => {
        const s = await board();
        const c = s.calls.find((x) => x.id === ringing.c.id && x.state === 'talking');
        return c && s.managers.find((m) => m.extension === '198')?.state === 'talking' ? c : undefined;
      }, 5000, '198 talking');
      expect(talking).toMatchObject({ waiting: false, extension: '198', externalNumber: client });
      expect(Date.parse(talking.answeredAt!) - Date.parse(talking.startedAt)).toBeGreaterThanOrEqual(1000);

      // The client hangs up after 3 s of talk.
      const logged = await loggedCall(svc!, sveta, h.linkedid, 20_000);
      const after = await waitUntil(async () => {
        const s = await board();
        const done = !s.calls.some((x) => x.id === ringing.c.id) && s.managers.find((m) => m.extension === '198')?.state === 'available';
        return done && s.counters.total.calls > before.total.calls ? s : undefined;
      }, 8000, 'the call gone, 198 available, counters moved');
      const row = (c: LiveSnapshot['counters'], ext: string) => c.managers.find((m) => m.extension === ext) ?? { calls: 0, answered: 0, missed: 0, talkSeconds: 0 };
      expect(after.counters.total.calls).toBe(before.total.calls + 1);
      expect(after.counters.total.answered).toBe(before.total.answered + 1);
      expect(row(after.counters, '198')).toMatchObject({ calls: row(before, '198').calls + 1, answered: row(before, '198').answered + 1 });
      expect(row(after.counters, '198').talkSeconds - row(before, '198').talkSeconds).toBe(logged.talkSeconds);

      // The supervisor's socket saw it all, in the order the PBX said it.
      expect(statesOf('198')).toEqual(expect.arrayContaining(['ringing', 'talking', 'available']));
      const seq = statesOf('198');
      expect(seq.indexOf('ringing')).toBeLessThan(seq.lastIndexOf('talking'));
      expect(seq.lastIndexOf('talking')).toBeLessThan(seq.lastIndexOf('available'));
      expect(pbxStates.map((s) => s.state)).toEqual(expect.arrayContaining(['RINGING', 'INUSE', 'NOT_INUSE']));
      const seen = deltas.flatMap((d) => d.calls ?? []).filter((c) => c.id === ringing.c.id);
      expect(seen.some((c) => c.waiting)).toBe(true);
      expect(seen.some((c) => c.state === 'talking')).toBe(true);
      expect(deltas.some((d) => d.removedCalls?.includes(ringing.c.id))).toBe(true);
      for (let i = 1; i < deltas.length; i++) expect(deltas[i]!.seq).toBe(deltas[i - 1]!.seq + 1);
    } finally {
      p.close();
    }
  });
});
