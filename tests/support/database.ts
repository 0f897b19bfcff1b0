// A fresh database per test, on the engine the run asks for: CTI_TEST_DATABASE=sqlite (the default) or
// postgres. SQLite: a new file in the test's own directory. PostgreSQL: a new database on the server
// CTI_TEST_PG_URL names (`export CTI_TEST_PG_URL=$(bash scripts/pg.sh up)`), copied from the migrated
// template cti_template that tests/support/pg-template.ts (the tier's globalSetup) makes once per run; a
// copy takes milliseconds where migrating each database would take far longer. One run per server at a
// time: a second run's globalSetup replaces the template under the first (give each its own CTI_PG_PORT).
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { openDb, type DbHandle } from '../../src/db/client.js';

export type TestDatabaseEngine = 'sqlite' | 'postgres';

/** The migrated schema every PostgreSQL test database is copied from. */
export const TEMPLATE_DATABASE = 'cti_template';
/** Names of the per-test copies begin with this (tests/support/pg-template.ts drops leftovers by it). */
export const TEST_DATABASE_PREFIX = 'cti_t_';

export function testDatabaseEngine(): TestDatabaseEngine {
  const engine = (process.env['CTI_TEST_DATABASE'] ?? '').trim() || 'sqlite';
  if (engine === 'sqlite') return 'sqlite';
  if (engine === 'postgres') {
    testServerUrl();
    return 'postgres';
  }
  throw new Error(`CTI_TEST_DATABASE: sqlite or postgres, not '${engine}'`);
}

/** The PostgreSQL server of a postgres run: a URL whose role may create and drop databases. */
export function testServerUrl(): string {
  const url = (process.env['CTI_TEST_PG_URL'] ?? '').trim();
  if (!url) {
    throw new Error(
      'CTI_TEST_DATABASE=postgres needs CTI_TEST_PG_URL, the URL of a PostgreSQL server whose role may create databases, '
      + 'e.g. the throw-away one of `export CTI_TEST_PG_URL=$(bash scripts/pg.sh up)`',
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('CTI_TEST_PG_URL: not a URL (postgres://user:password@host:port/database)');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new Error(`CTI_TEST_PG_URL: a postgres:// URL, not ${parsed.protocol}//...`);
  }
  return url;
}

/** The same server and credentials, another database. */
export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Runs fn on one connection to the server (its own database) and always closes it. */
export async function withServer<T>(serverUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl, application_name: 'cti-tests' });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export interface FreshDatabase {
  /** What the app is opened on: a SQLite file path or a postgres:// URL. */
  target: string;
  /** Deletes the PostgreSQL database, even with connections still open; a no-op for SQLite (the test's dir goes with it). */
  drop(): Promise<void>;
}

// One admin connection per worker process and server, kept between its tests: a new connection costs
// 25-50 ms here (scram-sha-256 on a busy 2-core machine), twice per test. allowExitOnIdle: an idle one
// never keeps a worker alive, and it is closed after a few idle seconds anyway.
const admins = new Map<string, pg.Pool>();
function admin(serverUrl: string): pg.Pool {
  let pool = admins.get(serverUrl);
  if (!pool) {
    pool = new pg.Pool({ connectionString: serverUrl, application_name: 'cti-tests', max: 1, idleTimeoutMillis: 5_000, allowExitOnIdle: true });
    pool.on('error', () => {});   // an idle connection the server dropped: the pool replaces it
    admins.set(serverUrl, pool);
  }
  return pool;
}

// PostgreSQL 15's default copies a database through the WAL, block by block (STRATEGY WAL_LOG); the
// older way, a checkpoint and a copy of the files, took half as long here for a small template, alone and
// with 8 copies at once. Older servers know only that way, and no STRATEGY.
const copyClauses = new Map<string, Promise<string>>();
function copyClause(serverUrl: string): Promise<string> {
  let clause = copyClauses.get(serverUrl);
  if (!clause) {
    clause = admin(serverUrl).query<{ v: string }>("SELECT current_setting('server_version_num') AS v")
      .then(({ rows }) => (Number(rows[0]?.v) >= 150000 ? ' STRATEGY FILE_COPY' : ''));
    clause.catch(() => copyClauses.delete(serverUrl));
    copyClauses.set(serverUrl, clause);
  }
  return clause;
}

let copies = 0;

/**
 * A new, migrated, empty database for one test. dir is the test's own directory (the SQLite file goes
 * there). Call drop() when the test ends (afterEach / the app's close).
 */
export async function freshDatabase(dir: string): Promise<FreshDatabase> {
  if (testDatabaseEngine() === 'sqlite') {
    return { target: join(dir, 'cti.sqlite'), drop: async () => {} };
  }
  const server = testServerUrl();
  // Unique across the run's worker processes (pid), within one (counter), and across runs (random).
  copies += 1;
  const name = `${TEST_DATABASE_PREFIX}${process.pid}_${copies}_${randomBytes(3).toString('hex')}`;
  const db = pg.escapeIdentifier(name);
  try {
    await admin(server).query(`CREATE DATABASE ${db} TEMPLATE ${pg.escapeIdentifier(TEMPLATE_DATABASE)}${await copyClause(server)}`);
  } catch (err) {
    if ((err as { code?: string }).code === '3D000') {   // invalid_catalog_name: no template
      throw new Error(
        `PostgreSQL test database: the template ${TEMPLATE_DATABASE} does not exist on CTI_TEST_PG_URL's server. `
        + "It is made by the tier's globalSetup tests/support/pg-template.ts (vitest.config.ts): is it listed there?",
      );
    }
    throw err;
  }
  let dropped = false;
  return {
    target: databaseUrl(server, name),
    async drop() {
      if (dropped) return;
      dropped = true;
      // FORCE (PostgreSQL 13+): ends the connections a test's app left open instead of failing on them.
      await admin(server).query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    },
  };
}

// The integration and e2e tiers name a test's database by the SQLite file path they made for it
// (newDbFile): its folder holds the service's log and routing rules, whatever the engine. On a postgres
// run that path stands for a database of its own, made on first use and dropped by the tier's teardown
// (tests/support/pg-template.ts drops every cti_t_* database).
const byFile = new Map<string, Promise<string>>();

/** What the service and the test open for the database named by dbFile: the file itself, or its PostgreSQL database. */
export function databaseTarget(dbFile: string): Promise<string> {
  if (testDatabaseEngine() === 'sqlite') return Promise.resolve(dbFile);
  let target = byFile.get(dbFile);
  if (!target) {
    target = freshDatabase(dirname(dbFile)).then((d) => d.target);
    byFile.set(dbFile, target);
  }
  return target;
}

/** openDb on the database dbFile names (databaseTarget). */
export async function openTestDb(dbFile: string): Promise<DbHandle> {
  return openDb(await databaseTarget(dbFile));
}

/** The environment that points a service process at that database. */
export async function databaseEnv(dbFile: string): Promise<Record<string, string>> {
  const target = await databaseTarget(dbFile);
  return target === dbFile ? { CTI_DB_FILE: dbFile } : { CTI_DB_FILE: dbFile, CTI_DATABASE_URL: target };
}
