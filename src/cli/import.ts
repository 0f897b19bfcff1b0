// `cti import contacts FILE.csv`: the same streaming importer as POST /api/v1/imports, run as an admin
// on the server. Every bad row goes to stderr as it is found ("line 12, phones: ..."), a summary to
// stdout. Exit code 0: every row went in; 1: some rows were rejected (the good ones went in); 2: the
// file could not be imported (missing, bad header).
import { existsSync } from 'node:fs';
import { databaseTarget, type BaseConfig } from '../config/config.js';
import { SYSTEM_ACTOR } from '../contacts/context.js';
import { importContacts } from '../contacts/import.js';
import { openDb } from '../db/client.js';
import { CtiError } from '../lib/errors.js';

export async function runImport(file: string, cfg: BaseConfig, batchSize: number): Promise<number> {
  if (!existsSync(file)) throw new CtiError('CTI_ERR_BAD_REQUEST', `${file}: no such file`);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000) throw new CtiError('CTI_ERR_BAD_REQUEST', '--batch: 1 to 100000 rows');
  const h = await openDb(databaseTarget(cfg));
  const started = Date.now();
  let lastReport = started;
  try {
    const r = await importContacts(
      { db: h.db, actor: SYSTEM_ACTOR, region: cfg.CTI_DEFAULT_REGION, rematchWindowMs: cfg.CTI_CONTACTS_REMATCH_DAYS * 86_400_000 },
      { path: file },
      {
        batchSize,
        onRowError: (e) => process.stderr.write(`line ${e.row}${e.column ? `, ${e.column}` : ''}: ${e.reason}\n`),
        onProgress: (c) => {
          if (!process.stderr.isTTY || Date.now() - lastReport < 1000) return;
          lastReport = Date.now();
          process.stderr.write(`... ${c.rowsRead} rows read\n`);
        },
      },
    );
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`${r.rowsRead} rows read, ${r.rowsImported} imported (${r.rowsChanged} changed), ${r.rowsRejected} rejected, in ${secs} s`
      + ` (separator '${r.delimiter}'${r.ignoredColumns.length ? `; ignored columns: ${r.ignoredColumns.join(', ')}` : ''})`);
    return r.rowsRejected > 0 ? 1 : 0;
  } finally {
    await h.close();
  }
}
