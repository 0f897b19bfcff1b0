// Reading an import file: CSV records -> checked rows, in batches. No database here, so it runs in a
// worker thread as well as inline (import.ts decides): a CSV import is half parsing and checking
// (csv-parse, libphonenumber), half writing, and the two halves then use both cores.
// Columns and rules: see import.ts and the README.
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { CLIENT_KINDS, type ClientKind } from '../db/schema/clients.js';
import { CtiError } from '../lib/errors.js';
import { userNameKey } from '../lib/text.js';
import { CsvRecords, MAX_RECORD_BYTES, type SkippedRecord } from './csv-records.js';
import { checkCurrency, checkEmail, checkExternalId, checkName, checkPhones, checkSegment, checkTurnover, splitPhonesCell, type CleanPhone } from './fields.js';

export const IMPORT_COLUMNS = [
  'client_external_id', 'client_name', 'client_kind', 'turnover', 'currency', 'owner', 'segment',
  'contact_external_id', 'contact_name', 'email', 'phones',
] as const;
export type Column = (typeof IMPORT_COLUMNS)[number];
const CONTACT_COLUMNS: readonly Column[] = ['contact_name', 'email', 'phones'];

export interface ImportRowError {
  /** Line of the file the row is on (the header is line 1). */
  row: number;
  /** The column at fault; null when the row itself could not be read. */
  column: Column | null;
  reason: string;
}

/** One row, checked on its own (no database yet). Empty cells are undefined: "leave as it is". */
export interface Row {
  line: number;
  client: {
    externalId: string; name?: string; kind?: ClientKind; turnoverMinor?: number; currency?: string;
    ownerId?: string; segment?: string;
  };
  contact?: { externalId: string; name?: string; email?: string; phones?: CleanPhone[] };
}

const MAX_HEADER_BYTES = 64 * 1024;

/** Comma or semicolon: whichever occurs more often outside quotes in the header line (comma on a tie). */
export function detectDelimiter(head: Buffer): ',' | ';' {
  let commas = 0;
  let semicolons = 0;
  let quoted = false;
  for (const b of head) {
    if (b === 0x22) quoted = !quoted;
    else if (!quoted && (b === 0x0a || b === 0x0d)) break;
    else if (!quoted && b === 0x2c) commas++;
    else if (!quoted && b === 0x3b) semicolons++;
  }
  return semicolons > commas ? ';' : ',';
}

