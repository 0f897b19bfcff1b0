// The contacts area's database paths that differ by engine: the CSV import's bulk reads and writes of a
// batch, and "which of these numbers had a call lately". SQLite keeps its fast path (better-sqlite3
// statements prepared once, positional parameters, rows as arrays, a batch's keys in ONE statement through
// json_each: through drizzle, building parameter objects and mapping rows cost the main thread more than
// SQLite's own work); PostgreSQL gets one statement per table and batch, its rows passed as arrays
// (unnest), so a batch of 5,000 rows is a handful of round trips inside its transaction.
import { sql, type SQL } from 'drizzle-orm';
import type Sqlite from 'better-sqlite3';
import type { Db } from './client.js';
import { execute, isPostgres, rows } from './query.js';
import type { ClientRow, ContactPhoneRow, ContactRow } from './schema/index.js';

/** A number as a contact has it (the import's CleanPhone). */
export interface ImportPhone {
  raw: string;
  e164: string;
  label: string | null;
}
export type ImportClient = Omit<ClientRow, 'search'>;
export type ImportContact = Omit<ContactRow, 'search'> & { phones: ImportPhone[] };

/** A batch's clients and contacts as the database has them, by external id. */
export interface ImportExisting {
  clients: Map<string, ImportClient>;
  contacts: Map<string, ImportContact>;
}

/** What a batch writes: whole rows (inserted or replacing the row of the same id). */
export interface ImportWrites {
  clients: { row: ClientRow; isNew: boolean }[];
  contacts: { row: ContactRow; isNew: boolean }[];
  /** Contacts whose numbers are replaced: the old ones go (`existed`), these come. */
  phones: { contactId: string; existed: boolean; rows: ContactPhoneRow[] }[];
}

/**
 * A drizzle prepared query, named for PostgreSQL (a server-side prepared statement per connection: the
 * call path plans it once); SQLite ignores the name. Run it with `await q.execute(values)` on both.
 */
export function prepareNamed<Q extends { prepare(): unknown }>(q: Q, name: string): ReturnType<Q['prepare']> {
  return (q as unknown as { prepare(name: string): ReturnType<Q['prepare']> }).prepare(`cti_${name}`);
}

// --- SQLite: raw better-sqlite3, as src/reports does

const CLIENT_COLS = 'id, kind, name, turnover_minor, currency, owner_id, segment, external_id, created_at, updated_at';
const sqliteOf = (db: Db) => (db as unknown as { $client: Sqlite.Database }).$client;

