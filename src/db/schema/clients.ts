// Clients: a company or a person we sell to, with its monthly turnover, its owner manager and a segment.
// Turnover is an integer in the currency's minor units (kopecks, cents; ISO 4217 exponent): exact, and
// comparable against routing thresholds without floating point. PostgreSQL: bigint.
import type { AnySQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { Kit } from './kit.js';
import { CLIENT_KINDS } from '../../contract/enums.js';

export { CLIENT_KINDS, type ClientKind } from '../../contract/enums.js';

export function defineClients(k: Kit, { users }: { users: { id: AnySQLiteColumn } }) {
  const { table: sqliteTable, text, integer, index, uniqueIndex } = k;
  const clients = sqliteTable(
    'clients',
    {
      id: text('id').primaryKey(),
      kind: text('kind', { enum: CLIENT_KINDS }).notNull(),
      name: text('name').notNull(),
      /** Monthly turnover in minor units of `currency`; null when unknown. */
      turnoverMinor: integer('turnover_minor'),
      /** ISO 4217 code; set whenever turnoverMinor is. */
      currency: text('currency'),
      /** The responsible manager (users.id); calls from this client's numbers route to them. */
      ownerId: text('owner_id').references(() => users.id, { onDelete: 'set null' }),
      segment: text('segment'),
      /** The client's id in an external CRM: the key of upserts and CSV imports. */
      externalId: text('external_id'),
      /** Lower-cased name for case-insensitive search in any script (LIKE is ASCII-only in SQLite). */
      search: text('search').notNull(),
      createdAt: integer('created_at').notNull(),
      updatedAt: integer('updated_at').notNull(),
    },
    (t) => [
      uniqueIndex('clients_external_id_uq').on(t.externalId),
      index('clients_owner_idx').on(t.ownerId),
      index('clients_name_idx').on(t.name, t.id),
    ],
  );
  return { clients };
}

export type ClientRow = ReturnType<typeof defineClients>['clients']['$inferSelect'];
export type NewClientRow = ReturnType<typeof defineClients>['clients']['$inferInsert'];
