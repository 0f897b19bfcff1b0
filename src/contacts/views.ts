// What clients and contacts look like over the API (and to the CSV report): ISO times, turnover as a
// decimal string in its currency, phones as given with their E.164 form.
import type { ClientRow, ContactPhoneRow, ContactRow } from '../db/schema/index.js';
import { formatAmount } from '../lib/money.js';

export interface ClientView {
  id: string;
  kind: 'company' | 'person';
  name: string;
  /** Monthly turnover as a decimal string ("200000.00"), null when unknown. */
  turnover: string | null;
  currency: string | null;
  ownerId: string | null;
  segment: string | null;
  externalId: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface PhoneView {
  /** As given, with any extension. */
  number: string;
  e164: string;
  label: string | null;
}

export interface ContactView {
  id: string;
  clientId: string;
  name: string;
  email: string | null;
  externalId: string | null;
  phones: PhoneView[];
  createdAt: string;
  updatedAt: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function clientView(r: ClientRow): ClientView {
  return {
    id: r.id,
    kind: r.kind,
    name: r.name,
    turnover: r.turnoverMinor !== null && r.currency ? formatAmount(r.turnoverMinor, r.currency) : null,
    currency: r.currency,
    ownerId: r.ownerId,
    segment: r.segment,
    externalId: r.externalId,
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
  };
}

export function contactView(r: ContactRow, phones: readonly ContactPhoneRow[]): ContactView {
  return {
    id: r.id,
    clientId: r.clientId,
    name: r.name,
    email: r.email,
    externalId: r.externalId,
    phones: phones.map((p) => ({ number: p.raw, e164: p.e164, label: p.label })),
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
  };
}

/** The contacts.search column: one lower-cased text to search name, email and numbers in. */
export function contactSearchText(name: string, email: string | null, e164s: readonly string[]): string {
  return [name.toLowerCase(), (email ?? '').toLowerCase(), ...e164s].join('\n');
}

/** A LIKE pattern for `q` anywhere, with %, _ and \ escaped (ESCAPE '\', as in PostgreSQL). */
export function containsPattern(q: string): string {
  return `%${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
