// Where the reconciler reads Asterisk's event log (CEL) after the fact: cel_custom's file on this machine
// (cel-file.ts, CTI_CEL_FILE) or cel_pgsql's table in a PostgreSQL both reach (cel-table.ts,
// CTI_PBX_CEL_DATABASE_URL) when the PBX runs on another host. Both give the same CelEvents in the order
// Asterisk wrote them, each with a position the reader can come back to; one interpreter reads them.
import type { CelEvent } from './events.js';
import { fileCelSource } from './cel-file.js';
import { CelTable } from './cel-table.js';

export interface CelChunk {
  /** The records in the order written: `event` null for one that does not parse (counted, never guessed). */
  records: { offset: number; event: CelEvent | null }[];
  /** Where the next read starts when every record was consumed. */
  nextOffset: number;
}

export interface CelSource {
  /** What the log names when it is missing or unreadable: the file, or the table. */
  readonly where: string;
  /** The settings key the reconciler keeps its position in this source under. */
  readonly positionKey: string;
  /** The records from position `from` on (0: all); null while there is no such file or table (yet). */
  read(from: number): Promise<CelChunk | null>;
  close(): Promise<void>;
}

export interface CelSourceConfig {
  /** cel_custom's file (dialplan/cel_custom_cti.conf). */
  file: string;
  /** cel_pgsql's database: when set, its table is read instead of the file. */
  databaseUrl?: string | undefined;
  /** cel_pgsql.conf `table` (optionally schema.table); default cel. */
  table?: string | undefined;
  /** The PBX's zone, for times written as its wall clock (cel.conf dateformat, a `timestamp` column). */
  timeZone?: string | undefined;
}

export function celSource(c: CelSourceConfig): CelSource {
  if (c.databaseUrl) return new CelTable({ url: c.databaseUrl, table: c.table ?? 'cel', timeZone: c.timeZone ?? 'UTC' });
  return fileCelSource(c.file, c.timeZone ?? 'UTC');
}
