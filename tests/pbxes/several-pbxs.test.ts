// Several PBXs in one deployment (issue 14, part 4) with two real Asterisks: the sandbox beside the
// service (main, "Москва": its CEL file and recordings on this disk) and the second sandbox, on another
// host (kzn, "Казань": its own network namespace, its event log through cel_pgsql, its recordings over
// HTTPS with mutual TLS), named in CTI_PBXS_FILE. Extension 101 exists on both, with two managers.
// Every call is its PBX's with its manager and its recording, the pop reaches that PBX's 101 only, a DID
// rule of kzn routes there, the filters split the calls, and a service killed -9 with a call on each PBX
// completes both from each PBX's own event log.
// Run by scripts/test.sh (vitest project `pbxes`) with both sandboxes up: CTI_TEST_PBX2_DIR names the
// second one's folder.
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScreenPop } from '../../src/contract/index.js';
import { addUser, createToken } from '../../src/users/users.js';
import { openTestDb } from '../support/database.js';
import { api, newDbFile, startService, TEST_RULES, type ServiceProcess } from '../support/service.js';
import { closeSandbox, inboundCall, loadSandboxEnv, useSandbox, waitForCdr, waitUntil } from '../support/sandbox.js';
import { sessionCookieIn, socketFor, type ClientSocket } from '../support/session.js';

const SECOND = process.env['CTI_TEST_PBX2_DIR'];
const CLIENT = '+79161237001';
const DID_MAIN = '74950000555';
const DID_KZN = '78432000555';
const DID_KZN_DESK = '78432000777';

/** The second sandbox's settings, as CTI_PBXS_FILE names them, and the environment its secrets are in. */
function secondPbx(): { entry: object; env: Record<string, string> } {
  useSandbox(SECOND!);
  try {
    const e = loadSandboxEnv();
    const remote = e['CTI_SANDBOX_REMOTE'] === '1';
    return {
      entry: {
        id: 'kzn', name: 'Казань',
        ami: { host: e.CTI_AMI_HOST, port: Number(e.CTI_AMI_PORT), user: e.CTI_AMI_USER, secretEnv: 'CTI_KZN_AMI_SECRET' },
        ari: { url: e.CTI_ARI_URL, user: e.CTI_ARI_USER, passwordEnv: 'CTI_KZN_ARI_PASSWORD' },
        cel: remote ? { databaseUrlEnv: 'CTI_KZN_CEL_URL', table: e['CTI_PBX_CEL_TABLE'] || 'cel' } : { file: e.CTI_CEL_FILE },
        recordings: remote
          ? { url: e['CTI_PBX_RECORDINGS_URL'], ca: e['CTI_PBX_RECORDINGS_CA'], cert: e['CTI_PBX_RECORDINGS_CERT'], key: e['CTI_PBX_RECORDINGS_KEY'] }
          : { dir: e.CTI_RECORDINGS_DIR },
      },
      env: { CTI_KZN_AMI_SECRET: e.CTI_AMI_SECRET, CTI_KZN_ARI_PASSWORD: e.CTI_ARI_PASSWORD, ...(remote ? { CTI_KZN_CEL_URL: e['CTI_PBX_CEL_DATABASE_URL']! } : {}) },
    };
  } finally {
    useSandbox(null);
  }
}

/** A call from the trunk on one PBX's sandbox; the client hangs up `talk` s after the answer. */
async function callOn(dir: string | null, did: string, talk: number): Promise<string> {
  useSandbox(dir);
  try {
    return (await inboundCall({ from: CLIENT, did, talkSeconds: talk })).linkedid;
  } finally {
    useSandbox(null);
  }
}

