// `cti import contacts FILE.csv` as an operator runs it: the built CLI in a child process.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../../src/db/client.js';
import { matchNumber } from '../../src/contacts/match.js';
import { addUser } from '../../src/users/users.js';
import { HEADER, phoneOf, rows } from '../support/big-rows.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

describe('cti import contacts', () => {
  let dir: string;
  let dbFile: string;
  const env = () => ({ ...process.env, CTI_DB_FILE: dbFile, CTI_LOG_LEVEL: 'silent', CTI_DEFAULT_REGION: 'RU' });
  const cti = (...args: string[]) => spawnSync(process.execPath, [join(root, 'bin/cti.js'), ...args], { cwd: dir, encoding: 'utf8', env: env() });
  /** The same without blocking this thread for seconds (vitest's worker must answer its runner meanwhile). */
  const ctiAsync = (...args: string[]) => new Promise<{ status: number | null; stdout: string; stderr: string }>((done, fail) => {
    const p = spawn(process.execPath, [join(root, 'bin/cti.js'), ...args], { cwd: dir, env: env() });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    p.on('error', fail);
    // The first stderr line names the database (tests/service/cli-database-line.test.ts); these tests read what follows it.
    p.on('close', (status) => done({ status, stdout, stderr: stderr.replace(/^cti: database .*\n/, '') }));
  });

  // bin/cti.js runs the built CLI: tests/support/build-service.ts (the tier's globalSetup) builds it first.
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cti-cli-'));
    dbFile = join(dir, 'cti.sqlite');
    const h = await openDb(dbFile);
    await addUser(h.db, { name: 'anna', role: 'manager', extension: '101' });
    await h.close();
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('imports the good rows, lists the bad ones, and changes nothing the second time', async () => {
    const file = join(dir, 'contacts.csv');
    writeFileSync(file, '\ufeff' + [
      'client_external_id;client_name;turnover;currency;owner;contact_external_id;contact_name;phones',
      'C1;ООО Ромашка;200 000;RUB;anna;P1;Иван;mobile:8 (916) 123-45-67',
      'C2;Бета;;;;P2;Пётр;mobile:unknown',
      'C3;Гамма;;;;P3;Олег;+7 903 123 45 67 доб. 5',
    ].join('\r\n'));
    const first = cti('import', 'contacts', file);
    expect(first.status, first.stderr).toBe(1);
    expect(first.stderr).toContain("line 3, phones: 'unknown' is not a phone number");
    expect(first.stdout).toMatch(/3 rows read, 2 imported \(2 changed\), 1 rejected/);
    expect(first.stdout).toContain("separator ';'");

    const h = await openDb(dbFile);
    try {
      expect(await matchNumber(h.db, '+79161234567')).toMatchObject({ turnoverMinor: 20_000_000, currency: 'RUB' });
      expect(await matchNumber(h.db, '+79031234567')).not.toBeNull();
    } finally {
      await h.close();
    }
    const second = cti('import', 'contacts', file);
    expect(second.stdout).toMatch(/3 rows read, 2 imported \(0 changed\), 1 rejected/);

    writeFileSync(file, 'client_external_id,client_name\nC9,Fine\n');
    const clean = cti('import', 'contacts', file);
    expect(clean.status, clean.stderr).toBe(0);
  });

  it('reports a row over 64 KiB (70 KB, 20 MB) with its line and column and imports the rest', async () => {
    const file = join(dir, 'big.csv');
    for (const [size, big] of [
      ['70 KB', `B70,${'Я'.repeat(35_000)},P-b70,Big,+79169999970`],
      ['20 MB', `B20,Big,P-b20,Big,"${('x'.repeat(99) + '\n').repeat(200_000)}"`],
    ] as const) {
      writeFileSync(file, `${HEADER}\n${rows(1, 1000)}${big}\n${rows(1001, 2000)}`);
      const r = await ctiAsync('import', 'contacts', file);
      expect(r.status, `${size}: ${r.stderr}`).toBe(1);
      const column = size === '70 KB' ? 'client_name' : 'phones';
      expect(r.stderr.trim(), size).toBe(`line 1002, ${column}: row too large: ${Buffer.byteLength(big) + 1} bytes (the limit is 64 KiB)`);
      expect(r.stdout, size).toMatch(/^2001 rows read, 2000 imported \(\d+ changed\), 1 rejected/);
      const h = await openDb(dbFile);
      try {
        expect(await matchNumber(h.db, phoneOf(2000)), size).not.toBeNull();
      } finally {
        await h.close();
      }
    }
  }, 60_000);

  it('ends with a clear report when a quote is never closed at the end of a big file', async () => {
    const file = join(dir, 'open-quote.csv');
    const open = 'Q1,"Never closed,Q-p1,Open,+79168888888\n';
    writeFileSync(file, `${HEADER}\n${rows(1, 3000)}${open}${rows(3001, 5000)}`);
    const r = await ctiAsync('import', 'contacts', file);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/^line 3002, client_name: a quote opened in this cell is never closed: the rest of the file \(\d+ bytes, to line 5002\) is not imported\n$/);
    expect(r.stdout).toMatch(/^3001 rows read, 3000 imported/);
  }, 60_000);

  it('stops with a message naming the problem', () => {
    const missing = cti('import', 'contacts', join(dir, 'nope.csv'));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('nope.csv: no such file');
    const file = join(dir, 'bad.csv');
    writeFileSync(file, 'name,phone\nX,1\n');
    const bad = cti('import', 'contacts', file);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('client_external_id');
  });
});