/** The first chunks up to the end of the header line (or 64 KB), and the rest of the stream after them. */
async function peekHead(input: CsvInput): Promise<{ head: Buffer; rest: AsyncIterable<Buffer> }> {
  const it = chunksOf(input)[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let size = 0;
  while (size < MAX_HEADER_BYTES) {
    const next = await it.next();
    if (next.done) break;
    const b = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    chunks.push(b);
    size += b.length;
    if (b.includes(0x0a)) break;
  }
  const head = Buffer.concat(chunks);
  async function* rest(): AsyncIterable<Buffer> {
    try {
      if (head.length) yield head;
      for (;;) {
        const next = await it.next();
        if (next.done) return;
        yield typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
      }
    } finally {
      await it.return?.(); // left early (a bad header, an abort): nothing is left reading the file
    }
  }
  return { head, rest: rest() };
}


/**
 * A file by its path (what the CLI and the API's spooled uploads give: a worker thread then reads it
 * itself), a stream such as a request body, or chunks in memory (tests).
 */
export type CsvInput = CsvFile | AsyncIterable<Buffer | string> | Iterable<Buffer | string>;
export interface CsvFile {
  path: string;
}

export const isCsvFile = (input: CsvInput): input is CsvFile => typeof (input as Partial<CsvFile>).path === 'string' && !(Symbol.asyncIterator in input);

/** The input's chunks (a file is streamed, never read whole). */
export function chunksOf(input: CsvInput): AsyncIterable<Buffer | string> {
  if (isCsvFile(input)) return createReadStream(input.path);
  return Symbol.asyncIterator in input ? input : Readable.from(input);
}

function headerColumns(record: string[], ignored: string[]): Map<Column, number> {
  const m = new Map<Column, number>();
  record.forEach((name, i) => {
    const key = name.replace(/^\ufeff/, '').trim().toLowerCase();
    if ((IMPORT_COLUMNS as readonly string[]).includes(key)) m.set(key as Column, i);
    else if (key !== '') ignored.push(name);
  });
  if (!m.has('client_external_id')) {
    throw new CtiError('CTI_ERR_BAD_REQUEST', `header: the column client_external_id is required (columns: ${IMPORT_COLUMNS.join(', ')})`);
  }
  const contactCols = CONTACT_COLUMNS.filter((c) => m.has(c));
  if (contactCols.length && !m.has('contact_external_id')) {
    throw new CtiError('CTI_ERR_BAD_REQUEST', `header: ${contactCols[0]} needs the column contact_external_id`);
  }
  return m;
}

/** A row's cells checked on their own: the Row, or every problem found in it. */
function checkRow(record: string[], line: number, cols: Map<Column, number>, userIds: Map<string, string>, region: string): Row | ImportRowError[] {
  const errors: ImportRowError[] = [];
  const cell = (c: Column): string | undefined => {
    const i = cols.get(c);
    const v = i === undefined ? undefined : record[i]?.trim();
    return v === '' ? undefined : v;
  };
  const fail = (column: Column, reason: string) => errors.push({ row: line, column, reason });
  const take = <T>(column: Column, c: { ok: true; value: T } | { ok: false; reason: string }): T | undefined => {
    if (c.ok) return c.value;
    fail(column, c.reason);
    return undefined;
  };

  const clientExt = cell('client_external_id');
  if (clientExt === undefined) fail('client_external_id', 'required');
  const client: Row['client'] = { externalId: clientExt === undefined ? '' : take('client_external_id', checkExternalId(clientExt)) ?? '' };
  const name = cell('client_name');
  if (name !== undefined) client.name = take('client_name', checkName(name));
  const kind = cell('client_kind')?.toLowerCase();
  if (kind !== undefined) {
    if ((CLIENT_KINDS as readonly string[]).includes(kind)) client.kind = kind as ClientKind;
    else fail('client_kind', `'${kind}' is not one of ${CLIENT_KINDS.join(', ')}`);
  }
  const currency = cell('currency');
  if (currency !== undefined) client.currency = take('currency', checkCurrency(currency));
  const turnover = cell('turnover');
  if (turnover !== undefined) {
    if (currency === undefined) fail('currency', 'required with turnover');
    else if (client.currency) client.turnoverMinor = take('turnover', checkTurnover(turnover, client.currency));
  }
  const owner = cell('owner');
  if (owner !== undefined) {
    const id = userIds.get(userNameKey(owner));
    if (id) client.ownerId = id;
    else fail('owner', `no user '${owner}'`);
  }
  const segment = cell('segment');
  if (segment !== undefined) client.segment = take('segment', checkSegment(segment));

  const contactExt = cell('contact_external_id');
  const contactName = cell('contact_name');
  const email = cell('email');
  const phones = cell('phones');
  let contact: Row['contact'];
  if (contactExt !== undefined || contactName !== undefined || email !== undefined || phones !== undefined) {
    if (contactExt === undefined) fail('contact_external_id', 'required for a contact');
    contact = { externalId: contactExt === undefined ? '' : take('contact_external_id', checkExternalId(contactExt)) ?? '' };
    if (contactName !== undefined) contact.name = take('contact_name', checkName(contactName));
    if (email !== undefined) contact.email = take('email', checkEmail(email));
    if (phones !== undefined) {
      const r = checkPhones(splitPhonesCell(phones), region);
      if (r.ok) contact.phones = r.value;
      else fail('phones', r.field === 'label' ? `label of number ${r.index + 1}: ${r.reason}` : r.reason);
    }
  }
  return errors.length ? errors : { line, client, ...(contact ? { contact } : {}) };
}


export interface ReadOptions {
  region: string;
  /** User name -> id, for the owner column. */
  userIds: Map<string, string>;
  batchSize: number;
}

/** What reading yields: the header's facts once, then batches of good rows with the bad ones found meanwhile. */
export type ReadEvent =
  | { kind: 'header'; delimiter: ',' | ';'; ignoredColumns: string[] }
  | { kind: 'batch'; rows: Row[]; errors: ImportRowError[]; rowsRead: number; rowsRejected: number };

/**
 * The file in batches of checked rows. Throws CtiError for a file that cannot be imported at all
 * (empty, no client_external_id column, a header over 64 KiB). Rows CSV cannot read (over 64 KiB, a
 * quote never closed: csv-records.ts) are reported and skipped.
 */
export async function* readCsv(input: CsvInput, o: ReadOptions): AsyncGenerator<ReadEvent> {
  const { head, rest } = await peekHead(input);
  const delimiter = detectDelimiter(head);
  let rows: Row[] = [];
  let errors: ImportRowError[] = [];
  let rowsRead = 0;
  let rowsRejected = 0;
  const ready: ReadEvent[] = [];
  const take = () => {
    ready.push({ kind: 'batch', rows, errors, rowsRead, rowsRejected });
    rows = [];
    errors = [];
    rowsRead = 0;
    rowsRejected = 0;
  };
  let columns: Map<Column, number> | null = null;
  let header: string[] = [];
  const onRecord = (record: string[], line: number) => {
    if (!columns) {
      const ignoredColumns: string[] = [];
      columns = headerColumns(record, ignoredColumns);
      header = record;
      ready.push({ kind: 'header', delimiter, ignoredColumns });
      return;
    }
    rowsRead++;
    const checked = checkRow(record, line, columns, o.userIds, o.region);
    if (Array.isArray(checked)) {
      rowsRejected++;
      for (const e of checked) errors.push(e);
    } else rows.push(checked);
    if (rows.length >= o.batchSize || errors.length >= o.batchSize) take();
  };
  const onSkipped = (r: SkippedRecord) => {
    if (!columns) throw new CtiError('CTI_ERR_BAD_REQUEST', r.unclosedTo === null ? 'header: the line is over 64 KiB' : 'header: a quote is never closed');
    rowsRead++;
    rowsRejected++;
    errors.push(skippedRowError(r, columns, header));
    if (errors.length >= o.batchSize) take();
  };
  const records = new CsvRecords(delimiter, { record: onRecord, skipped: onSkipped });
  for await (const chunk of rest) {
    records.write(chunk);
    // A 64 KB chunk holds a few hundred rows: what it completed goes out before the next is read.
    while (ready.length) yield ready.shift()!;
  }
  records.end();
  if (!columns) throw new CtiError('CTI_ERR_BAD_REQUEST', 'header: the file is empty (a header line is required)');
  take();
  while (ready.length) yield ready.shift()!;
}

/** A row CSV reading skipped, as the import reports it: at the column of the cell at fault when it is one of ours. */
function skippedRowError(r: SkippedRecord, columns: Map<Column, number>, header: readonly string[]): ImportRowError {
  let column: Column | null = null;
  for (const [c, i] of columns) if (i === r.field) column = c;
  const cell = r.field === null || column !== null ? 'this cell' : r.field < header.length ? `the column '${header[r.field]}'` : `field ${r.field + 1}`;
  const reason = r.unclosedTo !== null
    ? `a quote opened in ${cell} is never closed: the rest of the file (${r.bytes} bytes, to line ${r.unclosedTo}) is not imported`
    : `row too large: ${r.bytes} bytes${column === null && r.field !== null ? `, most in ${cell}` : ''} (the limit is ${MAX_RECORD_BYTES / 1024} KiB)`;
  return { row: r.line, column, reason };
}