describe('several PBXs: one service on two Asterisks, extension 101 on each', () => {
  let svc: ServiceProcess;
  let dbFile: string;
  let token: string;
  let pbxesFile: string;
  let pbxEnv: Record<string, string>;
  const ids: Record<string, string> = {};
  const sockets: ClientSocket[] = [];
  const pops: Record<string, ScreenPop[]> = { anna: [], kamil: [], kira: [] };

  beforeAll(async () => {
    expect(SECOND, 'CTI_TEST_PBX2_DIR: the second sandbox (scripts/test.sh)').toBeTruthy();
    dbFile = newDbFile();
    const h = await openTestDb(dbFile);
    try {
      ids['anna'] = (await addUser(h.db, { name: 'anna', role: 'manager', extension: '101' })).id;
      ids['kamil'] = (await addUser(h.db, { name: 'kamil', role: 'manager', pbxId: 'kzn', extension: '101' })).id;
      ids['kira'] = (await addUser(h.db, { name: 'kira', role: 'manager', pbxId: 'kzn', extension: '102' })).id;
      await addUser(h.db, { name: 'sveta', role: 'supervisor' });
      token = await createToken(h.db, 'sveta');
    } finally {
      await h.close();
    }
    const second = secondPbx();
    pbxesFile = `${dbFile}.pbxes.json`;
    writeFileSync(pbxesFile, JSON.stringify([second.entry]));
    pbxEnv = { CTI_PBX_NAME: 'Москва', CTI_PBXS_FILE: pbxesFile, ...second.env };
    // kzn's desk DID rings its 102 (a rule of that PBX alone); the same DID on main rings main's default.
    const rules = { ...TEST_RULES, byPbx: { kzn: { dids: { [DID_KZN_DESK]: { extension: '102' } } } } };
    svc = await startService({ dbFile, env: pbxEnv, rules });
    for (const name of ['anna', 'kamil', 'kira']) {
      const s = await socketFor(svc.url, await sessionCookieIn(dbFile, name));
      s.on('call:ringing', (p) => pops[name]!.push(p));
      sockets.push(s);
    }
  });
  afterAll(async () => {
    for (const s of sockets.splice(0)) s.close();
    await svc?.stop();
    await closeSandbox();
  });

  const callsOf = async (q = '') => (await api<{ items: any[] }>(svc, `/api/v1/calls?${q}`, token)).body.items;
  const ended = (linkedId: string, pbx: string) => waitUntil(async () => {
    const c = (await callsOf(`pbx=${pbx}`)).find((x) => x.linkedId === linkedId);
    return c?.state === 'ended' && c.disposition === 'answered' && (c.recording?.durationSeconds ?? 0) > 0 ? c : undefined;
  }, 40_000, `the ${pbx} call ${linkedId} ended with its recording`, 250);

  it('healthz names both PBXs connected; GET /api/v1/pbxes lists them', async () => {
    const h = await api<any>(svc, '/healthz', token);
    expect(h.status).toBe(200);
    expect((await api<any>(svc, '/api/v1/pbxes', token)).body).toEqual([{ id: 'main', name: 'Москва' }, { id: 'kzn', name: 'Казань' }]);
  });

  it("a call to 101 on each PBX: two calls, each with its PBX, its 101's manager, its recording; each pop on that 101's page only", async () => {
    const [onMain, onKzn] = [await callOn(null, DID_MAIN, 2), await callOn(SECOND!, DID_KZN, 2)];
    const [a, k] = [await ended(onMain, 'main'), await ended(onKzn, 'kzn')];
    expect(a).toMatchObject({ pbx: 'main', extension: '101', managerId: ids['anna'], direction: 'inbound', externalNumber: CLIENT });
    expect(k).toMatchObject({ pbx: 'kzn', extension: '101', managerId: ids['kamil'], direction: 'inbound', externalNumber: CLIENT });
    expect(pops['anna']!.map((p) => p.callId)).toEqual([a.id]);
    expect(pops['kamil']!.map((p) => p.callId)).toEqual([k.id]);
    expect(pops['kira']).toEqual([]);
    // Each agrees with its own Asterisk's CDR (the talk within a second), and plays its own recording.
    useSandbox(SECOND!);
    const kznCdr = (await waitForCdr(onKzn)).find((r) => r.disposition === 'ANSWERED' && r.dstchannel.startsWith('PJSIP/101-'));
    useSandbox(null);
    const mainCdr = (await waitForCdr(onMain)).find((r) => r.disposition === 'ANSWERED' && r.dstchannel.startsWith('PJSIP/101-'));
    expect(Math.abs(k.talkSeconds - Number(kznCdr!.billsec))).toBeLessThanOrEqual(1);
    expect(Math.abs(a.talkSeconds - Number(mainCdr!.billsec))).toBeLessThanOrEqual(1);
    for (const c of [a, k]) {
      const r = await fetch(`${svc.url}/api/v1/calls/${c.id}/recording`, { headers: { authorization: `Bearer ${token}`, range: 'bytes=0-43' } });
      expect(r.status, `${c.pbx} recording`).toBe(206);
      expect(Buffer.from(await r.arrayBuffer()).subarray(0, 4).toString()).toBe('RIFF');
    }
    // The filters split them.
    expect((await callsOf('pbx=kzn')).map((c) => c.id)).toContain(k.id);
    expect((await callsOf('pbx=kzn')).map((c) => c.id)).not.toContain(a.id);
    expect((await callsOf('pbx=main')).map((c) => c.id)).not.toContain(k.id);
  });

  it("kzn's DID rule rings kzn's 102 (kira); the same DID on main rings main's default, 101", async () => {
    const [onKzn, onMain] = [await callOn(SECOND!, DID_KZN_DESK, 1), await callOn(null, DID_KZN_DESK, 1)];
    const [k, m] = [await ended(onKzn, 'kzn'), await ended(onMain, 'main')];
    expect(k).toMatchObject({ pbx: 'kzn', extension: '102', managerId: ids['kira'], routedBy: 'default' });
    expect(m).toMatchObject({ pbx: 'main', extension: '101', managerId: ids['anna'] });
    expect(pops['kira']!.map((p) => p.callId)).toEqual([k.id]);
  });

  it('the live board of each PBX shows its own phones', async () => {
    const board = async (pbx: string) => (await api<any>(svc, `/api/v1/live?pbx=${pbx}`, token)).body;
    expect((await board('kzn')).managers.map((m: any) => `${m.extension} ${m.name}`)).toEqual(['101 kamil', '102 kira']);
    expect((await board('main')).managers.map((m: any) => `${m.extension} ${m.name}`)).toContain('101 anna');
    expect((await board('main')).managers.map((m: any) => m.name)).not.toContain('kamil');
  });

  it('killed -9 with a call in progress on each PBX: after a restart both are complete, each from its own event log', async () => {
    const [onMain, onKzn] = [await callOn(null, DID_MAIN, 6), await callOn(SECOND!, DID_KZN, 6)];
    await waitUntil(async () => {
      const live = (await callsOf('state=live')).map((c) => `${c.pbx}:${c.linkedId}`);
      return live.includes(`main:${onMain}`) && live.includes(`kzn:${onKzn}`);
    }, 20_000, 'both calls live', 200);
    await svc.kill9();
    // Both calls end while nobody watches.
    useSandbox(SECOND!);
    await waitForCdr(onKzn, 30_000);
    useSandbox(null);
    await waitForCdr(onMain, 30_000);
    svc = await startService({ dbFile, env: pbxEnv });
    const [a, k] = [await ended(onMain, 'main'), await ended(onKzn, 'kzn')];
    expect(a).toMatchObject({ pbx: 'main', managerId: ids['anna'], disposition: 'answered' });
    expect(k).toMatchObject({ pbx: 'kzn', managerId: ids['kamil'], disposition: 'answered' });
    expect(a.talkSeconds).toBeGreaterThanOrEqual(5);
    expect(k.talkSeconds).toBeGreaterThanOrEqual(5);
    // Logged once each.
    expect((await callsOf('pbx=kzn')).filter((c) => c.linkedId === onKzn)).toHaveLength(1);
    expect((await callsOf('pbx=main')).filter((c) => c.linkedId === onMain)).toHaveLength(1);
  });
});