function prepareSqlite(sqlite: Sqlite.Database) {
  return {
    // CROSS JOIN keeps json_each the outer loop, so each key is one probe of the unique index.
    clientsByExternalId: sqlite.prepare(`SELECT ${CLIENT_COLS.replace(/(\w+)/g, 'c.$1')} FROM json_each(?) j CROSS JOIN clients c ON c.external_id = j.value`).raw(),
    contactsByExternalId: sqlite.prepare('SELECT c.id, c.client_id, c.name, c.email, c.external_id, c.created_at, c.updated_at FROM json_each(?) j CROSS JOIN contacts c ON c.external_id = j.value').raw(),
    // Phone ids sort in the order the numbers were given (phoneId).
    phonesOfContacts: sqlite.prepare('SELECT p.contact_id, p.raw, p.e164, p.label FROM json_each(?) j CROSS JOIN contact_phones p ON p.contact_id = j.value ORDER BY p.id').raw(),
    insertClient: sqlite.prepare(`INSERT INTO clients (${CLIENT_COLS}, search) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    updateClient: sqlite.prepare('UPDATE clients SET kind = ?, name = ?, turnover_minor = ?, currency = ?, owner_id = ?, segment = ?, search = ?, updated_at = ? WHERE id = ?'),
    insertContact: sqlite.prepare('INSERT INTO contacts (id, client_id, name, email, external_id, search, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
    updateContact: sqlite.prepare('UPDATE contacts SET client_id = ?, name = ?, email = ?, search = ?, updated_at = ? WHERE id = ?'),
    deletePhones: sqlite.prepare('DELETE FROM contact_phones WHERE contact_id = ?'),
    insertPhone: sqlite.prepare('INSERT INTO contact_phones (id, contact_id, raw, e164, label) VALUES (?, ?, ?, ?, ?)'),
    // One statement for any number of numbers, each an index probe of calls(external_number, started_at).
    numbersWithCalls: sqlite.prepare('SELECT j.value FROM json_each(?) j WHERE EXISTS (SELECT 1 FROM calls c WHERE c.external_number = j.value AND c.started_at >= ?)').pluck(),
  };
}
const sqliteStatements = new WeakMap<Db, ReturnType<typeof prepareSqlite>>();
function sqliteSt(db: Db): ReturnType<typeof prepareSqlite> {
  let s = sqliteStatements.get(db);
  if (!s) sqliteStatements.set(db, (s = prepareSqlite(sqliteOf(db))));
  return s;
}

type ClientTuple = [string, ClientRow['kind'], string, number | null, string | null, string | null, string | null, string, number, number];
type ContactTuple = [string, string, string, string | null, string, number, number];
type PhoneTuple = [string, string, string, string | null];

function collect(clientRows: ClientTuple[], contactRows: ContactTuple[], phonesOf: (ids: string[]) => PhoneTuple[]): ImportExisting {
  const clients = new Map<string, ImportClient>();
  for (const c of clientRows) {
    clients.set(c[7], { id: c[0], kind: c[1], name: c[2], turnoverMinor: c[3], currency: c[4], ownerId: c[5], segment: c[6], externalId: c[7], createdAt: c[8], updatedAt: c[9] });
  }
  const contacts = new Map<string, ImportContact>();
  const byId = new Map<string, ImportContact>();
  for (const c of contactRows) {
    const state: ImportContact = { id: c[0], clientId: c[1], name: c[2], email: c[3], externalId: c[4], createdAt: c[5], updatedAt: c[6], phones: [] };
    contacts.set(c[4], state);
    byId.set(c[0], state);
  }
  if (byId.size) {
    for (const p of phonesOf([...byId.keys()])) byId.get(p[0])!.phones.push({ raw: p[1], e164: p[2], label: p[3] });
  }
  return { clients, contacts };
}

// --- PostgreSQL: a batch's keys and rows as array parameters

/** One array parameter ($n::text[] and the like): node-postgres sends a JS array as an array literal. */
const arr = (values: readonly unknown[], type: 'text' | 'bigint'): SQL => sql`${sql.param(values)}::${sql.raw(type)}[]`;

/** The batch's clients and contacts (with their numbers, in their order) by external id. */
export async function loadImportBatch(tx: Db, clientKeys: readonly string[], contactKeys: readonly string[]): Promise<ImportExisting> {
  if (!isPostgres(tx)) {
    const s = sqliteSt(tx);
    return collect(
      s.clientsByExternalId.all(JSON.stringify(clientKeys)) as ClientTuple[],
      contactKeys.length ? s.contactsByExternalId.all(JSON.stringify(contactKeys)) as ContactTuple[] : [],
      (ids) => s.phonesOfContacts.all(JSON.stringify(ids)) as PhoneTuple[],
    );
  }
  const tuples = <T>(q: SQL) => rows<Record<string, unknown>>(tx, q).then((r) => r.map((x) => Object.values(x) as T));
  const clientRows = await tuples<ClientTuple>(sql`SELECT id, kind, name, turnover_minor, currency, owner_id, segment, external_id, created_at, updated_at
    FROM clients WHERE external_id = ANY(${arr(clientKeys, 'text')})`);
  const contactRows = contactKeys.length
    ? await tuples<ContactTuple>(sql`SELECT id, client_id, name, email, external_id, created_at, updated_at FROM contacts WHERE external_id = ANY(${arr(contactKeys, 'text')})`)
    : [];
  const phoneRows = contactRows.length
    ? await tuples<PhoneTuple>(sql`SELECT contact_id, raw, e164, label FROM contact_phones WHERE contact_id = ANY(${arr(contactRows.map((c) => c[0]), 'text')}) ORDER BY id`)
    : [];
  return collect(clientRows, contactRows, () => phoneRows);
}

/** Writes a batch: clients first (contacts refer to them), then contacts, then their numbers. Call in a transaction. */
export async function writeImportBatch(tx: Db, w: ImportWrites): Promise<void> {
  if (!isPostgres(tx)) {
    const s = sqliteSt(tx);
    for (const { row: c, isNew } of w.clients) {
      if (isNew) s.insertClient.run(c.id, c.kind, c.name, c.turnoverMinor, c.currency, c.ownerId, c.segment, c.externalId, c.createdAt, c.updatedAt, c.search);
      else s.updateClient.run(c.kind, c.name, c.turnoverMinor, c.currency, c.ownerId, c.segment, c.search, c.updatedAt, c.id);
    }
    for (const { row: c, isNew } of w.contacts) {
      if (isNew) s.insertContact.run(c.id, c.clientId, c.name, c.email, c.externalId, c.search, c.createdAt, c.updatedAt);
      else s.updateContact.run(c.clientId, c.name, c.email, c.search, c.updatedAt, c.id);
    }
    for (const p of w.phones) {
      if (p.existed) s.deletePhones.run(p.contactId);
      for (const r of p.rows) s.insertPhone.run(r.id, r.contactId, r.raw, r.e164, r.label);
    }
    return;
  }
  // An existing row is replaced whole by its id (the import read it in this transaction): one upsert per table.
  if (w.clients.length) {
    const c = w.clients.map((x) => x.row);
    await execute(tx, sql`INSERT INTO clients (id, kind, name, turnover_minor, currency, owner_id, segment, external_id, search, created_at, updated_at)
      SELECT * FROM unnest(${arr(c.map((r) => r.id), 'text')}, ${arr(c.map((r) => r.kind), 'text')}, ${arr(c.map((r) => r.name), 'text')},
        ${arr(c.map((r) => r.turnoverMinor), 'bigint')}, ${arr(c.map((r) => r.currency), 'text')}, ${arr(c.map((r) => r.ownerId), 'text')},
        ${arr(c.map((r) => r.segment), 'text')}, ${arr(c.map((r) => r.externalId), 'text')}, ${arr(c.map((r) => r.search), 'text')},
        ${arr(c.map((r) => r.createdAt), 'bigint')}, ${arr(c.map((r) => r.updatedAt), 'bigint')})
      ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, name = excluded.name, turnover_minor = excluded.turnover_minor,
        currency = excluded.currency, owner_id = excluded.owner_id, segment = excluded.segment, search = excluded.search, updated_at = excluded.updated_at`);
  }
  if (w.contacts.length) {
    const c = w.contacts.map((x) => x.row);
    await execute(tx, sql`INSERT INTO contacts (id, client_id, name, email, external_id, search, created_at, updated_at)
      SELECT * FROM unnest(${arr(c.map((r) => r.id), 'text')}, ${arr(c.map((r) => r.clientId), 'text')}, ${arr(c.map((r) => r.name), 'text')},
        ${arr(c.map((r) => r.email), 'text')}, ${arr(c.map((r) => r.externalId), 'text')}, ${arr(c.map((r) => r.search), 'text')},
        ${arr(c.map((r) => r.createdAt), 'bigint')}, ${arr(c.map((r) => r.updatedAt), 'bigint')})
      ON CONFLICT (id) DO UPDATE SET client_id = excluded.client_id, name = excluded.name, email = excluded.email,
        search = excluded.search, updated_at = excluded.updated_at`);
  }
  const replaced = w.phones.filter((p) => p.existed).map((p) => p.contactId);
  if (replaced.length) await execute(tx, sql`DELETE FROM contact_phones WHERE contact_id = ANY(${arr(replaced, 'text')})`);
  const p = w.phones.flatMap((x) => x.rows);
  if (p.length) {
    await execute(tx, sql`INSERT INTO contact_phones (id, contact_id, raw, e164, label)
      SELECT * FROM unnest(${arr(p.map((r) => r.id), 'text')}, ${arr(p.map((r) => r.contactId), 'text')}, ${arr(p.map((r) => r.raw), 'text')},
        ${arr(p.map((r) => r.e164), 'text')}, ${arr(p.map((r) => r.label), 'text')})`);
  }
}

/** Which of these numbers (distinct) had a call started at or after `since`: one indexed query for all. */
export async function numbersWithCalls(db: Db, e164s: readonly string[], since: number): Promise<string[]> {
  if (e164s.length === 0) return [];
  if (!isPostgres(db)) return sqliteSt(db).numbersWithCalls.all(JSON.stringify(e164s), since) as string[];
  const r = await rows<{ n: string }>(db, sql`SELECT n FROM unnest(${arr(e164s, 'text')}) AS t(n)
    WHERE EXISTS (SELECT 1 FROM calls c WHERE c.external_number = t.n AND c.started_at >= ${since})`);
  return r.map((x) => x.n);
}
