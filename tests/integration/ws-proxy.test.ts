// The README's production setup puts Asterisk's HTTP server (ARI, /ws, /httpstatus) on 127.0.0.1 and lets
// the managers' network reach only the SIP websocket, through docs/asterisk-ws-proxy.nginx.conf. This runs
// that very file in real nginx (Debian's package) in front of the sandbox Asterisk, with a throw-away
// certificate and loopback ports, and checks what a browser on the managers' network can reach.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSandboxEnv, PROJECT_ROOT, waitUntil } from '../support/sandbox.js';
import { freePort } from '../support/ports.js';

const CONF = join(PROJECT_ROOT, 'docs', 'asterisk-ws-proxy.nginx.conf');

interface Answer { status: number; protocol?: string | undefined; body: string }

/** One HTTPS request to the proxy; with `upgrade`, a WebSocket handshake (RFC 6455 §4.1) offering "sip". */
function ask(port: number, path: string, opts: { upgrade?: boolean; auth?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: 'pbx.example.com' };
    if (opts.auth) headers['authorization'] = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
    if (opts.upgrade) {
      Object.assign(headers, {
        connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13',
        'sec-websocket-key': Buffer.from('0123456789abcdef').toString('base64'), 'sec-websocket-protocol': 'sip',
      });
    }
    const req = https.request({ host: '127.0.0.1', port, path, headers, rejectUnauthorized: false });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, protocol: res.headers['sec-websocket-protocol'] as string | undefined, body: '' });
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error(`no answer from the proxy for ${path}`)));
    req.end();
  });
}

describe('the production proxy in front of Asterisk (docs/asterisk-ws-proxy.nginx.conf)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cti-ws-proxy-'));
  let nginx: ChildProcess | null = null;
  let port = 0;
  let ariAuth = '';
  let ariPort = 0;
  let ariHost = '127.0.0.1';

  beforeAll(async () => {
    const env = loadSandboxEnv();
    ariAuth = `${env.CTI_ARI_USER}:${env.CTI_ARI_PASSWORD}`;
    ariPort = Number(new URL(env.CTI_ARI_URL).port);
    // Asterisk's HTTP server: loopback on one machine, the PBX's address when the sandbox runs it on another host.
    ariHost = new URL(env.CTI_ARI_URL).hostname;
    port = await freePort();
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=pbx.example.com',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    // The shipped server block as it is, but for its port, upstream and certificate.
    const server = readFileSync(CONF, 'utf8')
      .replace(/listen 8089 ssl;/, `listen 127.0.0.1:${port} ssl;`)
      .replace(/http:\/\/127\.0\.0\.1:8088\//, `http://${ariHost}:${ariPort}/`)
      .replace(/ssl_certificate +\S+;/, `ssl_certificate ${join(dir, 'cert.pem')};`)
      .replace(/ssl_certificate_key +\S+;/, `ssl_certificate_key ${join(dir, 'key.pem')};`);
    expect(server).toContain(`127.0.0.1:${port}`);
    expect(server).toContain(`${ariHost}:${ariPort}/ws`);
    writeFileSync(join(dir, 'nginx.conf'), [
      'daemon off;', 'worker_processes 1;', `pid ${join(dir, 'nginx.pid')};`, `error_log ${join(dir, 'error.log')} warn;`,
      'events { worker_connections 64; }',
      'http {', `  access_log ${join(dir, 'access.log')};`,
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${join(dir, t)};`),
      server, '}', '',
    ].join('\n'));
    nginx = spawn('/usr/sbin/nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    nginx.stderr?.on('data', (c: Buffer) => { stderr += c.toString(); });
    await waitUntil(async () => (await ask(port, '/').catch(() => null))?.status === 404, 10_000, `nginx on ${port} (${stderr})`);
  });

  afterAll(() => {
    nginx?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('forwards the SIP websocket: the handshake reaches Asterisk and comes back 101 with the "sip" subprotocol', async () => {
    const r = await ask(port, '/ws', { upgrade: true });
    expect(r.status).toBe(101);
    expect(r.protocol).toBe('sip');
  });

  it('answers 404 for ARI (with the right password too), its events websocket, /httpstatus and a plain GET of /ws', async () => {
    // Straight to Asterisk, the same ARI request works: what the proxy keeps out is really there.
    const direct = await fetch(`http://${ariHost}:${ariPort}/ari/asterisk/info`, { headers: { authorization: `Basic ${Buffer.from(ariAuth).toString('base64')}` } });
    expect(direct.status).toBe(200);
    expect((await ask(port, '/ari/asterisk/info', { auth: ariAuth })).status).toBe(404);
    expect((await ask(port, '/ari/channels', { auth: ariAuth })).status).toBe(404);
    expect((await ask(port, '/ari/events?app=cti', { auth: ariAuth, upgrade: true })).status).toBe(404);
    expect((await ask(port, '/httpstatus')).status).toBe(404);
    expect((await ask(port, '/ws/../ari/asterisk/info', { auth: ariAuth })).status).toBe(404);
    expect((await ask(port, '/ws')).status).toBe(404);
  });
});
