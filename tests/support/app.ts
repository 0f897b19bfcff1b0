// Service-tier helpers: a fresh app on a fresh database per test (SQLite, or PostgreSQL when the run
// asks: tests/support/database.ts), no PBX connection.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { loadServiceConfig, type ServiceConfig } from '../../src/config/config.js';
import { isPostgresUrl } from '../../src/db/client.js';
import { buildApp, type BuildOptions } from '../../src/app.js';
import { freshDatabase } from './database.js';
import { FakePbx } from './fake-pbx.js';

export interface TestApp {
  app: FastifyInstance;
  /** With { pbx: true }: the fake PBX the test feeds (tests/support/fake-pbx.ts). */
  pbx: FakePbx;
  /** With { pbxes: [...] }: a fake per PBX id (main's is `pbx`). */
  pbxes: Map<string, FakePbx>;
  config: ServiceConfig;
  dir: string;
  close(): Promise<void>;
}

/**
 * opts.pbx: true attaches a fake PBX (calls are then tracked from the events the test feeds it);
 * opts.pbxes: the ids of more PBXs (the test's CTI_PBXS_FILE names them), each with its own fake.
 */
export async function testApp(env: Record<string, string> = {}, opts: Omit<BuildOptions, 'connectPbx' | 'logger' | 'pbx' | 'pbxes'> & { pbx?: boolean; pbxes?: string[] } = {}): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'cti-test-'));
  // A test that names its own SQLite file (CTI_DB_FILE) tests that file: it stays on SQLite.
  const db = env['CTI_DB_FILE'] ? null : await freshDatabase(dir);
  const config = loadServiceConfig({
    CTI_DB_FILE: join(dir, 'cti.sqlite'),
    ...(db && isPostgresUrl(db.target) ? { CTI_DATABASE_URL: db.target } : {}),
    CTI_AMI_USER: 'unused', CTI_AMI_SECRET: 'unused', CTI_ARI_USER: 'unused', CTI_ARI_PASSWORD: 'unused',
    CTI_RECORDINGS_DIR: join(dir, 'recordings'),
    CTI_CEL_FILE: join(dir, 'cti.csv'),
    CTI_LOG_LEVEL: 'silent',
    ...env,
  });
  const pbx = new FakePbx();
  const { pbxes: more, pbx: withPbx, ...build } = opts;
  const pbxes = new Map<string, FakePbx>([['main', pbx], ...(more ?? []).map((id) => [id, new FakePbx()] as [string, FakePbx])]);
  const app = await buildApp(config, {
    ...build, connectPbx: false, logger: pino({ level: 'silent' }),
    ...(more?.length ? { pbxes } : { pbx: withPbx ? pbx : undefined }),
  });
  await app.ready();
  return {
    app, config, dir, pbx, pbxes,
    async close() {
      await app.close();
      await db?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
