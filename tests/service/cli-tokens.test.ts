// `cti token create | list | revoke` as an operator runs them: the built CLI in a child process, on a
// database the test then reads through the same code the service authenticates with.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../../src/db/client.js';
import { actorForToken, addUser } from '../../src/users/users.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DAY = 86_400_000;

describe('cti token', () => {
  let dir: string;
  let dbFile: string;
  const cti = (...args: string[]) => spawnSync(process.execPath, [join(root, 'bin/cti.js'), ...args], {
    cwd: dir, encoding: 'utf8', env: { ...process.env, CTI_DB_FILE: dbFile, CTI_LOG_LEVEL: 'silent' },
  });
  const actor = async (token: string) => {
    const h = await openDb(dbFile);
    try {
      return await actorForToken(h.db, token);
    } finally {
      await h.close();
    }
  };

  // bin/cti.js runs the built CLI: tests/support/build-service.ts (the tier's globalSetup) builds it first.
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cti-cli-tokens-'));
    dbFile = join(dir, 'cti.sqlite');
    const h = await openDb(dbFile);
    await addUser(h.db, { name: 'anna', role: 'manager', extension: '101' });
    await addUser(h.db, { name: 'sveta', role: 'supervisor' });
    await h.close();
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('creates tokens with an expiry (30d or an ISO date), lists them without secrets, revokes one (401 at once)', async () => {
    const before = Date.now();
    const a = cti('token', 'create', 'anna', '--expires', '30d', '--label', 'CRM sync');
    expect(a.status, a.stderr).toBe(0);
    const annaToken = a.stdout.trim();
    expect(annaToken).toMatch(/^cti_[A-Za-z0-9_-]{40,}$/);
    const s = cti('token', 'create', 'sveta', '--expires', '2099-01-01');
    expect(s.status, s.stderr).toBe(0);
    const svetaToken = s.stdout.trim();
    expect(cti('token', 'create', 'sveta').status).toBe(0);
    expect((await actor(annaToken))?.name).toBe('anna');

    const list = cti('token', 'list');
    expect(list.status, list.stderr).toBe(0);
    const lines = list.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^id\s+user\s+label\s+created\s+expires\s+last used$/);
    expect(lines).toHaveLength(4);
    expect(list.stdout).not.toContain(annaToken);
    expect(list.stdout).not.toContain(svetaToken);
    const annaLine = lines.find((l) => /\banna\b/.test(l))!;
    expect(annaLine).toContain('CRM sync');
    // Expires in 30 days (the date printed, UTC).
    const expires = new Date(before + 30 * DAY).toISOString().slice(0, 10);
    expect(annaLine).toContain(expires);
    expect(lines.find((l) => /\bsveta\b/.test(l) && l.includes('2099-01-01'))).toBeDefined();

    const onlySveta = cti('token', 'list', '--user', 'sveta');
    expect(onlySveta.stdout.trim().split('\n').slice(1).every((l) => /\bsveta\b/.test(l))).toBe(true);
    expect(onlySveta.stdout.trim().split('\n')).toHaveLength(3);

    const id = annaLine.split(/\s+/)[0]!;
    const r = cti('token', 'revoke', id);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`token ${id} revoked`);
    expect(await actor(annaToken)).toBeNull();
    expect((await actor(svetaToken))?.name).toBe('sveta');
    expect(cti('token', 'list').stdout).not.toMatch(/\banna\b/);
    const again = cti('token', 'revoke', id);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/no API token/);
  }, 60_000);

  it('refuses a bad or past expiry, naming the option', () => {
    for (const bad of ['soon', '2001-01-01', '0d']) {
      const r = cti('token', 'create', 'anna', '--expires', bad);
      expect(r.status, bad).toBe(2);
      expect(r.stderr).toMatch(/--expires/);
    }
  }, 60_000);
});
