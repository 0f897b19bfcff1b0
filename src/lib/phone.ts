// Phone numbers: whatever format a PBX, a CRM or a spreadsheet hands us, reduced to E.164
// (libphonenumber-js, full metadata) so that one number is one string everywhere we compare.
// Anything that is not clearly a phone number gives null: a lookup on null matches nobody, so a bad
// caller ID can never pop the wrong contact.
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';

export interface ParsedPhone {
  /** "+79161234567" */
  e164: string;
  /** The extension after the number ("доб. 123", "x123", ";ext=12"), digits only; null when none. */
  extension: string | null;
}

/**
 * An extension suffix: ", доб. 123", " доб 123", "x123", " ext. 12", "extension 12", "#12" and the
 * RFC 3966 ";ext=12". Only digits after the marker; the number before it is parsed on its own.
 */
const EXTENSION = /^(.*?\d[\s).]*?)\s*[,;]?\s*(?:;?ext=|доб(?:авочный)?\.?|ext(?:ension)?\.?|x|#)\s*(\d{1,7})\s*$/iu;
/** What may remain of a number once its extension is off: ASCII digits and the usual separators. */
const NUMBER_CHARS = /^\+?[0-9\s\u00a0\u202f\-().\/]+$/;
/** E.164 has at most 15 digits; "00" or the Russian "8 10" international prefix adds 2 or 3. */
const MAX_DIGITS = 18;

/**
 * The number in E.164 with its extension, or null when `raw` is not a valid number (empty, "anonymous",
 * letters, a lone "+", an extension alone, too many digits, digits from other scripts). Never throws.
 * `region` (ISO 3166 alpha-2, e.g. RU) is where national forms like "8 (916) 123 45 67" are read.
 */
export function parsePhone(raw: unknown, region: string): ParsedPhone | null {
  if (typeof raw !== 'string' || raw.length > 80) return null;
  let s = raw.trim();
  if (s.toLowerCase().startsWith('tel:')) s = s.slice(4);
  let extension: string | null = null;
  const ext = EXTENSION.exec(s);
  if (ext) {
    s = ext[1]!.trim();
    extension = ext[2]!;
  }
  if (!NUMBER_CHARS.test(s)) return null;
  const digits = s.replace(/\D/g, '');
  if (digits.length < 5 || digits.length > MAX_DIGITS) return null;
  // "00" is the international prefix in most of the world (ITU-T E.164 Annex); read it as "+".
  const input = s.startsWith('00') ? `+${digits.slice(2)}` : s.startsWith('+') ? `+${digits}` : digits;
  try {
    const p = parsePhoneNumberFromString(input, region as CountryCode);
    if (!p || !p.isValid()) return null;
    return { e164: p.number, extension: extension ?? (p.ext ? String(p.ext) : null) };
  } catch {
    return null;
  }
}

/** E.164 ("+79161234567") when the input is a valid number in `region` or international form; else null. */
export function toE164(raw: string | null | undefined, region: string): string | null {
  return parsePhone(raw, region)?.e164 ?? null;
}

/** For storage and display: E.164 when it parses, else the digits and a leading + as given. */
export function normaliseExternal(raw: string | null | undefined, region: string): string | null {
  if (!raw) return null;
  const e164 = toE164(raw, region);
  if (e164) return e164;
  const kept = raw.trim().replace(/[^\d+*#]/g, '');
  return kept === '' ? null : kept;
}
