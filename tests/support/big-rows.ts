// CSV files with one oversized row among ordinary ones (issue 10, item 8), for the API and the CLI
// tests alike: every ordinary row is a client with one contact and one mobile number, so a test finds
// the rows before and after the big one by their numbers.
export const HEADER = 'client_external_id,client_name,contact_external_id,contact_name,phones';

/** The mobile number of the i-th ordinary row. */
export const phoneOf = (i: number) => `+7916${String(i).padStart(7, '0')}`;

/** Ordinary rows from..to (inclusive), one a line, each ended by a line break. */
export function rows(from: number, to: number, bad: ReadonlySet<number> = new Set()): string {
  let s = '';
  for (let i = from; i <= to; i++) s += `C${i},Client ${i},P${i},Contact ${i},${bad.has(i) ? 'mobile:abc' : phoneOf(i)}\n`;
  return s;
}

/** Line breaks in a string (a quoted cell may hold some: the lines after it move down). */
export const lineBreaks = (s: string) => s.split('\n').length - 1;
