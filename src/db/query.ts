// What domain code needs beyond drizzle's builders to run the same code on SQLite and PostgreSQL:
// transactions that may await, the first row, how many rows a write touched, and the few SQL
// fragments whose spelling differs. Every query is awaited (never .all()/.get()/.run(), which only
// SQLite's driver has).
import { AsyncLocalStorage } from 'node:async_hooks';
import { is, sql, type SQL } from 'drizzle-orm';
import { PgDatabase } from 'drizzle-orm/pg-core';
import type { Db } from './client.js';

export function isPostgres(db: Db): boolean {
  return is(db, PgDatabase);
}

/**
 * Whether a statement costs no round trip (SQLite: in-process): a hot path may then run a prepared
 * one-row statement per row, which beats building a multi-row one per call; PostgreSQL's are each a
 * round trip to the server, where one multi-row statement wins.
 */
export function inProcess(db: Db): boolean {
  return !isPostgres(db);
}

/** The first row of an awaited select, or undefined. */
export async function first<T>(rows: PromiseLike<T[]>): Promise<T | undefined> {
  return (await rows)[0];
}

/** How many rows an awaited insert/update/delete touched (SQLite's `changes`, PostgreSQL's `rowCount`). */
export function rowsAffected(result: unknown): number {
  const r = result as { changes?: number; rowCount?: number | null };
  return r.changes ?? r.rowCount ?? 0;
}

// SQLite: one connection, so a transaction is BEGIN..COMMIT on it, one at a time (a queue per database),
// and a transaction begun inside another (same async context) is a savepoint. Domain code passes `tx`
// on to every query of the transaction; on SQLite it is the database itself.
const inTx = new AsyncLocalStorage<{ db: Db; depth: number }>();
const queues = new WeakMap<Db, Promise<unknown>>();
let savepoints = 0;

/**
 * Runs fn in a transaction: all its writes or none. fn may await, but only the database: on SQLite,
 * other work that writes while fn waits on something else (a timer, the network) would land inside
 * this transaction. PostgreSQL: drizzle's transaction on one pooled connection.
 */
export async function transaction<T>(db: Db, fn: (tx: Db) => Promise<T>): Promise<T> {
  if (isPostgres(db)) {
    const pgDb = db as unknown as { transaction<R>(f: (tx: unknown) => Promise<R>): Promise<R> };
    return pgDb.transaction((tx) => fn(tx as Db));
  }
  const outer = inTx.getStore();
  if (outer && outer.db === db) {
    const name = sql.raw(`cti_sp_${++savepoints}`);
    db.run(sql`SAVEPOINT ${name}`);
    try {
      const r = await fn(db);
      db.run(sql`RELEASE ${name}`);
      return r;
    } catch (err) {
      db.run(sql`ROLLBACK TO ${name}`);
      db.run(sql`RELEASE ${name}`);
      throw err;
    }
  }
  const before = queues.get(db) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => { release = r; });
  queues.set(db, before.then(() => mine));
  await before;
  try {
    return await inTx.run({ db, depth: 1 }, async () => {
      db.run(sql`BEGIN IMMEDIATE`);
      try {
        const r = await fn(db);
        db.run(sql`COMMIT`);
        return r;
      } catch (err) {
        db.run(sql`ROLLBACK`);
        throw err;
      }
    });
  } finally {
    release();
  }
}

/**
 * A column SQLite's planner must not pick an index for (unary +, SQLite docs "The unary + operator"):
 * where a narrower index serves the query. PostgreSQL's planner weighs them from its statistics (and
 * has no unary + for text): the column as it is.
 */
export function notIndexed(db: Db, column: unknown): SQL {
  return isPostgres(db) ? sql`${column}` : sql`+${column}`;
}

/** Case-insensitive LIKE: SQLite's LIKE already is (for ASCII); PostgreSQL's is ILIKE. */
export function ilike(db: Db, column: SQL | SQL.Aliased | unknown, pattern: string): SQL {
  return isPostgres(db) ? sql`${column} ILIKE ${pattern}` : sql`${column} LIKE ${pattern}`;
}

/**
 * Rows of a raw SQL query (drizzle's `sql` template: names and values are escaped and bound as
 * parameters). Raw SQL must be valid on both engines; the few fragments that differ live here.
 */
export async function rows<T>(db: Db, query: SQL): Promise<T[]> {
  if (isPostgres(db)) {
    const r = await (db as unknown as { execute(q: SQL): Promise<{ rows: T[] }> }).execute(query);
    return r.rows;
  }
  return db.all<T>(query);
}

/** Runs a raw SQL statement; returns how many rows it touched. */
export async function execute(db: Db, query: SQL): Promise<number> {
  if (isPostgres(db)) return rowsAffected(await (db as unknown as { execute(q: SQL): Promise<unknown> }).execute(query));
  return rowsAffected(db.run(query));
}
