// The one rule for text people give us (issue 10, item 12), used by every route and the CSV import.
// Two kinds:
//   - a name: of a user, client or contact, a label, a segment, an email, an external id: one line;
//   - a note: a wrap-up or task description: free text that keeps line breaks and tabs.
// Both are refused when they hold a lone surrogate (not Unicode: SQLite would store U+FFFD instead),
// a bidirectional override, embedding or isolate (U+202A-U+202E, U+2066-U+2069: they make text read
// differently from how it is stored, the "Trojan Source" trick of CVE-2021-42574), or a control
// character (C0, DEL, C1; a note may keep \n, \r and \t). What passes is trimmed and NFC-normalised,
// so a name typed on a Mac (decomposed "й") equals the same name typed elsewhere.
// Identifiers of other systems (external ids) are checked but kept as given: they are another
// system's keys and must come back byte for byte.
import { CtiError } from './errors.js';

export type TextKind = 'name' | 'note';
/** Why text was refused: a stable word the web app translates (CTI_ERR_BAD_TEXT's details.fault). */
export type TextFault = 'control' | 'bidi' | 'surrogate';

export type CleanText = { ok: true; value: string } | { ok: false; fault: TextFault; reason: string };

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const BIDI = /[\u202A-\u202E\u2066-\u2069]/;
/* eslint-disable-next-line no-control-regex */
const CONTROL_IN_NAME = /[\u0000-\u001F\u007F-\u009F\u2028\u2029]/;
/* eslint-disable-next-line no-control-regex */
const CONTROL_IN_NOTE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

const hex = (ch: string) => `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/** The first fault of `s` (if any), with a reason a person can act on. */
export function textFault(s: string, kind: TextKind): { fault: TextFault; reason: string } | null {
  const lone = LONE_SURROGATE.exec(s);
  if (lone) return { fault: 'surrogate', reason: `is not valid Unicode (a lone surrogate ${hex(lone[0])} at character ${lone.index + 1})` };
  const bidi = BIDI.exec(s);
  if (bidi) return { fault: 'bidi', reason: `must not contain ${hex(bidi[0])} (a bidirectional override or isolate: it makes text read differently from what it is)` };
  const control = (kind === 'name' ? CONTROL_IN_NAME : CONTROL_IN_NOTE).exec(s);
  if (control) {
    return {
      fault: 'control',
      reason: kind === 'name'
        ? `must not contain a control character (${hex(control[0])}; line breaks and tabs included)`
        : `must not contain a control character (${hex(control[0])}; line breaks and tabs are fine)`,
    };
  }
  return null;
}

/** `s` trimmed (a pasted name's trailing line break is no fault) and NFC-normalised, or why it is refused. */
export function cleanText(s: string, kind: TextKind = 'name'): CleanText {
  const v = s.trim();
  const f = textFault(v, kind);
  if (f) return { ok: false, ...f };
  return { ok: true, value: v.normalize('NFC') };
}

/** `s` trimmed and checked but otherwise kept as given: another system's identifier. */
export function cleanIdentifier(s: string): CleanText {
  const v = s.trim();
  const f = textFault(v, 'name');
  return f ? { ok: false, ...f } : { ok: true, value: v };
}

/** How a user name is compared: NFC, trimmed (the users table holds names NFC-normalised). */
export const userNameKey = (s: string) => s.trim().normalize('NFC');

/** The 400 for refused text: `field: reason`, with the field and the fault in details for the web app. */
export function badText(field: string, f: { fault: TextFault; reason: string }): CtiError {
  return new CtiError('CTI_ERR_BAD_TEXT', `${field}: ${f.reason}`, { field, fault: f.fault });
}

/** `s` cleaned by the rule of its kind, or the 400 naming `field`. */
export function requireText(field: string, s: string, kind: TextKind = 'name'): string {
  const c = cleanText(s, kind);
  if (!c.ok) throw badText(field, c);
  return c.value;
}
