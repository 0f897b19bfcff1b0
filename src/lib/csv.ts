// CSV that Excel opens as-is, Cyrillic included: UTF-8 with a BOM (without it Excel guesses a code page),
// ';' between fields and a decimal comma (what Excel expects in Russian and most European locales, where
// ',' is the decimal separator), CRLF line ends (RFC 4180). Text that Excel would run as a formula
// (=, +, -, @ first) gets a leading apostrophe (OWASP "CSV injection"), except plain +digits phone numbers.
export const CSV_BOM = '\uFEFF';
export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8';

export type CsvValue = string | number | null | undefined;

function field(v: CsvValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v).replace('.', ',') : '';
  let s = v;
  if (/^[=+\-@\t\r]/.test(s) && !/^\+\d+$/.test(s)) s = `'${s}`;
  return /[;"\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(values: readonly CsvValue[]): string {
  return `${values.map(field).join(';')}\r\n`;
}
