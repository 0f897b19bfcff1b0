// Recordings on a PBX on another host (docs/remote-pbx.md): the service relays them from the PBX's HTTPS
// server with mutual TLS (CTI_PBX_RECORDINGS_*), after the user's rights, with the browser's Range. The
// PBX here is a real HTTPS server on loopback that serves files by Range and demands a client
// certificate of the test's own CA, as docs/asterisk-recordings.nginx.conf does.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CallStore } from '../../src/calls/store.js';
import type { CallRecord } from '../../src/calls/model.js';
import { addUser, createToken } from '../../src/users/users.js';
import { testApp, type TestApp } from '../support/app.js';
import { wav } from '../support/wav.js';

const T0 = Date.parse('2026-11-20T09:00:00Z');

function record(over: Partial<CallRecord> & { linkedId: string }): CallRecord {
  return {
    mergedLinkedIds: [], state: 'ended', source: 'cdr', needsCdr: false, direction: 'inbound', origin: null, contactId: null, clientId: null, routedBy: null,
    externalNumber: '+79161234567', extension: '101', startedAt: T0, answeredAt: T0 + 5000, endedAt: T0 + 65_000,
    ringMs: 5000, talkMs: 60_000, disposition: 'answered', hangupCause: 'Normal Clearing (16)',
    recordingFile: `/var/spool/asterisk/monitor/cti/${over.linkedId}.wav`, legs: [], ...over,
  };
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate (CN=cti-service), as PEM files in `dir`. */
function makeCertificates(dir: string, prefix: string): void {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl('req', '-x509', ...ec, '-days', '2', '-subj', `/CN=${prefix}-ca`, '-keyout', `${prefix}-ca.key`, '-out', `${prefix}-ca.pem`);
  for (const [who, subj, ext] of [['server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n'],
    ['client', '/CN=cti-service', 'extendedKeyUsage=clientAuth\n']] as const) {
    ssl('req', ...ec, '-subj', subj, '-keyout', `${prefix}-${who}.key`, '-out', `${prefix}-${who}.csr`);
    execFileSync('bash', ['-c', `printf '${ext.replace(/\n/g, '\\n')}' > ${prefix}-${who}.ext`], { cwd: dir });
    ssl('x509', '-req', '-in', `${prefix}-${who}.csr`, '-CA', `${prefix}-ca.pem`, '-CAkey', `${prefix}-ca.key`, '-CAcreateserial',
      '-days', '2', '-extfile', `${prefix}-${who}.ext`, '-out', `${prefix}-${who}.pem`);
  }
}

/** The PBX's recordings server: /recordings/<name>.wav by Range, only to a client certificate of `ca`. */
function recordingsServer(dir: string, prefix: string, caPrefix: string, files: Map<string, Buffer>, seen: string[]): Promise<https.Server> {
  const server = https.createServer({
    key: readFileSync(join(dir, `${prefix}-server.key`)), cert: readFileSync(join(dir, `${prefix}-server.pem`)),
    ca: readFileSync(join(dir, `${caPrefix}-ca.pem`)), requestCert: true, rejectUnauthorized: true,
  }, (req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers.range ?? ''}`);
    const body = files.get(req.url ?? '');
    if (!body) { res.writeHead(404).end(); return; }
    const m = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
    if (!m) { res.writeHead(200, { 'content-length': body.length }).end(body); return; }
    const start = m[1] === '' ? Math.max(0, body.length - Number(m[2])) : Number(m[1]);
    const end = m[1] !== '' && m[2] !== '' ? Math.min(Number(m[2]), body.length - 1) : body.length - 1;
    if (start >= body.length) { res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end(); return; }
    res.writeHead(206, { 'content-range': `bytes ${start}-${end}/${body.length}`, 'content-length': end - start + 1 }).end(body.subarray(start, end + 1));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('recordings relayed from a PBX on another host (mutual TLS)', () => {
  let dir: string;
  const recording = wav(3);
  const files = new Map([['/recordings/L1.wav', recording]]);
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cti-remote-rec-'));
    makeCertificates(dir, 'ours');
    makeCertificates(dir, 'other');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  let server: https.Server;
  let seen: string[];
  let t: TestApp;
  let anna: string; // manager on 101: her own calls
  let boris: string; // manager on 102
  const auth = (tok: string) => ({ authorization: `Bearer ${tok}` });

  async function appFor(s: https.Server): Promise<TestApp> {
    const port = (s.address() as AddressInfo).port;
    return testApp({
      CTI_PBX_RECORDINGS_URL: `https://127.0.0.1:${port}/recordings/`, CTI_PBX_RECORDINGS_CA: join(dir, 'ours-ca.pem'),
      CTI_PBX_RECORDINGS_CERT: join(dir, 'ours-client.pem'), CTI_PBX_RECORDINGS_KEY: join(dir, 'ours-client.key'),
    });
  }
  async function seed(app: TestApp): Promise<void> {
    const db = app.app.db;
    await addUser(db, { name: 'anna', role: 'manager', extension: '101' });
    await addUser(db, { name: 'boris', role: 'manager', extension: '102' });
    anna = await createToken(db, 'anna');
    boris = await createToken(db, 'boris');
    const store = new CallStore(db);
    await store.save('c1', record({ linkedId: 'L1' }));
    await store.setRecordingDuration('c1', 3000); // measured from the PBX's header (call-log.ts)
    await store.save('c2', record({ linkedId: 'L2' })); // named, never measured: not shown
    await store.save('c3', record({ linkedId: 'L3' }));
    await store.setRecordingDuration('c3', 2000); // measured once, since gone from the PBX
  }

  beforeEach(async () => {
    seen = [];
    server = await recordingsServer(dir, 'ours', 'ours', files, seen);
    t = await appFor(server);
    await seed(t);
  });
  afterEach(async () => {
    await t.close();
    server.close();
  });

  it('plays the recording whole and by Range, as the PBX serves it, to a user who may see the call', async () => {
    const call = await t.app.inject({ url: '/api/v1/calls/c1', headers: auth(anna) });
    expect(call.json().recording).toEqual({ url: '/api/v1/calls/c1/recording', durationSeconds: 3 });
    const whole = await t.app.inject({ url: '/api/v1/calls/c1/recording', headers: auth(anna) });
    expect(whole.statusCode).toBe(200);
    expect(whole.headers['content-type']).toBe('audio/wav');
    expect(whole.headers['accept-ranges']).toBe('bytes');
    expect(whole.rawPayload.equals(recording)).toBe(true);
    const part = await t.app.inject({ url: '/api/v1/calls/c1/recording', headers: { ...auth(anna), range: 'bytes=1000-4999' } });
    expect(part.statusCode).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 1000-4999/${recording.length}`);
    expect(part.rawPayload.equals(recording.subarray(1000, 5000))).toBe(true);
    const tail = await t.app.inject({ url: '/api/v1/calls/c1/recording', headers: { ...auth(anna), range: 'bytes=-100' } });
    expect(tail.statusCode).toBe(206);
    expect(tail.rawPayload.equals(recording.subarray(recording.length - 100))).toBe(true);
    const beyond = await t.app.inject({ url: '/api/v1/calls/c1/recording', headers: { ...auth(anna), range: 'bytes=999999-' } });
    expect(beyond.statusCode).toBe(416);
    expect(beyond.headers['content-range']).toBe(`bytes */${recording.length}`);
    // Several ranges: the whole file, as the local path answers them (the PBX is asked for no Range).
    const several = await t.app.inject({ url: '/api/v1/calls/c1/recording', headers: { ...auth(anna), range: 'bytes=0-1,5-9' } });
    expect(several.statusCode).toBe(200);
    expect(seen.at(-1)).toBe('GET /recordings/L1.wav ');
  });

  it("checks the user's rights before it asks the PBX", async () => {
    const r = await t.app.inject({ url: '/api/v1/calls/c1/recording', headers: auth(boris) });
    expect(r.statusCode).toBe(403);
    expect((await t.app.inject({ url: '/api/v1/calls/c1/recording' })).statusCode).toBe(401);
    expect(seen).toEqual([]);
  });

  it('a call whose recording was never measured has none; a file the PBX no longer has is 404', async () => {
    expect((await t.app.inject({ url: '/api/v1/calls/c2', headers: auth(anna) })).json().recording).toBeNull();
    expect((await t.app.inject({ url: '/api/v1/calls/c2/recording', headers: auth(anna) })).json().error.code).toBe('CTI_ERR_RECORDING_NOT_FOUND');
    const gone = await t.app.inject({ url: '/api/v1/calls/c3/recording', headers: auth(anna) });
    expect(gone.statusCode).toBe(404);
    expect(gone.json().error.code).toBe('CTI_ERR_RECORDING_NOT_FOUND');
  });

  it('a PBX that cannot be reached is a clear 502, and the service goes on', async () => {
    await new Promise<void>((r) => server.close(() => r()));
    const r = await t.app.inject({ url: '/api/v1/calls/c1/recording', headers: auth(anna) });
    expect(r.statusCode).toBe(502);
    expect(r.json().error).toMatchObject({ code: 'CTI_ERR_RECORDING_UNAVAILABLE', message: expect.stringMatching(/PBX/) });
    expect((await t.app.inject({ url: '/api/v1/calls/c1', headers: auth(anna) })).statusCode).toBe(200);
  });

  it("a PBX that does not accept our certificate (another CA's clients only) is the same 502, never a crash", async () => {
    await t.close();
    server.close();
    server = await recordingsServer(dir, 'ours', 'other', files, seen);
    t = await appFor(server);
    await seed(t);
    const r = await t.app.inject({ url: '/api/v1/calls/c1/recording', headers: auth(anna) });
    expect(r.statusCode).toBe(502);
    expect(r.json().error.code).toBe('CTI_ERR_RECORDING_UNAVAILABLE');
    expect(seen).toEqual([]);
  });

  it("a server whose certificate our CA did not issue is not the PBX: nothing is sent to it", async () => {
    await t.close();
    server.close();
    server = await recordingsServer(dir, 'other', 'ours', files, seen);
    t = await appFor(server);
    await seed(t);
    const r = await t.app.inject({ url: '/api/v1/calls/c1/recording', headers: auth(anna) });
    expect(r.statusCode).toBe(502);
    expect(seen).toEqual([]);
  });
});
