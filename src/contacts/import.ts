// The CSV importer shared by `cti import contacts FILE.csv` and POST /api/v1/imports: streams the file
// (memory stays flat whatever its size), checks every row, and writes the good ones in batches, one
// transaction per batch, while every bad row is reported (its line, its column, why). Keyed by external
// ids, so importing the same file twice changes nothing the second time. Reading and checking run in a
// worker thread when built (import-worker.ts), inline under tsx/vitest; the rows are the same.
//
// Columns (header row, any order, case-insensitive; unknown columns are ignored; see README):
//   client_external_id (required), client_name, client_kind (company|person), turnover, currency,
//   owner (a user name), segment, contact_external_id, contact_name, email,
//   phones ("label:number|label:number", a label optional).
// An empty cell leaves what we have as it is (a client named on many rows needs its columns on one).
// UTF-8 with or without BOM; the separator (comma or semicolon, as Russian Excel writes) is read off
// the header line; fields may be quoted ("..." with "" for a quote).
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type Sqlite from 'better-sqlite3';
import type { Db } from '../db/client.js';
import { users, type ClientRow, type ContactRow } from '../db/schema/index.js';
import { CtiError, type ErrorCode } from '../lib/errors.js';
import { newId } from '../lib/ids.js';
import { assertMayImport, nowOf, type ContactsContext } from './context.js';
import { phoneId } from './contacts.js';
import type { CleanPhone } from './fields.js';
import { chunksOf, isCsvFile, readCsv, type CsvInput, type ImportRowError, type ReadEvent, type ReadOptions, type Row } from './import-rows.js';
import type { WorkerInit } from './import-worker.js';
import { rematchCalls } from './match.js';
import { contactSearchText } from './views.js';

export { IMPORT_COLUMNS, detectDelimiter, type CsvFile, type CsvInput, type ImportRowError } from './import-rows.js';

export interface ImportCounts {
  /** Data rows read so far (good and bad). */
  rowsRead: number;
  /** Good rows: written, or already as the file says. */
  rowsImported: number;
  /** Of those, rows that changed something. */
  rowsChanged: number;
  /** Bad rows: reported, not written. */
  rowsRejected: number;
}

export interface ImportResult extends ImportCounts {
  delimiter: ',' | ';';
  /** Header columns we do not know (ignored). */
  ignoredColumns: string[];
}

export interface ImportOptions {
  /** Rows per transaction (default 5000). */
  batchSize?: number;
  /** Every bad row, as soon as it is known. */
  onRowError?(e: ImportRowError): void;
  /** After every batch. */
  onProgress?(c: ImportCounts): void;
  /** Read in this thread even when a worker could (default: a worker when running built). */
  inline?: boolean;
  /** Stops between two batches (what was written stays: a later run of the same file completes it). */
  signal?: AbortSignal;
}

const builtWorker = import.meta.url.endsWith('.js') ? new URL('./import-worker.js', import.meta.url) : null;

/**
 * The same events as readCsv, from a worker thread. A file it reads itself; any other input it is fed
 * chunk by chunk on request, which waits whenever this thread is busy writing a batch (so the API and
 * the CLI hand over files: their uploads are spooled to one).
 */
async function* readInWorker(input: CsvInput, o: ReadOptions, file: URL): AsyncGenerator<ReadEvent> {
  const init: WorkerInit = { region: o.region, users: [...o.userIds], batchSize: o.batchSize, file: isCsvFile(input) ? input.path : null };
  const worker = new Worker(file, { workerData: init });
  const source = isCsvFile(input) ? null : chunksOf(input)[Symbol.asyncIterator]();
  type Msg = ReadEvent | { kind: 'json'; json: string } | { kind: 'done' } | { kind: 'fatal'; message: string; code: ErrorCode | null };
  const queue: Msg[] = [];
  let wake: (() => void) | null = null;
  const push = (m: Msg) => {
    queue.push(m);
    wake?.();
  };
  worker.on('message', (m: Msg | { type: 'pull' }) => {
    if ('type' in m) {
      source?.next().then((n) => {
        if (n.done) worker.postMessage({ type: 'end' });
        else worker.postMessage({ type: 'chunk', data: typeof n.value === 'string' ? Buffer.from(n.value) : n.value });
      }, (err: unknown) => push({ kind: 'fatal', message: `reading the file: ${(err as Error).message}`, code: null }));
    } else push(m);
  });
  worker.on('error', (err) => push({ kind: 'fatal', message: err.message, code: null }));
  worker.on('exit', () => push({ kind: 'fatal', message: 'the import worker stopped', code: null }));
  try {
    for (;;) {
      while (queue.length === 0) await new Promise<void>((r) => (wake = r));
      const m = queue.shift()!;
      if (m.kind === 'done') return;
      if (m.kind === 'fatal') throw m.code ? new CtiError(m.code, m.message) : new Error(m.message);
      if (m.kind !== 'json') {
        yield m;
        continue;
      }
      yield JSON.parse(m.json) as ReadEvent;
      worker.postMessage({ type: 'ack' });
    }
  } finally {
    worker.removeAllListeners('exit');
    await worker.terminate();
    await source?.return?.();
  }
}

