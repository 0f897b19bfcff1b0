// Opens the database and applies the generated migrations: the embedded SQLite file (better-sqlite3,
// WAL), or PostgreSQL when the target is a postgres:// URL (node-postgres pool). Domain code sees only
// the drizzle `Db` (typed as SQLite's; the same query builders run on both, awaited) and the helpers of
// ./query.ts; nothing outside src/db knows which engine it talks to.
import { chmodSync, closeSync, constants, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { useDialect, type Dialect } from './schema/index.js';

export type Db = BetterSQLite3Database;
export type { Dialect } from './schema/index.js';
export interface DbHandle {
  db: Db;
  dialect: Dialect;
  close(): Promise<void>;
}

/** migrations/ at the project root (SQLite; PostgreSQL's in migrations/postgres), from src/ and dist/src/. */
export function migrationsFolder(dialect: Dialect = 'sqlite'): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const root = here.includes(`${'/dist/'}`) ? resolve(here, '../../..') : resolve(here, '../..');
  return dialect === 'sqlite' ? resolve(root, 'migrations') : resolve(root, 'migrations/postgres');
}

/** postgres:// or postgresql:// URLs are PostgreSQL; anything else is a SQLite file (or :memory:). */
export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//i.test(target);
}

/** The URL without its password, for logs and the CLI's "database" line. */
export function describeTarget(target: string): string {
  if (!isPostgresUrl(target)) return resolve(target);
  try {
    const u = new URL(target);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unreadable URL)';
  }
}

/**
 * The database holds the company's contacts and calls: only the service's user may read it. SQLite
 * creates a new file 0644 (less the umask) but gives its -wal and -shm the mode of the database file
 * (os_unix.c, findCreateFileMode), so the file is created 0600 here, before SQLite opens it, and an
 * existing one is made 0600 (with its -wal and -shm) before any data is written. Folders: 0700.
 */
function ownFile(file: string): void {
  mkdirSync(dirname(resolve(file)), { recursive: true, mode: 0o700 });
  closeSync(openSync(file, constants.O_CREAT | constants.O_RDWR, 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      if ((statSync(f).mode & 0o077) !== 0) chmodSync(f, 0o600);
    } catch (err) {
      // Absent (no -wal yet), or another user's file (a mounted volume): its owner decides its mode.
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'EPERM') throw err;
    }
  }
}

/** A pending migration cannot apply to this database's data; the message says what the admin must fix. */
export class MigrationBlockedError extends Error {
  override name = 'MigrationBlockedError';
}

/**
 * Checks that must pass before pending migrations run, each with a message an admin can act on (SQLite's
 * own error would be a bare "UNIQUE constraint failed"). They read only; migrate() never starts.
 */
function checkBeforeMigrating(sqlite: Database.Database): void {
  const has = (type: string, name: string) => !!sqlite.prepare('SELECT 1 FROM sqlite_master WHERE type = ? AND name = ?').get(type, name);
  // 0010_unique_extension: one extension, one person (src/users/directory.ts).
  // (0015_several_pbxs replaces that index with one per PBX: a database that has it is past 0010.)
  if (has('table', 'users') && !has('index', 'users_extension_uq') && !has('index', 'users_pbx_extension_uq')) {
    const dups = sqlite.prepare(`SELECT extension, group_concat(name, ', ') AS names FROM (SELECT extension, name FROM users
        WHERE extension IS NOT NULL AND extension IN (SELECT extension FROM users GROUP BY extension HAVING count(*) > 1) ORDER BY extension, name)
      GROUP BY extension ORDER BY extension`).all() as { extension: string; names: string }[];
    if (dups.length) {
      throw new MigrationBlockedError(
        'The database cannot be upgraded (migration 0010_unique_extension): an extension may belong to one user only, but users share '
        + `extensions here (${dups.map((d) => `extension ${d.extension}: ${d.names}`).join('; ')}). Nothing was changed. Give all but one of each another `
        + "extension or none, with the previous version's users page (PATCH /api/v1/users/:id) or in SQL, e.g. "
        + `UPDATE users SET extension = NULL WHERE name = '${dups[0]!.names.split(', ').at(-1)}'; then start again.`,
      );
    }
  }
}

export interface OpenOptions {
  /** Apply pending migrations (default). `cti demo`'s read-only view passes false. */
  migrate?: boolean;
  /** PostgreSQL pool size (default 10). */
  poolSize?: number;
}

/** Opens a SQLite file (or ':memory:') or a postgres:// URL. One process opens one dialect. */
export async function openDb(target: string, opts: OpenOptions = {}): Promise<DbHandle> {
  const dialect: Dialect = isPostgresUrl(target) ? 'postgres' : 'sqlite';
  // The tables are bound per process (src/db/schema/index.ts): a database of the other engine opened
  // beside an open one would swap the tables under it.
  const other = [...open.entries()].find(([d, n]) => d !== dialect && n > 0);
  if (other) throw new Error(`openDb: a ${other[0]} database is open in this process; one process uses one engine (${describeTarget(target)} is ${dialect})`);
  await useDialect(dialect);
  const h = dialect === 'postgres' ? await (await import('./postgres.js')).openPostgres(target, opts) : openSqlite(target, opts);
  open.set(dialect, (open.get(dialect) ?? 0) + 1);
  let closed = false;
  return {
    ...h,
    close: async () => {
      if (closed) return;
      closed = true;
      open.set(dialect, (open.get(dialect) ?? 1) - 1);
      await h.close();
    },
  };
}

/** Open handles per engine (openDb). */
const open = new Map<Dialect, number>();

/** Applies pending migrations to a database and closes it (`cti migrate`, test templates). */
export async function migrateDatabase(target: string): Promise<void> {
  const h = await openDb(target, { migrate: true, poolSize: 2 }); // one holds the migration lock, one migrates
  await h.close();
}

function openSqlite(file: string, opts: OpenOptions): DbHandle {
  if (file !== ':memory:' && !file.startsWith('file:')) ownFile(file);
  const sqlite = new Database(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // 64 MiB of page cache (the default is 2 MiB): caller-ID lookups and bulk imports touch indexes
  // all over a database of a million contacts; reads beyond it come from the OS cache.
  sqlite.pragma('cache_size = -65536');
  const db = drizzle(sqlite);
  if (opts.migrate !== false) {
    try {
      checkBeforeMigrating(sqlite);
      migrate(db, { migrationsFolder: migrationsFolder('sqlite') });
    } catch (err) {
      sqlite.close();
      throw err;
    }
  }
  return { db, dialect: 'sqlite', close: async () => { sqlite.close(); } };
}
