// Money as integers in a currency's minor units (ISO 4217 exponent: RUB 2, JPY 0, BHD 3), so amounts
// compare and add exactly. Decimal strings at the edges ("200000.50", Russian "200 000,50").
let currencies: Set<string> | null = null;

/** An ISO 4217 code this runtime knows (Intl's list), upper case. */
export function isCurrency(code: string): boolean {
  currencies ??= new Set(Intl.supportedValuesOf('currency'));
  return currencies.has(code);
}

/** Digits after the decimal point in `currency` (ISO 4217 minor unit). */
export function minorDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

const digitsCache = new Map<string, number>();
function digitsOf(currency: string): number {
  let d = digitsCache.get(currency);
  if (d === undefined) digitsCache.set(currency, (d = minorDigits(currency)));
  return d;
}

/**
 * "200000", "200000.5", "200 000,50" (spaces, no-break spaces and a decimal comma, as Russian Excel
 * writes them) or a JSON number -> minor units of `currency`; an error message when it is not a
 * non-negative amount with at most the currency's decimals.
 */
export function parseAmount(input: string | number, currency: string): number | string {
  const s = (typeof input === 'number' ? String(input) : input).replace(/[\s\u00a0\u202f']/g, '');
  const m = /^(\d{1,15})(?:[.,](\d+))?$/.exec(s);
  if (!m) return `'${String(input)}' is not an amount (digits, with a decimal point or comma)`;
  const d = digitsOf(currency);
  const frac = (m[2] ?? '').replace(/0+$/, '');
  if (frac.length > d) return `'${String(input)}' has more than ${d} decimals for ${currency}`;
  const minor = Number(m[1]) * 10 ** d + (frac === '' ? 0 : Number(frac.padEnd(d, '0')));
  if (!Number.isSafeInteger(minor)) return `'${String(input)}' is too large`;
  return minor;
}

/** Minor units -> "200000.50" (as many decimals as the currency has). */
export function formatAmount(minor: number, currency: string): string {
  const d = digitsOf(currency);
  if (d === 0) return String(minor);
  const s = String(minor).padStart(d + 1, '0');
  return `${s.slice(0, -d)}.${s.slice(-d)}`;
}
