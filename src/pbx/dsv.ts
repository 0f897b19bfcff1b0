// The quoted CSV that Asterisk's cdr_custom and cel_custom write (every field quoted, quotes doubled):
// splitting a line into fields and a file's text into records. Shared by the CDR and CEL readers.

/** Splits one CSV line with "quoted" fields and "" escapes. Returns null for a malformed line. */
export function splitCsvLine(line: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let v = '';
      i++;
      for (;;) {
        if (i >= line.length) return null;
        if (line[i] === '"') {
          if (line[i + 1] === '"') { v += '"'; i += 2; continue; }
          i++;
          break;
        }
        v += line[i++];
      }
      out.push(v);
      if (i < line.length && line[i] !== ',') return null;
      i++;
    } else {
      const next = line.indexOf(',', i);
      const end = next < 0 ? line.length : next;
      out.push(line.slice(i, end));
      i = end + 1;
    }
  }
  return out;
}

/**
 * A record's first line: every field is quoted, and the first (the CDR's linkedid, the CEL's event
 * name) is never empty. A line inside a quoted field never looks like this: the quotes of a value are
 * doubled, and a field's closing quote is followed by a comma or the end of the record.
 */
export const RECORD_START = /^"[^",]/;
const oddQuotes = (s: string): boolean => {
  let n = 0;
  for (let i = s.indexOf('"'); i >= 0; i = s.indexOf('"', i + 1)) n++;
  return n % 2 === 1;
};

/**
 * The records of a chunk of the file. Quoting doubles quotes but leaves a CR or LF inside a field as it
 * is, so a caller ID or a DID with a line break spans lines; split on every newline, its later lines
 * would be read as records of their own, written by the caller. A record goes on while its quotes are
 * open, up to the next record's first line; a line that starts no record (the rest of a record cut by
 * a chunk boundary) is returned as it is, to be counted as bad, never read as a row.
 */
export function splitRecords(text: string): string[] {
  const lines = text.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    let rec = lines[i]!;
    if (RECORD_START.test(rec)) {
      while (oddQuotes(rec) && i + 1 < lines.length && !RECORD_START.test(lines[i + 1]!)) rec += `\n${lines[++i]}`;
    }
    out.push(rec);
  }
  return out;
}
