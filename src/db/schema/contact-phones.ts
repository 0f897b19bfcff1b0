// A contact's phone numbers: as given (raw, with any extension) and as E.164, the key caller ID is
// matched on. One number may belong to several contacts (an office switchboard): see src/contacts/match.ts.
import type { AnySQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { Kit } from './kit.js';

export function defineContactPhones(k: Kit, { contacts }: { contacts: { id: AnySQLiteColumn } }) {
  const { table: sqliteTable, text, index, uniqueIndex } = k;
  const contactPhones = sqliteTable(
    'contact_phones',
    {
      id: text('id').primaryKey(),
      contactId: text('contact_id')
        .notNull()
        .references(() => contacts.id, { onDelete: 'cascade' }),
      raw: text('raw').notNull(),
      e164: text('e164').notNull(),
      label: text('label'),
    },
    (t) => [
      index('contact_phones_e164_idx').on(t.e164),
      uniqueIndex('contact_phones_contact_e164_uq').on(t.contactId, t.e164),
    ],
  );
  return { contactPhones };
}

export type ContactPhoneRow = ReturnType<typeof defineContactPhones>['contactPhones']['$inferSelect'];
