// `WHERE col IN (...)` over many keys with ONE prepared statement: the statement takes exactly SLICE
// placeholders and a short last slice repeats its last key (IN ignores duplicates). Building a fresh
// query per batch spent more time in the query builder than in SQLite (bulk imports).
import { sql, type Placeholder } from 'drizzle-orm';

export const SLICE = 500;

/** k0 .. k499, to pass to inArray() in a statement that is then prepared once. */
export const slicePlaceholders = (): Placeholder[] => Array.from({ length: SLICE }, (_, i) => sql.placeholder(`k${i}`));

export function allInSlices<T>(stmt: { all(params?: Record<string, unknown>): T[] }, keys: readonly string[], extra: Record<string, unknown> = {}): T[] {
  const out: T[] = [];
  for (let i = 0; i < keys.length; i += SLICE) {
    const params: Record<string, unknown> = { ...extra };
    const last = Math.min(i + SLICE, keys.length) - 1;
    for (let j = 0; j < SLICE; j++) params[`k${j}`] = keys[Math.min(i + j, last)];
    for (const r of stmt.all(params)) out.push(r);
  }
  return out;
}
