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
import { Readable } from 'node:stream';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { allInSlices, slicePlaceholders } from '../db/in-slices.js';
import { clients, contactPhones, contacts, users, type ClientRow, type ContactPhoneRow, type ContactRow } from '../db/schema/index.js';
import { CtiError, type ErrorCode } from '../lib/errors.js';
import { newId } from '../lib/ids.js';
import { assertMayImport, nowOf, type ContactsContext } from './context.js';
import { phoneId } from './contacts.js';
import type { CleanPhone } from './fields.js';
import { readCsv, type CsvInput, type ImportRowError, type ReadEvent, type ReadOptions, type Row } from './import-rows.js';
import type { WorkerInit } from './import-worker.js';
import { rematchCalls } from './match.js';
import { contactSearchText } from './views.js';

export { IMPORT_COLUMNS, detectDelimiter, type CsvInput, type ImportRowError } from './import-rows.js';

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
  /** Rows per transaction (default 1000). */
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

/** The same events as readCsv, from a worker thread that is fed the input chunk by chunk. */
async function* readInWorker(input: CsvInput, o: ReadOptions, file: URL): AsyncGenerator<ReadEvent> {
  const init: WorkerInit = { region: o.region, users: [...o.userIds], batchSize: o.batchSize };
  const worker = new Worker(file, { workerData: init });
  const source = (Symbol.asyncIterator in input ? input : Readable.from(input) as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  type Msg = ReadEvent | { kind: 'done' } | { kind: 'fatal'; message: string; code: ErrorCode | null };
  const queue: Msg[] = [];
  let wake: (() => void) | null = null;
  const push = (m: Msg) => {
    queue.push(m);
    wake?.();
  };
  worker.on('message', (m: Msg | { type: 'pull' }) => {
    if ('type' in m) {
      source.next().then((n) => {
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
      yield m;
      if (m.kind === 'batch') worker.postMessage({ type: 'ack' });
    }
  } finally {
    worker.removeAllListeners('exit');
    await worker.terminate();
    await source.return?.();
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

type ClientState = Omit<ClientRow, 'search'>;
type ContactState = Omit<ContactRow, 'search'> & { phones: CleanPhone[] };

const ph = sql.placeholder;
function prepare(db: Db) {
  const clientCols = { id: ph('id'), kind: ph('kind'), name: ph('name'), turnoverMinor: ph('turnoverMinor'), currency: ph('currency'), ownerId: ph('ownerId'), segment: ph('segment'), externalId: ph('externalId'), search: ph('search'), createdAt: ph('createdAt'), updatedAt: ph('updatedAt') };
  const { id: _c, createdAt: _cc, ...clientSet } = clientCols;
  const contactCols = { id: ph('id'), clientId: ph('clientId'), name: ph('name'), email: ph('email'), externalId: ph('externalId'), search: ph('search'), createdAt: ph('createdAt'), updatedAt: ph('updatedAt') };
  const { id: _t, createdAt: _tc, ...contactSet } = contactCols;
  return {
    insertClient: db.insert(clients).values(clientCols as never).prepare(),
    updateClient: db.update(clients).set(clientSet as never).where(eq(clients.id, ph('id'))).prepare(),
    insertContact: db.insert(contacts).values(contactCols as never).prepare(),
    updateContact: db.update(contacts).set(contactSet as never).where(eq(contacts.id, ph('id'))).prepare(),
    deletePhones: db.delete(contactPhones).where(eq(contactPhones.contactId, ph('contactId'))).prepare(),
    insertPhone: db.insert(contactPhones).values({ id: ph('id'), contactId: ph('contactId'), raw: ph('raw'), e164: ph('e164'), label: ph('label') } as never).prepare(),
    clientsByExternalId: db.select().from(clients).where(inArray(clients.externalId, slicePlaceholders())).prepare(),
    contactsByExternalId: db.select().from(contacts).where(inArray(contacts.externalId, slicePlaceholders())).prepare(),
    phonesByContact: db.select().from(contactPhones).where(inArray(contactPhones.contactId, slicePlaceholders())).orderBy(contactPhones.id).prepare(),
  };
}
const statements = new WeakMap<Db, ReturnType<typeof prepare>>();

const sameClient = (a: ClientState, b: ClientState) =>
  a.kind === b.kind && a.name === b.name && a.turnoverMinor === b.turnoverMinor && a.currency === b.currency
  && a.ownerId === b.ownerId && a.segment === b.segment;
const samePhones = (a: readonly CleanPhone[], b: readonly CleanPhone[]) =>
  a.length === b.length && a.every((p, i) => p.raw === b[i]!.raw && p.e164 === b[i]!.e164 && p.label === b[i]!.label);
const sameContact = (a: ContactState, b: ContactState) =>
  a.clientId === b.clientId && a.name === b.name && a.email === b.email && samePhones(a.phones, b.phones);

/**
 * One transaction: load the batch's clients and contacts by external id, fold the rows over them in
 * file order (a later row sees an earlier one), then write only what differs from the database.
 */
function applyBatch(ctx: ContactsContext, rows: Row[]): { imported: number; changed: number; errors: ImportRowError[] } {
  const db = ctx.db;
  let st = statements.get(db);
  if (!st) statements.set(db, (st = prepare(db)));
  const s = st;
  const now = nowOf(ctx);
  const errors: ImportRowError[] = [];
  let imported = 0;
  let changed = 0;

  db.transaction(() => {
    const clientKeys = [...new Set(rows.map((r) => r.client.externalId))];
    const contactKeys = [...new Set(rows.flatMap((r) => (r.contact ? [r.contact.externalId] : [])))];
    const origClients = new Map<string, ClientState>();
    for (const c of allInSlices(s.clientsByExternalId, clientKeys)) origClients.set(c.externalId!, c);
    const contactRows = allInSlices(s.contactsByExternalId, contactKeys);
    const phoneRows = new Map<string, ContactPhoneRow[]>();
    for (const p of allInSlices(s.phonesByContact, contactRows.map((c) => c.id))) {
      const list = phoneRows.get(p.contactId);
      if (list) list.push(p);
      else phoneRows.set(p.contactId, [p]);
    }
    const origContacts = new Map<string, ContactState>();
    for (const c of contactRows) {
      origContacts.set(c.externalId!, { ...c, phones: (phoneRows.get(c.id) ?? []).map((p) => ({ raw: p.raw, e164: p.e164, label: p.label })) });
    }
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
      const values = { ...next, search: next.name.toLowerCase(), updatedAt: now };
      if (orig) s.updateClient.run(values);
      else s.insertClient.run(values);
    }
    const touched = new Set<string>();
    for (const [ext, next] of nextContacts) {
      const orig = origContacts.get(ext);
      if (orig && sameContact(orig, next)) continue;
      const values = { ...next, search: contactSearchText(next.name, next.email, next.phones.map((p) => p.e164)), updatedAt: now };
      if (orig) s.updateContact.run(values);
      else s.insertContact.run(values);
      if (!orig || !samePhones(orig.phones, next.phones) || orig.clientId !== next.clientId) {
        for (const p of orig?.phones ?? []) touched.add(p.e164);
        for (const p of next.phones) touched.add(p.e164);
      }
      if (!orig || !samePhones(orig.phones, next.phones)) {
        if (orig) s.deletePhones.run({ contactId: next.id });
        next.phones.forEach((p, i) => s.insertPhone.run({ id: phoneId(next.id, i), contactId: next.id, raw: p.raw, e164: p.e164, label: p.label }));
      }
    }
    rematchCalls(db, touched, now - ctx.rematchWindowMs);
  });
  return { imported, changed, errors };
}
