// The records of a CSV file, read by csv-parse, each with the line it starts on, and a bound on their
// size: a record over MAX_RECORD_BYTES is not kept but reported once it ends (its line, the field at
// fault, its size), and reading goes on with the next record; a quote never closed is reported the
// same way at the end of the file. Memory stays at about one chunk whatever a record's size. What the
// fields mean is import-rows.ts's business.
//
// Why not csv-parse's own max_record_size: with skip_records_with_error, parse() returns on the first
// byte over the limit without keeping the rest of its chunk and stays inside the record, so every later
// chunk stops on its first byte and nothing after the record is ever read (csv-parse 6.2.1,
// lib/api/index.js, `return this.__error(new CsvError("CSV_MAX_RECORD_SIZE", ...))`). Here csv-parse
// runs without a limit; after every piece of input the record in progress is measured and, once over,
// cut back to one byte at each piece's end: csv-parse still finds where the record ends (quotes, doubled
// quotes, line breaks in quotes, relax_quotes), which a second scanner of ours would have to match rule
// for rule.
import { Parser, type CsvError } from 'csv-parse';

export const MAX_RECORD_BYTES = 64 * 1024;

/**
 * Input is fed to csv-parse in pieces of at most this (a file stream's own chunk size), so a record
 * grows by at most this much between two measures.
 */
const PIECE_BYTES = 64 * 1024;

/** A record over MAX_RECORD_BYTES or with a quote never closed: reported, its fields not kept. */
export interface SkippedRecord {
  /** The line it starts on (the header is line 1). */
  line: number;
  /**
   * The field at fault (0-based): the one whose quote is never closed, or the one holding at least half
   * of the record's bytes; null when no field does (a great many small ones).
   */
  field: number | null;
  /** Its size as the file has it, line break included (an open quote: to the end of the file). */
  bytes: number;
  /** The line of the file it ends on when its quote is never closed (it runs to the end of the file). */
  unclosedTo: number | null;
}

export interface RecordSink {
  record(fields: string[], line: number): void;
  skipped(r: SkippedRecord): void;
}

/**
 * csv-parse's parser core (what its own sync API and its stream wrap): takes a chunk and hands each
 * record to `push` before returning. Driven directly, a record costs no object-mode stream push, no
 * async iteration and no info snapshot: together they took more of a large import than the parsing
 * itself. `info` and `state` are read (and the record in progress cut back) between two calls. Not in
 * csv-parse's typings, so a csv-parse upgrade that moves them fails every import test at once rather
 * than quietly.
 */
interface CsvCore {
  parse(chunk: Buffer | undefined, end: boolean, push: (record: string[]) => void, close: () => void): Error | undefined;
  /** bytes: the offset just past the last record (at a push: past the one pushed, its line break included). */
  info: { bytes: number; lines: number; empty_lines: number };
  /** bufBytesStart: the offset of the first byte not consumed yet; field: the bytes of the field in progress. */
  state: { bufBytesStart: number; record: string[]; field: { length: number }; quoting: boolean; wasQuoting: boolean };
}

const noop = () => {};
const utf8Bytes = (fields: readonly string[]) => fields.reduce((n, f) => n + Buffer.byteLength(f), 0);

export class CsvRecords {
  private readonly core: CsvCore;
  /** Offset where the record in progress starts (past the previous one, and past any empty line read since). */
  private start = 0;
  /** The line the previous record ended on, and csv-parse's count of empty lines then. */
  private endLine = 0;
  private emptyThen = 0;
  /** Bytes fed so far. */
  private fed = 0;
  /** The record in progress is over the limit: where it starts, the field at fault, the fields cut from it. */
  private over: { line: number; field: number | null; fieldsCut: number } | null = null;

  constructor(delimiter: string, private readonly sink: RecordSink) {
    const parser = new Parser({
      delimiter, bom: true, relax_column_count: true, skip_empty_lines: true,
      // ООО "Ромашка" unquoted, as 1C and hand-made files write it: the quotes are part of the value.
      relax_quotes: true,
    });
    this.core = (parser as unknown as { api: CsvCore }).api;
  }

  write(chunk: Buffer): void {
    for (let at = 0; at < chunk.length; at += PIECE_BYTES) {
      const piece = chunk.length <= PIECE_BYTES ? chunk : chunk.subarray(at, at + PIECE_BYTES);
      this.fed += piece.length;
      const err = this.core.parse(piece, false, this.push, noop);
      if (err) throw err;
      this.measure();
    }
  }

  /** The end of the input: the last record, or a report of the one whose quote is never closed. */
  end(): void {
    const err = this.core.parse(undefined, true, this.push, noop);
    if (!err) return;
    if ((err as CsvError).code !== 'CSV_QUOTE_NOT_CLOSED') throw err;
    const { state, info } = this.core;
    this.sink.skipped({
      line: this.over?.line ?? this.startLine(),
      field: (this.over?.fieldsCut ?? 0) + state.record.length,
      bytes: this.fed - this.start,
      unclosedTo: info.lines,
    });
  }

  /** The line the record in progress starts on: the one after the previous record, and after the empty lines since. */
  private startLine(): number {
    return this.endLine + 1 + this.core.info.empty_lines - this.emptyThen;
  }

  private readonly push = (fields: string[]): void => {
    const { info } = this.core;
    const line = this.over?.line ?? this.startLine();
    const bytes = info.bytes - this.start;
    const over = this.over;
    this.start = info.bytes;
    this.endLine = info.lines;
    this.emptyThen = info.empty_lines;
    this.over = null;
    // `bytes` also counts empty lines before the record: the fields decide (a rare path, so measured exactly).
    if (over) this.sink.skipped({ line, field: over.field, bytes, unclosedTo: null });
    else if (bytes > MAX_RECORD_BYTES && utf8Bytes(fields) + fields.length - 1 > MAX_RECORD_BYTES) {
      this.sink.skipped({ line, field: atFault(fields.map((f) => Buffer.byteLength(f))), bytes, unclosedTo: null });
    } else this.sink.record(fields, line);
  };

  /**
   * Between two pieces: once the record in progress is over the limit, keep one field and one byte of
   * the field in progress, so that csv-parse's view (inside a record or not, inside a field or not,
   * inside quotes or not) is unchanged while its memory is not.
   */
  private measure(): void {
    const { state } = this.core;
    const inRecord = state.record.length > 0 || state.field.length > 0 || state.quoting || state.wasQuoting;
    if (!inRecord) {
      this.start = state.bufBytesStart; // only empty lines since the last record
      return;
    }
    if (!this.over) {
      if (state.bufBytesStart - this.start <= MAX_RECORD_BYTES) return;
      const sizes = [...state.record.map((f) => Buffer.byteLength(f)), state.field.length];
      if (sizes.reduce((a, b) => a + b, 0) + state.record.length <= MAX_RECORD_BYTES) return;
      this.over = { line: this.startLine(), field: atFault(sizes), fieldsCut: 0 };
    }
    if (state.record.length > 1) {
      this.over.fieldsCut += state.record.length - 1;
      state.record.length = 1;
    }
    if (state.field.length > 1) state.field.length = 1;
  }
}

/** The field holding at least half of the bytes, if one does. */
function atFault(sizes: readonly number[]): number | null {
  let at = 0;
  let total = 0;
  for (let i = 0; i < sizes.length; i++) {
    total += sizes[i]!;
    if (sizes[i]! > sizes[at]!) at = i;
  }
  return sizes[at]! * 2 >= total ? at : null;
}
