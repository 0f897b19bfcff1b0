// Every `cti` command that opens the database says which file, on stderr, as one line; `--demo` opens
// the demo's data/demo.sqlite without a CTI_DB_FILE prefix.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

describe('cti: the database line', () => {
  let dir: string;
  let dbFile: string;
  const cti = (env: Record<string, string>, ...args: string[]) => spawnSync(process.execPath, [join(root, 'bin/cti.js'), ...args], {
    cwd: dir, encoding: 'utf8', env: { ...process.env, CTI_DB_FILE: '', CTI_LOG_LEVEL: 'silent', CTI_PASSWORD: 'password-123', ...env },
  });

  beforeAll(() => {
    execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'pipe' });
    dir = mkdtempSync(join(tmpdir(), 'cti-db-line-'));
    dbFile = join(dir, 'cti.sqlite');
    writeFileSync(join(dir, 'contacts.csv'), 'client_name,contact_name,phone\nООО «Ромашка»,Ирина Соколова,+79160000001\n');
  }, 120_000);
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
