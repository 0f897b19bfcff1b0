// Phone numbers: whatever format the PBX hands us, stored as E.164 where it parses (libphonenumber-js).
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';

/** E.164 ("+79161234567") when the input is a valid number in `region` or international form; else null. */
export function toE164(raw: string | null | undefined, region: string): string | null {
  if (!raw) return null;
  const s = raw.trim();
  if (s === '' || !/\d/.test(s)) return null;
  // "00" international prefix -> "+"; the Russian "8" trunk prefix is handled by libphonenumber for RU.
  const input = s.startsWith('00') ? `+${s.slice(2)}` : s;
  try {
    const p = parsePhoneNumberFromString(input, region as CountryCode);
    return p && p.isValid() ? p.number : null;
  } catch {
    return null;
  }
}

/** For storage and display: E.164 when it parses, else the digits and a leading + as given. */
export function normaliseExternal(raw: string | null | undefined, region: string): string | null {
  if (!raw) return null;
  const e164 = toE164(raw, region);
  if (e164) return e164;
  const kept = raw.trim().replace(/[^\d+*#]/g, '');
  return kept === '' ? null : kept;
}
