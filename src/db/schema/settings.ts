// Small key/value facts the service keeps between runs (e.g. how far the CDR file was read).
import type { Kit } from './kit.js';

export function defineSettings(k: Kit) {
  const { table: sqliteTable, text } = k;
  const settings = sqliteTable('settings', {
    key: text('key').primaryKey(),
    value: text('value').notNull(),
  });
  return { settings };
}
