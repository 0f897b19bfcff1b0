// PostgreSQL (CTI_DATABASE_URL): a node-postgres pool under drizzle's node-postgres driver, migrated from
// migrations/postgres. Loaded only when the target is a postgres:// URL, so the embedded default never
// loads pg.
import pg from 'pg';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import type { Db, DbHandle, OpenOptions } from './client.js';
import { migrationsFolder } from './client.js';

// bigint (int8, our epoch-ms times and counters, count(*)) and numeric (sum() of bigints) arrive as
// strings by default, to keep digits a double cannot hold. Ours stay below 2^53 (ms until the year
// 287396), so they are read as numbers: the values SQLite gives. Set on pg's global parsers, because
// drizzle's node-postgres session passes those on every query (a pool's own `types` would be ignored);
// this module is loaded only by a process that opened PostgreSQL.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));

/** The advisory lock key of migrations (any constant of ours: 'cti-migrate'). */
const MIGRATION_LOCK = 0x637469_6d67;

export async function openPostgres(url: string, opts: OpenOptions): Promise<DbHandle> {
  const pool = new pg.Pool({ connectionString: url, max: opts.poolSize ?? 10, application_name: 'cti' });
  // An idle client's error (the server restarted) must not crash the process: the pool drops that
  // client and the next query opens a new one.
  pool.on('error', () => {});
  const db = drizzle(pool) as unknown as Db;
  try {
    // Connect now: a wrong URL or password stops startup with PostgreSQL's message, not the first request.
    const c = await pool.connect();
    try {
      if (opts.migrate !== false) {
        // Two instances starting together must not both apply a migration: the first holds this
        // session lock while it migrates (on other pool connections), the second then finds none pending.
        await c.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
        try {
          await migrate(drizzle(pool), { migrationsFolder: migrationsFolder('postgres') });
        } finally {
          await c.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
        }
      }
    } finally {
      c.release();
    }
  } catch (err) {
    await pool.end().catch(() => {});
    throw err;
  }
  return { db, dialect: 'postgres', close: () => pool.end() };
}
