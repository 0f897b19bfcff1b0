// Service-tier helpers: a fresh app on a fresh SQLite file per test, no PBX connection.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { loadServiceConfig, type ServiceConfig } from '../../src/config/config.js';
import { buildApp, type BuildOptions } from '../../src/http/app.js';

export interface TestApp {
  app: FastifyInstance;
  config: ServiceConfig;
  dir: string;
  close(): Promise<void>;
}

export async function testApp(env: Record<string, string> = {}, opts: Omit<BuildOptions, 'connectPbx' | 'logger'> = {}): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'cti-test-'));
  const config = loadServiceConfig({
    CTI_DB_FILE: join(dir, 'cti.sqlite'),
    CTI_AMI_USER: 'unused', CTI_AMI_SECRET: 'unused', CTI_ARI_USER: 'unused', CTI_ARI_PASSWORD: 'unused',
    CTI_RECORDINGS_DIR: join(dir, 'recordings'),
    CTI_CEL_FILE: join(dir, 'cti.csv'),
    CTI_LOG_LEVEL: 'silent',
    ...env,
  });
  const app = await buildApp(config, { ...opts, connectPbx: false, logger: pino({ level: 'silent' }) });
  await app.ready();
  return {
    app, config, dir,
    async close() {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
