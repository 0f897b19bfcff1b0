// One data layer for both engines (issue 14): outside src/db nothing reaches the SQLite driver
// (`$client`, prepared statements) or drizzle's SQLite-only synchronous calls (.all() .get() .run()),
// which PostgreSQL's driver does not have: such a line works on SQLite and breaks on PostgreSQL.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

// A query builder's sync terminal: `.all()`, `.get()`, `.run()` with nothing between the parentheses, on
// a line that builds a query (Map#get and Promise.all take an argument; reconciler.run() is no query).
const SYNC_CALL = /\b(db|tx|select|insert|update|delete|from|where|values|set|returning|orderBy|limit)\b.*\.(all|get|run)\(\)/;
const RAW_DRIVER = /\$client|from 'better-sqlite3'/;

describe('one data layer', () => {
  it('no code outside src/db calls the SQLite driver or a sync query', () => {
    const offenders: string[] = [];
    // bench/ builds its SQLite fixture files with the driver on purpose (bulk speed); the service does not.
    for (const f of files(join(root, 'src'))) {
      const rel = relative(root, f);
      if (rel.startsWith('src/db/')) continue;
      readFileSync(f, 'utf8').split('\n').forEach((line, i) => {
        if (SYNC_CALL.test(line) || RAW_DRIVER.test(line)) offenders.push(`${rel}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(offenders).toEqual([]);
  });

  it('tests query the database the way the service does (awaited), so they run on both engines', () => {
    const offenders: string[] = [];
    for (const f of files(join(root, 'tests'))) {
      const rel = relative(root, f);
      if (rel === 'tests/unit/one-data-layer.test.ts') continue;
      readFileSync(f, 'utf8').split('\n').forEach((line, i) => {
        if (/^\s*\/\//.test(line)) return;
        if (SYNC_CALL.test(line) || /\$client/.test(line)) offenders.push(`${rel}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(offenders).toEqual([]);
  });
});
