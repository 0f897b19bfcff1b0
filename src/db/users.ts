// What the users feature needs of the database beyond drizzle's builders: a lock that makes the login
// limiter's "count, then maybe add one" exact when logins race, on one service or several sharing a
// PostgreSQL database (src/users/login-limiter.ts).
import { sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { execute, isPostgres } from './query.js';

/** The first key of our advisory locks ("CTI" + 1): keeps them apart from other users of pg_advisory_*. */
const LOGIN_LOCK_CLASS = 0x435449_01;

/**
 * Inside a transaction (`tx`): waits until no other transaction counts failures for this client
 * address, and holds it off until this one ends. SQLite needs nothing: its writing transactions begin
 * IMMEDIATE, one at a time (src/db/query.ts). PostgreSQL: a transaction-scoped advisory lock on the
 * address (hashtext: an int4; two addresses that collide only wait for each other).
 */
export async function lockLoginAddress(tx: Db, address: string): Promise<void> {
  if (!isPostgres(tx)) return;
  await execute(tx, sql`SELECT pg_advisory_xact_lock(${LOGIN_LOCK_CLASS}::int4, hashtext(${address}::text))`);
}
