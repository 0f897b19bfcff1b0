// Failed logins (issue 10, item 6), kept in the database so a restart does not reset a lock.
// One row per failure; rows older than the limiter's window are pruned as new ones come
// (src/users/login-limiter.ts), so the table holds at most a window's worth of failures.
import type { Kit } from './kit.js';

export function defineLoginFailures(k: Kit) {
  const { table: sqliteTable, text, integer, index, autoId } = k;
  const loginFailures = sqliteTable(
    'login_failures',
    {
      id: autoId('id'),
      /** SHA-256 (hex) of the user name as typed, NFC and lower-cased: people type passwords into the name field. */
      userKey: text('user_key').notNull(),
      /** The client address (an IPv6 address by its /64), as src/users/login-limiter.ts reduces it. */
      address: text('address').notNull(),
      at: integer('at').notNull(),
    },
    (t) => [
      index('login_failures_pair_idx').on(t.userKey, t.address, t.at),
      index('login_failures_address_idx').on(t.address, t.at),
      index('login_failures_at_idx').on(t.at),
    ],
  );
  return { loginFailures };
}

export type LoginFailureRow = ReturnType<typeof defineLoginFailures>['loginFailures']['$inferSelect'];
