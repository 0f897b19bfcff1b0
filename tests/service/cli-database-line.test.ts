// Every `cti` command that opens the database says which file, on stderr, as one line; `--demo` opens
// the demo's data/demo.sqlite without a CTI_DB_FILE prefix.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

describe('cti: the database line', () => {
  let dir: string;
  let dbFile: string;
  const cti = (env: Record<string, string>, ...args: string[]) => spawnSync(process.execPath, [join(root, 'bin/cti.js'), ...args], {
    cwd: dir, encoding: 'utf8', env: { ...process.env, CTI_DB_FILE: '', CTI_LOG_LEVEL: 'silent', CTI_PASSWORD: 'password-123', ...env },
  });

  // bin/cti.js runs the built CLI: tests/support/build-service.ts (the tier's globalSetup) builds it first.
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cti-db-line-'));
    dbFile = join(dir, 'cti.sqlite');
    writeFileSync(join(dir, 'contacts.csv'), 'client_name,contact_name,phone\nООО «Ромашка»,Ирина Соколова,+79160000001\n');
  });
  afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('migrate, user add, token create/list/revoke and import contacts each print `cti: database <absolute path>`', () => {
    const line = `cti: database ${dbFile}`;
    const env = { CTI_DB_FILE: dbFile };
    for (const args of [['migrate'], ['user', 'add', 'anna', '--role', 'manager', '--password'], ['token', 'create', 'anna'], ['token', 'list'],
      ['token', 'revoke', 'no-such-id'], ['import', 'contacts', join(dir, 'contacts.csv')]]) {
      const r = cti(env, ...args);
      expect(r.stderr.split('\n').filter((l) => l === line), `${args.join(' ')}: ${r.stderr}`).toHaveLength(1);
      expect(r.stdout, args.join(' ')).not.toContain('cti: database');
    }
  });

  it('serve prints it once, before the service starts', async () => {
    const serveDb = join(dir, 'serve.sqlite');
    const proc = spawn(process.execPath, [join(root, 'bin/cti.js'), 'serve'], {
      cwd: dir, stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env, CTI_DB_FILE: serveDb, CTI_LOG_LEVEL: 'silent', CTI_HTTP_PORT: String(await freePort()),
        // Nothing listens there: the service keeps retrying, which is all this test needs.
        CTI_AMI_HOST: '127.0.0.1', CTI_AMI_PORT: String(await freePort()), CTI_AMI_USER: 'u', CTI_AMI_SECRET: 's',
        CTI_ARI_URL: `http://127.0.0.1:${await freePort()}`, CTI_ARI_USER: 'u', CTI_ARI_PASSWORD: 'p',
        CTI_RECORDINGS_DIR: join(dir, 'rec'), CTI_CEL_FILE: join(dir, 'cti.csv'), CTI_ROUTING_FILE: join(dir, 'routing.json'),
      },
    });
    let stderr = '';
    proc.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    try {
      const until = Date.now() + 15_000;
      while (!existsSync(serveDb) && Date.now() < until && proc.exitCode === null) await new Promise((r) => setTimeout(r, 100));
      await new Promise((r) => setTimeout(r, 300));
      expect(stderr.split('\n').filter((l) => l === `cti: database ${serveDb}`), stderr).toHaveLength(1);
    } finally {
      proc.kill('SIGTERM');
    }
  });

  it('a relative CTI_DB_FILE is printed as the absolute file it opened', () => {
    const r = cti({ CTI_DB_FILE: 'cti.sqlite' }, 'token', 'list');
    expect(r.stderr).toContain(`cti: database ${dbFile}\n`);
  });

  it("--demo opens the demo's database", () => {
    const r = cti({}, '--demo', 'token', 'list');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`cti: database ${join(root, 'data/demo.sqlite')}\n`);
  });
});
