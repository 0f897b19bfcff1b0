// cel_pgsql's table as a CEL source: the PBX on another host writes its event log into a PostgreSQL that
// the service reaches too (docs/remote-pbx.md). Positions are the rows' `id` (a bigserial): cel_pgsql
// inserts from one connection under one lock (cel/cel_pgsql.c pgsql_log), so ids grow in the order
// Asterisk wrote the events. The service only reads (docs/asterisk-pgsql.sql: SELECT on the table).
import pg from 'pg';
import { CEL_TABLE_COLUMNS, celFromRow, UNUSED_RECORD, type CelTableRow } from './cel.js';
import type { CelChunk, CelSource } from './cel-source.js';

/** A table name as cel_pgsql.conf's `table` takes it: name or schema.name, plain identifiers only. */
export const CEL_TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$/;

/**
 * The one query: every column the interpreter reads, as text, from position `$1` on, in id order. The id
 * comes back as "position": ORDER BY "id" must name the bigint column, not a text alias (that sorts "10"
 * before "9").
 */
export function celTableQuery(table: string): string {
  if (!CEL_TABLE_NAME.test(table)) throw new Error(`not a table name: ${table}`);
  const quoted = table.split('.').map((p) => `"${p}"`).join('.');
  const cols = CEL_TABLE_COLUMNS.map((c) => `"${c}"::text AS "${c}"`).join(', ');
  return `SELECT "id"::text AS "position", ${cols} FROM ${quoted} WHERE "id" >= $1 ORDER BY "id"`;
}

/** Rows (as celTableQuery reads them) -> a chunk: events the interpreter does not read are left out. */
export function chunkFromRows(rows: readonly (CelTableRow & { position: string })[], from: number, timeZone = 'UTC'): CelChunk {
  const records: CelChunk['records'] = [];
  let next = from;
  for (const row of rows) {
    const id = Number(row.position);
    if (!Number.isSafeInteger(id)) continue;
    next = Math.max(next, id + 1);
    const event = celFromRow(row, timeZone);
    if (event !== UNUSED_RECORD) records.push({ offset: id, event });
  }
  return { records, nextOffset: next };
}

/** PostgreSQL's "undefined_table": the table is not there (yet). */
const UNDEFINED_TABLE = '42P01';

export class CelTable implements CelSource {
  readonly where: string;
  readonly positionKey: string;
  private readonly pool: pg.Pool;
  private readonly sql: string;

  constructor(private readonly o: { url: string; table: string; timeZone: string }) {
    this.sql = celTableQuery(o.table);
    this.where = `CEL table ${o.table} (CTI_PBX_CEL_DATABASE_URL)`;
    this.positionKey = `cel.table:${o.table}`;
    // One connection is enough (one pass at a time); a server that does not answer fails the pass, not the service.
    this.pool = new pg.Pool({ connectionString: o.url, max: 1, application_name: 'cti-cel', connectionTimeoutMillis: 5000, idleTimeoutMillis: 30_000 });
    this.pool.on('error', () => { /* an idle connection dropped: the next read opens another */ });
  }

  async read(from: number): Promise<CelChunk | null> {
    try {
      const r = await this.pool.query<CelTableRow & { position: string }>(this.sql, [from]);
      return chunkFromRows(r.rows, from, this.o.timeZone);
    } catch (err) {
      if ((err as { code?: string }).code === UNDEFINED_TABLE) return null;
      throw err;
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
