// The live board's queue panel on the sandbox Asterisk: the service, as the least-rights `cti` AMI user
// (read call,user,agent; no write right for QueueStatus), starts from QueueStatus with the sandbox's
// queues sales (101, 102) and night (198), then follows a member paused over AMI with a reason
// (QueuePause, as a supervisor's tool or a phone's feature code would): GET /api/v1/live and the
// supervisor's live:delta say "paused" with that reason, and free again once unpaused.
// CTI_RECORD_FIXTURES=1 writes what the `cti` user received to tests/fixtures/ami/queue-pause.ami.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveDelta, LiveSnapshot, QueueView } from '../../src/live/model.js';
import { fixturesDir } from '../support/ami-fixture.js';
import { amiAction, closeSandbox, loadSandboxEnv, RawAmiCapture, waitUntil } from '../support/sandbox.js';
import { api, newDbFile, seedUser, startService, type ServiceProcess } from '../support/service.js';
import { sessionCookieIn, socketFor, type ClientSocket } from '../support/session.js';

let svc: ServiceProcess | null = null;
let dbFile: string;
let sveta: string;
let sock: ClientSocket | null = null;
let capture: RawAmiCapture | null = null;
const deltas: LiveDelta[] = [];
const REASON = `обед ${Math.floor(Math.random() * 900) + 100}`;

const board = async (): Promise<LiveSnapshot> => {
  const r = await api<LiveSnapshot>(svc!, '/api/v1/live', sveta);
  expect(r.status).toBe(200);
  return r.body;
};
const queue = (b: { queues?: QueueView[] }, name: string) => b.queues?.find((q) => q.queue === name);
const pause = (paused: boolean, reason?: string) => amiAction({
  action: 'QueuePause', queue: 'sales', interface: 'PJSIP/101', paused: paused ? 'true' : 'false', ...(reason ? { reason } : {}),
});

beforeAll(async () => {
  dbFile = newDbFile();
  await seedUser(dbFile, 'anna', 'manager', '101');
  await seedUser(dbFile, 'boris', 'manager', '102');
  sveta = await seedUser(dbFile, 'sveta', 'supervisor');
  const env = loadSandboxEnv();
  capture = new RawAmiCapture(env.CTI_AMI_USER, env.CTI_AMI_SECRET);
  await capture.start();
  svc = await startService({ dbFile });
  sock = await socketFor(svc.url, await sessionCookieIn(dbFile, 'sveta'));
  sock.on('live:delta', (d) => deltas.push(d as LiveDelta));
  sock.emit('live:watch', true);
});

afterAll(async () => {
  // Leave the sandbox as found, whatever happened.
  await pause(false).catch(() => undefined);
  const bytes = capture?.stop();
  if (bytes && process.env['CTI_RECORD_FIXTURES'] === '1') writeFileSync(join(fixturesDir, 'queue-pause.ami'), bytes);
  sock?.close();
  await svc?.stop();
  await closeSandbox();
});

describe('queue members on the live board, from the sandbox PBX', () => {
  it('starts from QueueStatus: both queues with their members, named by the users on their phones', async () => {
    const b = await waitUntil(async () => {
      const s = await board();
      return s.pbx === 'connected' && queue(s, 'sales')?.members.length === 2 ? s : undefined;
    }, 15_000, 'the sales queue on the board');
    expect(queue(b, 'sales')!.members.map((m) => [m.extension, m.name, m.paused])).toEqual([['101', 'anna', false], ['102', 'boris', false]]);
    expect(queue(b, 'night')!.members.map((m) => [m.interface, m.extension])).toEqual([['PJSIP/198', '198']]);
    expect(queue(b, 'sales')!.waiting).toBe(0);
  });

  it('a member paused with a reason is shown paused with that reason, then free again', async () => {
    await pause(true, REASON);
    const paused = await waitUntil(async () => {
      const m = queue(await board(), 'sales')?.members.find((x) => x.extension === '101');
      return m?.state === 'paused' ? m : undefined;
    }, 10_000, '101 paused on the board');
    expect(paused).toMatchObject({ paused: true, pausedReason: REASON, name: 'anna' });
    // Pushed to the watching supervisor too, and only 101 in sales moved.
    await waitUntil(() => deltas.some((d) => queue(d, 'sales')?.members.find((x) => x.extension === '101')?.pausedReason === REASON), 5_000, 'the delta');
    const b = await board();
    expect(queue(b, 'sales')!.members.find((x) => x.extension === '102')).toMatchObject({ paused: false });

    await pause(false);
    const free = await waitUntil(async () => {
      const m = queue(await board(), 'sales')?.members.find((x) => x.extension === '101');
      return m && !m.paused ? m : undefined;
    }, 10_000, '101 unpaused on the board');
    expect(free.pausedReason).toBeNull();
    expect(['available', 'offline']).toContain(free.state);
  });
});
