// The PBX on another host (docs/remote-pbx.md), with the sandbox in that layout (CTI_PBX_REMOTE=1; the
// vitest project `remote`, run by scripts/test.sh beside the integration tier on that sandbox): who may take what across the network. The recordings server (docs/asterisk-recordings.nginx.conf,
// real nginx in the PBX's namespace) serves only the service's certificate, only GET/HEAD of recording
// names; in PostgreSQL, Asterisk's role may only add events and CDRs, the service's only read the events.
// That the calls and their recordings do come across is recovery.test.ts's and call-log.test.ts's part.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSandboxEnv } from '../support/sandbox.js';

const env = loadSandboxEnv();
const remote = env['CTI_SANDBOX_REMOTE'] === '1';

/** One request to the recordings server: its status, or the TLS/connection error's code. */
function ask(path: string, o: { method?: string; cert?: { cert: Buffer; key: Buffer } } = {}): Promise<number | string> {
  const url = new URL(path, env['CTI_PBX_RECORDINGS_URL']);
  return new Promise((resolve) => {
    const req = https.request(url, {
      method: o.method ?? 'GET', ca: readFileSync(env['CTI_PBX_RECORDINGS_CA']!), ...(o.cert ?? {}), agent: false,
    }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end();
  });
}

/** The PostgreSQL error code of `sql` run as the role of `url` ('ok' when it is allowed). */
async function as(url: string, sql: string): Promise<string> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(sql);
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  } finally {
    await c.end();
  }
}

const DENIED = '42501'; // insufficient_privilege

describe('the PBX on another host: what crosses the network, and who may take it', () => {
  it('runs on the sandbox in the remote layout', () => {
    expect(remote, 'bring the sandbox up with CTI_PBX_REMOTE=1 (sandbox/README.md)').toBe(true);
  });

  let dir: string;
  let service: { cert: Buffer; key: Buffer };
  let stranger: { cert: Buffer; key: Buffer };
  beforeAll(() => {
    service = { cert: readFileSync(env['CTI_PBX_RECORDINGS_CERT']!), key: readFileSync(env['CTI_PBX_RECORDINGS_KEY']!) };
    // A certificate with the right name from a CA of its own: not the PBX's CA.
    dir = mkdtempSync(join(tmpdir(), 'cti-stranger-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=cti-service', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    stranger = { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("the recordings server answers the service's certificate only, and only GET or HEAD of a recording's name", async () => {
    const name = 'no-such-call.wav';
    expect(await ask(name, { cert: service })).toBe(404); // let in: no such file
    expect(await ask(name, { method: 'HEAD', cert: service })).toBe(404);
    expect(await ask(name)).toBe(400); // no client certificate: nginx refuses the request
    expect(await ask(name, { cert: stranger })).toBe(400); // the right name, another CA
    expect(await ask(name, { method: 'POST', cert: service })).toBe(403);
    expect(await ask(name, { method: 'DELETE', cert: service })).toBe(403);
    for (const path of ['.', 'x.txt', '.hidden.wav', '%2e%2e/asterisk.conf', '/etc/passwd', '/recordings/../../etc/passwd']) {
      expect([400, 403, 404], path).toContain(await ask(path, { cert: service }));
    }
  });

  it("Asterisk's role may only add rows to cel and cdr; the service's may only read cel", async () => {
    const asterisk = env['CTI_SANDBOX_PG_ASTERISK_URL']!;
    const reader = env['CTI_PBX_CEL_DATABASE_URL']!;
    // INSERT ... WHERE false checks the right and adds nothing (other tests read this table).
    expect(await as(asterisk, "INSERT INTO cel (eventtype, eventtime) SELECT 'CHAN_START', 0 WHERE false")).toBe('ok');
    expect(await as(asterisk, "INSERT INTO cdr (linkedid) SELECT 'x' WHERE false")).toBe('ok');
    for (const sql of ['SELECT 1 FROM cel LIMIT 1', 'SELECT 1 FROM cdr LIMIT 1', 'DELETE FROM cel WHERE false', "UPDATE cel SET extra = '' WHERE false",
      'TRUNCATE cel', 'CREATE TABLE sneaky (x int)']) {
      expect(await as(asterisk, sql), `Asterisk: ${sql}`).toBe(DENIED);
    }
    expect(await as(reader, 'SELECT 1 FROM cel LIMIT 1')).toBe('ok');
    for (const sql of ["INSERT INTO cel (eventtype, eventtime) SELECT 'CHAN_START', 0 WHERE false", 'DELETE FROM cel WHERE false', 'TRUNCATE cel',
      'CREATE TABLE sneaky (x int)']) {
      expect(await as(reader, sql), `the service: ${sql}`).toBe(DENIED);
    }
  });

  it('the service is given no file of the PBX: the event log and the recordings come over the network', () => {
    for (const k of ['CTI_CEL_FILE', 'CTI_CDR_FILE', 'CTI_RECORDINGS_DIR']) expect(env[k], k).toBeUndefined();
    expect(new URL(env['CTI_PBX_RECORDINGS_URL']!).protocol).toBe('https:');
    expect(new URL(env.CTI_ARI_URL).hostname).toBe(env.CTI_AMI_HOST);
    expect(env.CTI_AMI_HOST).not.toBe('127.0.0.1');
  });
});
