// Contacts: the people of a client, each with an email and several phone numbers (contact-phones.ts).
import type { AnySQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { Kit } from './kit.js';

export function defineContacts(k: Kit, { clients }: { clients: { id: AnySQLiteColumn } }) {
  const { table: sqliteTable, text, integer, index, uniqueIndex } = k;
  const contacts = sqliteTable(
    'contacts',
    {
      id: text('id').primaryKey(),
      clientId: text('client_id')
        .notNull()
        .references(() => clients.id, { onDelete: 'cascade' }),
      name: text('name').notNull(),
      email: text('email'),
      /** The contact's id in an external CRM: the key of upserts and CSV imports. */
      externalId: text('external_id'),
      /** Lower-cased name, email and E.164 numbers, newline separated: one column to search in any script. */
      search: text('search').notNull(),
      createdAt: integer('created_at').notNull(),
      updatedAt: integer('updated_at').notNull(),
    },
    (t) => [
      uniqueIndex('contacts_external_id_uq').on(t.externalId),
      index('contacts_client_idx').on(t.clientId),
      index('contacts_name_idx').on(t.name, t.id),
    ],
  );
  return { contacts };
}

export type ContactRow = ReturnType<typeof defineContacts>['contacts']['$inferSelect'];
export type NewContactRow = ReturnType<typeof defineContacts>['contacts']['$inferInsert'];
