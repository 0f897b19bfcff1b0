// Opens the embedded database (better-sqlite3, WAL) and applies the generated migrations.
// Domain code sees only the drizzle `Db`; nothing outside src/db knows it is SQLite.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import * as schema from './schema/index.js';

export type Db = BetterSQLite3Database<typeof schema>;
export interface DbHandle {
  db: Db;
  close(): void;
}

/** migrations/ at the project root, found from both src/ (tsx, vitest) and dist/src/ (built). */
export function migrationsFolder(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const fromSrc = resolve(here, '../../migrations');
  const fromDist = resolve(here, '../../../migrations');
  return here.includes(`${'/dist/'}`) ? fromDist : fromSrc;
}

export function openDb(file: string, opts: { migrate?: boolean } = {}): DbHandle {
  if (file !== ':memory:') mkdirSync(dirname(resolve(file)), { recursive: true });
  const sqlite = new Database(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // 64 MiB of page cache (the default is 2 MiB): caller-ID lookups and bulk imports touch indexes
  // all over a database of a million contacts; reads beyond it come from the OS cache.
  sqlite.pragma('cache_size = -65536');
  const db = drizzle(sqlite, { schema });
  if (opts.migrate !== false) migrate(db, { migrationsFolder: migrationsFolder() });
  return { db, close: () => sqlite.close() };
}
