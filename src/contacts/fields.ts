// Field rules shared by the API and the CSV importer: each check returns the clean value or a reason,
// and the caller names the field (`phones/1/number` in a 400, the column in an import report).
// Characters are checked by the one text rule (src/lib/text.ts): names NFC, external ids as given.
import { isCurrency, parseAmount } from '../lib/money.js';
import { parsePhone } from '../lib/phone.js';
import { cleanIdentifier, cleanText, type CleanText, type TextFault } from '../lib/text.js';

/** A refusal by the text rule carries its fault: the route answers CTI_ERR_BAD_TEXT (clients.ts `must`). */
export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string; fault?: TextFault };
const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const bad = (reason: string): Checked<never> => ({ ok: false, reason });

function checkLength(c: CleanText, max: number): Checked<string> {
  if (!c.ok) return c;
  if (c.value === '') return bad('must not be empty');
  if (c.value.length > max) return bad(`at most ${max} characters`);
  return c;
}

/** A name or label: one line, NFC. */
export const checkText = (s: string, max: number): Checked<string> => checkLength(cleanText(s, 'name'), max);

export const checkName = (s: string) => checkText(s, 200);
export const checkExternalId = (s: string) => checkLength(cleanIdentifier(s), 128);
export const checkSegment = (s: string) => checkText(s, 64);

export function checkEmail(s: string): Checked<string> {
  const c = cleanText(s, 'name');
  if (!c.ok) return c;
  const v = c.value;
  if (v.length > 254 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/u.test(v)) return bad(`'${s}' is not an email address`);
  return ok(v);
}

export function checkCurrency(s: string): Checked<string> {
  const v = s.trim().toUpperCase();
  return /^[A-Z]{3}$/.test(v) && isCurrency(v) ? ok(v) : bad(`'${s}' is not an ISO 4217 currency code`);
}

export function checkTurnover(amount: string | number, currency: string): Checked<number> {
  const r = parseAmount(amount, currency);
  return typeof r === 'number' ? ok(r) : bad(r);
}

export interface PhoneInput {
  number: string;
  label?: string | null;
}

export interface CleanPhone {
  raw: string;
  e164: string;
  label: string | null;
}

export const MAX_PHONES = 20;

/** Every number must parse; the same E.164 twice is kept once (the first label wins). */
export function checkPhones(list: readonly PhoneInput[], region: string): { ok: true; value: CleanPhone[] } | { ok: false; index: number; field: 'number' | 'label'; reason: string; fault?: TextFault } {
  if (list.length > MAX_PHONES) return { ok: false, index: MAX_PHONES, field: 'number', reason: `at most ${MAX_PHONES} numbers` };
  const out: CleanPhone[] = [];
  const seen = new Set<string>();
  for (const [index, p] of list.entries()) {
    const n = cleanIdentifier(p.number); // kept as given, but no hidden characters in what we show
    if (!n.ok) return { ok: false, index, field: 'number', reason: n.reason, fault: n.fault };
    const raw = n.value;
    const parsed = parsePhone(raw, region);
    if (!parsed) return { ok: false, index, field: 'number', reason: `'${p.number}' is not a phone number` };
    let label: string | null = null;
    if (p.label != null && p.label.trim() !== '') {
      const l = checkText(p.label, 32);
      if (!l.ok) return { ok: false, index, field: 'label', reason: l.reason, ...(l.fault ? { fault: l.fault } : {}) };
      label = l.value;
    }
    if (seen.has(parsed.e164)) continue;
    seen.add(parsed.e164);
    out.push({ raw, e164: parsed.e164, label });
  }
  return { ok: true, value: out };
}

/** The CSV phones cell: "label:number|label:number" (a label is optional: "number" alone). */
export function splitPhonesCell(cell: string): PhoneInput[] {
  return cell.split('|').map((s) => s.trim()).filter((s) => s !== '').map((item) => {
    const i = item.indexOf(':');
    // "tel:+7..." is a number, not a label "tel".
    if (i <= 0 || item.slice(0, i).toLowerCase() === 'tel') return { number: item };
    return { label: item.slice(0, i), number: item.slice(i + 1) };
  });
}
