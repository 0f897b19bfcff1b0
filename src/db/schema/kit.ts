// One schema, two dialects. Each table file is a function of this kit: the SQLite kit is drizzle's
// sqlite-core itself; the PostgreSQL kit builds the same tables with pg-core (integers: bigint, since
// times are epoch ms; booleans: boolean; an autoincrement key: an identity column). The types are
// SQLite's in both, so domain code has one set of tables to name; src/db/schema/index.ts hands it the
// tables of the dialect the process opened (useDialect), and drizzle-kit reads each dialect's file
// (sqlite.ts, postgres.ts) to generate its migrations.
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import * as pg from 'drizzle-orm/pg-core';

const sqliteAutoId = (name: string) => integer(name).primaryKey({ autoIncrement: true });

export interface Kit {
  table: typeof sqliteTable;
  text: typeof text;
  /** An integer column; `{ mode: 'boolean' }` for a flag. */
  integer: typeof integer;
  index: typeof index;
  uniqueIndex: typeof uniqueIndex;
  /** An integer key the database numbers. */
  autoId: typeof sqliteAutoId;
}

export const sqliteKit: Kit = { table: sqliteTable, text, integer, index, uniqueIndex, autoId: sqliteAutoId };

// pg-core's builders have the same chain (notNull, default, primaryKey, references, on, where): only the
// column factories differ. The casts are the single place where a pg column poses as a SQLite one.
export const postgresKit: Kit = {
  table: pg.pgTable as unknown as Kit['table'],
  text: ((name: string, config?: { enum?: readonly [string, ...string[]] }) => pg.text(name, config ?? {})) as unknown as Kit['text'],
  integer: ((name: string, config?: { mode?: string }) =>
    config?.mode === 'boolean' ? pg.boolean(name) : pg.bigint(name, { mode: 'number' })) as unknown as Kit['integer'],
  index: pg.index as unknown as Kit['index'],
  uniqueIndex: pg.uniqueIndex as unknown as Kit['uniqueIndex'],
  autoId: ((name: string) => pg.bigint(name, { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity()) as unknown as Kit['autoId'],
};
