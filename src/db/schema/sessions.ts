// Browser sessions (issue 4): the cookie carries a random id; only its SHA-256 is stored, so a copy of
// the database does not let anyone log in.
import type { AnySQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { Kit } from './kit.js';

export function defineSessions(k: Kit, { users }: { users: { id: AnySQLiteColumn } }) {
  const { table: sqliteTable, text, integer, index } = k;
  const sessions = sqliteTable(
    'sessions',
    {
      /** SHA-256 (hex) of the session id in the cookie. */
      idHash: text('id_hash').primaryKey(),
      userId: text('user_id')
        .notNull()
        .references(() => users.id, { onDelete: 'cascade' }),
      createdAt: integer('created_at').notNull(),
      expiresAt: integer('expires_at').notNull(),
    },
    (t) => [index('sessions_user_idx').on(t.userId), index('sessions_expires_idx').on(t.expiresAt)],
  );
  return { sessions };
}

export type SessionRow = ReturnType<typeof defineSessions>['sessions']['$inferSelect'];