export async function importContacts(ctx: ContactsContext, input: CsvInput, opts: ImportOptions = {}): Promise<ImportResult> {
  assertMayImport(ctx.actor);
  const counts: ImportCounts = { rowsRead: 0, rowsImported: 0, rowsChanged: 0, rowsRejected: 0 };
  const read: ReadOptions = {
    region: ctx.region,
    batchSize: opts.batchSize ?? 5000,
    userIds: new Map(ctx.db.select({ id: users.id, name: users.name }).from(users).all().map((u) => [u.name, u.id])),
  };
  const report = (e: ImportRowError) => opts.onRowError?.(e);
  let header: { delimiter: ',' | ';'; ignoredColumns: string[] } | null = null;
  const events = builtWorker && !opts.inline ? readInWorker(input, read, builtWorker) : readCsv(input, read);
  for await (const ev of events) {
    if (ev.kind === 'header') {
      header = { delimiter: ev.delimiter, ignoredColumns: ev.ignoredColumns };
      continue;
    }
    opts.signal?.throwIfAborted();
    counts.rowsRead += ev.rowsRead;
    counts.rowsRejected += ev.rowsRejected;
    for (const e of ev.errors) report(e);
    if (ev.rows.length) {
      const r = applyBatch(ctx, ev.rows);
      counts.rowsImported += r.imported;
      counts.rowsChanged += r.changed;
      counts.rowsRejected += r.errors.length;
      for (const e of r.errors) report(e);
    }
    opts.onProgress?.({ ...counts });
    await yieldToLoop(); // let the server answer between batches
  }
  return { ...counts, delimiter: header?.delimiter ?? ',', ignoredColumns: header?.ignoredColumns ?? [] };
}

// --- writing a batch
//
// The bulk path speaks to better-sqlite3 directly, as src/reports does: statements prepared once with
// positional parameters, rows read as arrays, and a batch's keys looked up with ONE statement through
// json_each. Through drizzle, building parameter objects and mapping rows cost the main thread more
// than SQLite's own work (a 1,000,000-row import was bound by it, not by the checking worker).

type ClientState = Omit<ClientRow, 'search'>;
type ContactState = Omit<ContactRow, 'search'> & { phones: CleanPhone[] };

const CLIENT_COLS = 'id, kind, name, turnover_minor, currency, owner_id, segment, external_id, created_at, updated_at';
const sqliteOf = (db: Db) => (db as unknown as { $client: Sqlite.Database }).$client;

function prepare(sqlite: Sqlite.Database) {
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
  };
}
const statements = new WeakMap<Db, ReturnType<typeof prepare>>();

type ClientTuple = [string, ClientRow['kind'], string, number | null, string | null, string | null, string | null, string, number, number];
type ContactTuple = [string, string, string, string | null, string, number, number];
type PhoneTuple = [string, string, string, string | null];

const sameClient = (a: ClientState, b: ClientState) =>
  a.kind === b.kind && a.name === b.name && a.turnoverMinor === b.turnoverMinor && a.currency === b.currency
  && a.ownerId === b.ownerId && a.segment === b.segment;
const samePhones = (a: readonly CleanPhone[], b: readonly CleanPhone[]) =>
  a.length === b.length && a.every((p, i) => p.raw === b[i]!.raw && p.e164 === b[i]!.e164 && p.label === b[i]!.label);
const sameContact = (a: ContactState, b: ContactState) =>
  a.clientId === b.clientId && a.name === b.name && a.email === b.email && samePhones(a.phones, b.phones);

/** The batch's clients and contacts (with their numbers) as the database has them, by external id. */
function loadExisting(s: ReturnType<typeof prepare>, rows: readonly Row[]): { clients: Map<string, ClientState>; contacts: Map<string, ContactState> } {
  const clientKeys = new Set<string>();
  const contactKeys = new Set<string>();
  for (const r of rows) {
    clientKeys.add(r.client.externalId);
    if (r.contact) contactKeys.add(r.contact.externalId);
  }
  const found = new Map<string, ClientState>();
  for (const c of s.clientsByExternalId.all(JSON.stringify([...clientKeys])) as ClientTuple[]) {
    found.set(c[7], { id: c[0], kind: c[1], name: c[2], turnoverMinor: c[3], currency: c[4], ownerId: c[5], segment: c[6], externalId: c[7], createdAt: c[8], updatedAt: c[9] });
  }
  const byId = new Map<string, ContactState>();
  const foundContacts = new Map<string, ContactState>();
  if (contactKeys.size) {
    for (const c of s.contactsByExternalId.all(JSON.stringify([...contactKeys])) as ContactTuple[]) {
      const state: ContactState = { id: c[0], clientId: c[1], name: c[2], email: c[3], externalId: c[4], createdAt: c[5], updatedAt: c[6], phones: [] };
      foundContacts.set(c[4], state);
      byId.set(c[0], state);
    }
  }
  if (byId.size) {
    for (const p of s.phonesOfContacts.all(JSON.stringify([...byId.keys()])) as PhoneTuple[]) {
      byId.get(p[0])!.phones.push({ raw: p[1], e164: p[2], label: p[3] });
    }
  }
  return { clients: found, contacts: foundContacts };
}

