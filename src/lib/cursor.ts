// Opaque paging cursors: the sort key of the last item of a page, base64url JSON. A cursor a client
// made up, or one from another listing, is a 400 naming `cursor`.
import { CtiError } from './errors.js';

export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** The key of a cursor made by encodeCursor with the same element types as `shape` ('s' or 'n'). */
export function decodeCursor(cursor: string, shape: readonly ('s' | 'n')[]): (string | number)[] {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(key) && key.length === shape.length
      && key.every((v, i) => (shape[i] === 's' ? typeof v === 'string' : typeof v === 'number'))) return key as (string | number)[];
  } catch {
    /* fall through */
  }
  throw new CtiError('CTI_ERR_BAD_REQUEST', 'cursor: not a cursor this API returned');
}
