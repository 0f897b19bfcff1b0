// globalSetup (vitest) for a run on PostgreSQL (CTI_TEST_DATABASE=postgres): migrates the template
// database cti_template once, before any test file starts, so that tests/support/database.ts's
// freshDatabase() is a copy of it (CREATE DATABASE ... TEMPLATE). On a SQLite run it does nothing.
// The template is closed to connections once migrated: PostgreSQL copies a database only while nobody is
// connected to it, and nothing may write to the schema every test starts from.
import {
  databaseUrl, TEMPLATE_DATABASE, TEST_DATABASE_PREFIX, testDatabaseEngine, testServerUrl, withServer,
} from './database.js';

type MigrateDatabase = (target: string) => Promise<void>;

export async function setup(): Promise<void> {
  if (testDatabaseEngine() !== 'postgres') return;
  await createTemplate(testServerUrl(), await loadMigrateDatabase());
}

export async function teardown(): Promise<void> {
  if (testDatabaseEngine() !== 'postgres') return;
  await dropTestDatabases(testServerUrl());
}

// migrateDatabase(target) applies the migrations to a SQLite file or a postgres:// URL. It is imported
// when the run needs it, and checked, rather than named in a static import: a postgres run on a tree
// without it then fails here, with this message, and a SQLite run does not need it at all.
async function loadMigrateDatabase(): Promise<MigrateDatabase> {
  const client = await import('../../src/db/client.js') as { migrateDatabase?: unknown };
  if (typeof client.migrateDatabase !== 'function') {
    throw new Error(
      'CTI_TEST_DATABASE=postgres: src/db/client.ts exports no migrateDatabase(target), which the test template '
      + `${TEMPLATE_DATABASE} is migrated with (tests/support/pg-template.ts)`,
    );
  }
  return client.migrateDatabase as MigrateDatabase;
}

/** Drops a stale template and the copies earlier runs left, then makes and migrates a new template. */
export async function createTemplate(serverUrl: string, migrate: MigrateDatabase): Promise<void> {
  await dropTestDatabases(serverUrl);
  await withServer(serverUrl, (c) => c.query(`CREATE DATABASE ${c.escapeIdentifier(TEMPLATE_DATABASE)}`));
  try {
    await migrate(databaseUrl(serverUrl, TEMPLATE_DATABASE));
  } catch (err) {
    await dropTestDatabases(serverUrl).catch(() => {});   // no half-migrated template for the next run to trip on
    throw err;
  }
  await withServer(serverUrl, async (c) => {
    const t = c.escapeIdentifier(TEMPLATE_DATABASE);
    await c.query(`ALTER DATABASE ${t} WITH ALLOW_CONNECTIONS false`);
    // A connection the migration left open (a pool not yet ended) would make every copy fail with
    // "source database is being accessed by other users".
    await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [TEMPLATE_DATABASE]);
    await c.query(`ALTER DATABASE ${t} WITH IS_TEMPLATE true`);
  });
}

/** The template and every per-test copy (cti_t_*): on a server one run uses at a time, all of them are ours. */
export async function dropTestDatabases(serverUrl: string): Promise<void> {
  await withServer(serverUrl, async (c) => {
    const { rows } = await c.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname = $1 OR starts_with(datname, $2)", [TEMPLATE_DATABASE, TEST_DATABASE_PREFIX],
    );
    for (const { datname } of rows) {
      const d = c.escapeIdentifier(datname);
      // A template cannot be dropped (PostgreSQL: "cannot drop a template database").
      if (datname === TEMPLATE_DATABASE) await c.query(`ALTER DATABASE ${d} WITH IS_TEMPLATE false`);
      await c.query(`DROP DATABASE ${d} WITH (FORCE)`);
    }
  });
}
