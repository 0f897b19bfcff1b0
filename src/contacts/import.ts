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
import { loadImportBatch, writeImportBatch, type ImportClient, type ImportContact, type ImportWrites } from '../db/contacts.js';
import { transaction } from '../db/query.js';
import { users } from '../db/schema/index.js';
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
    userIds: new Map((await ctx.db.select({ id: users.id, name: users.name }).from(users)).map((u) => [u.name, u.id])),
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
      const r = await applyBatch(ctx, ev.rows);
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
// One transaction per batch: its clients and contacts are read by external id with one statement per
// table, the rows are folded over them here, and only what differs is written, again a statement per
// table on PostgreSQL (src/db/contacts.ts keeps SQLite's prepared-statement fast path).

type ClientState = ImportClient;
type ContactState = ImportContact;

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
async function applyBatch(ctx: ContactsContext, rows: Row[]): Promise<{ imported: number; changed: number; errors: ImportRowError[] }> {
  const now = nowOf(ctx);
  const clientKeys = new Set<string>();
  const contactKeys = new Set<string>();
  for (const r of rows) {
    clientKeys.add(r.client.externalId);
    if (r.contact) contactKeys.add(r.contact.externalId);
  }
  return transaction(ctx.db, async (tx) => {
    const errors: ImportRowError[] = [];
    let imported = 0;
    let changed = 0;
    const { clients: origClients, contacts: origContacts } = await loadImportBatch(tx, [...clientKeys], [...contactKeys]);
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

    // Write what differs from the database.
    const writes: ImportWrites = { clients: [], contacts: [], phones: [] };
    for (const [ext, next] of nextClients) {
      const orig = origClients.get(ext);
      if (orig && sameClient(orig, next)) continue;
      writes.clients.push({ row: { ...next, search: next.name.toLowerCase(), updatedAt: now }, isNew: !orig });
    }
    const touched = new Set<string>();
    for (const [ext, next] of nextContacts) {
      const orig = origContacts.get(ext);
      if (orig && sameContact(orig, next)) continue;
      const { phones, ...fields } = next;
      writes.contacts.push({ row: { ...fields, search: contactSearchText(next.name, next.email, phones.map((p) => p.e164)), updatedAt: now }, isNew: !orig });
      if (!orig || !samePhones(orig.phones, phones) || orig.clientId !== next.clientId) {
        for (const p of orig?.phones ?? []) touched.add(p.e164);
        for (const p of phones) touched.add(p.e164);
      }
      if (!orig || !samePhones(orig.phones, phones)) {
        writes.phones.push({
          contactId: next.id, existed: !!orig,
          rows: phones.map((p, i) => ({ id: phoneId(next.id, i), contactId: next.id, raw: p.raw, e164: p.e164, label: p.label })),
        });
      }
    }
    await writeImportBatch(tx, writes);
    await rematchCalls(tx, touched, now - ctx.rematchWindowMs);
    return { imported, changed, errors };
  });
}
