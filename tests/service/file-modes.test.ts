// Files the service writes with data are its own (issue 10, item 12): the SQLite database and its
// -wal/-shm, and the routing rules it writes, are created 0600; folders it creates are 0700.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadServiceConfig } from '../../src/config/config.js';
import { openDb } from '../../src/db/client.js';
import { buildApp } from '../../src/app.js';
import { addUser, createToken } from '../../src/users/users.js';

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

describe('file modes', { timeout: 30_000 }, () => {
  let dir: string;
  let umask: number;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cti-modes-'));
    umask = process.umask(0o022); // what most systems give a service
  });
  afterEach(() => {
    process.umask(umask);
    rmSync(dir, { recursive: true, force: true });
  });

  it('the database file, its -wal and -shm are 0600, its new folders 0700, and so are the routing rules the API writes', async () => {
    const config = loadServiceConfig({
      CTI_DB_FILE: join(dir, 'new', 'deeper', 'cti.sqlite'), CTI_ROUTING_FILE: join(dir, 'rules', 'routing.json'),
      CTI_AMI_USER: 'unused', CTI_AMI_SECRET: 'unused', CTI_ARI_USER: 'unused', CTI_ARI_PASSWORD: 'unused',
      CTI_RECORDINGS_DIR: join(dir, 'recordings'), CTI_CEL_FILE: join(dir, 'cti.csv'), CTI_LOG_LEVEL: 'silent',
    });
    const app = await buildApp(config, { connectPbx: false, logger: pino({ level: 'silent' }) });
    try {
      await app.ready();
      await addUser(app.db, { name: 'root', role: 'admin' });
      const db = config.CTI_DB_FILE;
      for (const f of [db, `${db}-wal`, `${db}-shm`]) {
        expect(existsSync(f), f).toBe(true);
        expect(mode(f), f).toBe('600');
      }
      expect(mode(join(dir, 'new'))).toBe('700');
      expect(mode(join(dir, 'new', 'deeper'))).toBe('700');

      const token = await createToken(app.db, 'root');
      const rules = JSON.parse(readFileSync(new URL('../../config/routing.example.json', import.meta.url), 'utf8')) as object;
      const put = await app.inject({ method: 'PUT', url: '/api/v1/routing/rules', headers: { authorization: `Bearer ${token}` }, payload: rules });
      expect(put.statusCode, put.body).toBe(200);
      expect(mode(config.CTI_ROUTING_FILE)).toBe('600');
      expect(mode(join(dir, 'rules'))).toBe('700');
    } finally {
      await app.close();
    }
  });

  it('an existing database file that others could read is made 0600 when it is opened', async () => {
    const file = join(dir, 'old.sqlite');
    writeFileSync(file, '');
    chmodSync(file, 0o644);
    const h = await openDb(file);
    try {
      expect(mode(file)).toBe('600');
      expect(mode(`${file}-wal`)).toBe('600');
    } finally {
      await h.close();
    }
  });
});