/**
 * One transaction: load the batch's clients and contacts by external id, fold the rows over them in
 * file order (a later row sees an earlier one), then write only what differs from the database.
 */
function applyBatch(ctx: ContactsContext, rows: Row[]): { imported: number; changed: number; errors: ImportRowError[] } {
  const db = ctx.db;
  const sqlite = sqliteOf(db);
  let st = statements.get(db);
  if (!st) statements.set(db, (st = prepare(sqlite)));
  const s = st;
  const now = nowOf(ctx);
  const errors: ImportRowError[] = [];
  let imported = 0;
  let changed = 0;

  sqlite.transaction(() => {
    const { clients: origClients, contacts: origContacts } = loadExisting(s, rows);
    const nextClients = new Map<string, ClientState>(origClients);
    const nextContacts = new Map<string, ContactState>(origContacts);
    for (const r of rows) {
      const before = nextClients.get(r.client.externalId);
      const c = r.client;
      if (!before && c.name === undefined) {
        errors.push({ row: r.line, column: 'client_name', reason: `required for a new client ('${c.externalId}' is not known yet)` });
        continue;
      }
      const client: ClientState = {
        id: before?.id ?? newId(),
        kind: c.kind ?? before?.kind ?? 'company',
        name: c.name ?? before!.name,
        turnoverMinor: c.turnoverMinor ?? before?.turnoverMinor ?? null,
        currency: c.currency ?? before?.currency ?? null,
        ownerId: c.ownerId ?? before?.ownerId ?? null,
        segment: c.segment ?? before?.segment ?? null,
        externalId: c.externalId,
        createdAt: before?.createdAt ?? now,
        updatedAt: before?.updatedAt ?? now,
      };
      if (c.currency !== undefined && c.turnoverMinor === undefined && before?.turnoverMinor != null && before.currency !== c.currency) {
        errors.push({ row: r.line, column: 'turnover', reason: `required when the currency changes (was ${before.currency})` });
        continue;
      }
      let contact: ContactState | undefined;
      if (r.contact) {
        const k = r.contact;
        const prev = nextContacts.get(k.externalId);
        if (!prev && k.name === undefined) {
          errors.push({ row: r.line, column: 'contact_name', reason: `required for a new contact ('${k.externalId}' is not known yet)` });
          continue;
        }
        contact = {
          id: prev?.id ?? newId(),
          clientId: client.id,
          name: k.name ?? prev!.name,
          email: k.email ?? prev?.email ?? null,
          externalId: k.externalId,
          phones: k.phones ?? prev?.phones ?? [],
          createdAt: prev?.createdAt ?? now,
          updatedAt: prev?.updatedAt ?? now,
        };
        if (!prev || !sameContact(prev, contact)) changed += 1;
        else if (!before || !sameClient(before, client)) changed += 1;
        nextContacts.set(k.externalId, contact);
      } else if (!before || !sameClient(before, client)) changed += 1;
      nextClients.set(c.externalId, client);
      imported++;
    }

    // Write what differs from the database, clients first (contacts refer to them).
    for (const [ext, next] of nextClients) {
      const orig = origClients.get(ext);
      if (orig && sameClient(orig, next)) continue;
      const search = next.name.toLowerCase();
      if (orig) s.updateClient.run(next.kind, next.name, next.turnoverMinor, next.currency, next.ownerId, next.segment, search, now, next.id);
      else s.insertClient.run(next.id, next.kind, next.name, next.turnoverMinor, next.currency, next.ownerId, next.segment, next.externalId, next.createdAt, now, search);
    }
    const touched = new Set<string>();
    for (const [ext, next] of nextContacts) {
      const orig = origContacts.get(ext);
      if (orig && sameContact(orig, next)) continue;
      const search = contactSearchText(next.name, next.email, next.phones.map((p) => p.e164));
      if (orig) s.updateContact.run(next.clientId, next.name, next.email, search, now, next.id);
      else s.insertContact.run(next.id, next.clientId, next.name, next.email, next.externalId, search, next.createdAt, now);
      if (!orig || !samePhones(orig.phones, next.phones) || orig.clientId !== next.clientId) {
        for (const p of orig?.phones ?? []) touched.add(p.e164);
        for (const p of next.phones) touched.add(p.e164);
      }
      if (!orig || !samePhones(orig.phones, next.phones)) {
        if (orig) s.deletePhones.run(next.id);
        next.phones.forEach((p, i) => s.insertPhone.run(phoneId(next.id, i), next.id, p.raw, p.e164, p.label));
      }
    }
    rematchCalls(db, touched, now - ctx.rematchWindowMs);
  })();
  return { imported, changed, errors };
}
