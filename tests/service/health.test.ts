// /healthz tells a stranger (no session, no token) only up or down; an admin (token or session) gets the
// AMI and ARI connection states and their errors, which name users and hosts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { loadServiceConfig } from '../../src/config/config.js';
import { buildApp } from '../../src/app.js';
import { createSession, SESSION_COOKIE } from '../../src/users/sessions.js';
import { addUser, createToken } from '../../src/users/users.js';
import { testApp } from '../support/app.js';
import { freePort } from '../support/ports.js';

async function waitFor<T>(f: () => Promise<T | undefined>, ms: number): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function seedActors(app: FastifyInstance): Promise<{ admin: string; supervisor: string; adminCookie: string }> {
  const a = await addUser(app.db, { name: 'root', role: 'admin' });
  await addUser(app.db, { name: 'sveta', role: 'supervisor' });
  return {
    admin: await createToken(app.db, 'root'), supervisor: await createToken(app.db, 'sveta'),
    adminCookie: `${SESSION_COOKIE}=${(await createSession(app.db, a.id, 3_600_000)).id}`,
  };
}

describe('/healthz', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });

  it('without a PBX connection (API only): up to anyone', async () => {
    const t = await testApp();
    cleanup.push(() => t.close());
    const r = await t.app.inject({ url: '/healthz' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ status: 'up' });
  });

  it('PBX unreachable: a stranger and a supervisor get {status: down} and 503; an admin gets the states and errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cti-health-'));
    const ami = await freePort();
    const ari = await freePort();
    const config = loadServiceConfig({
      CTI_DB_FILE: join(dir, 'cti.sqlite'), CTI_RECORDINGS_DIR: join(dir, 'rec'), CTI_CEL_FILE: join(dir, 'cti.csv'),
      CTI_ROUTING_FILE: join(dir, 'routing.json'),
      CTI_AMI_HOST: '127.0.0.1', CTI_AMI_PORT: String(ami), CTI_AMI_USER: 'cti', CTI_AMI_SECRET: 'x',
      CTI_ARI_URL: `http://127.0.0.1:${ari}`, CTI_ARI_USER: 'cti', CTI_ARI_PASSWORD: 'x',
    });
    const app = await buildApp(config, { logger: pino({ level: 'silent' }) });
    cleanup.push(async () => { await app.close(); rmSync(dir, { recursive: true, force: true }); });
    await app.ready();
    const { admin, supervisor, adminCookie } = await seedActors(app);

    const detailed = await waitFor(async () => {
      const r = await app.inject({ url: '/healthz', headers: { authorization: `Bearer ${admin}` } });
      return r.json().ami?.error && r.json().ari?.error ? r : undefined;
    }, 10_000);
    expect(detailed.statusCode).toBe(503);
    expect(detailed.json()).toMatchObject({ status: 'down', ami: { state: expect.any(String) }, ari: { state: expect.any(String) }, liveCalls: 0 });
    expect(detailed.json().ami.state).not.toBe('connected');

    const bySession = await app.inject({ url: '/healthz', headers: { cookie: adminCookie } });
    expect(bySession.json()).toMatchObject({ status: 'down', ami: { state: expect.any(String) } });

    for (const headers of [{}, { authorization: `Bearer ${supervisor}` }, { authorization: 'Bearer cti_not-a-token' }, { cookie: `${SESSION_COOKIE}=nope` }]) {
      const r = await app.inject({ url: '/healthz', headers });
      expect(r.statusCode).toBe(503);
      expect(r.json()).toEqual({ status: 'down' });
      expect(r.body).not.toContain(String(ami));
    }
  });
});
