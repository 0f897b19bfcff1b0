// What routing needs to know about a caller, from storage: the client (by caller-ID match), the manager
// who last answered a call with that client within the window, and the owner's extension.
// Prepared statements; index probes only (contact_phones.e164, calls(client_id, started_at)).
import { and, desc, eq, gte, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { calls, users } from '../db/schema/index.js';
import { matchNumber } from '../contacts/match.js';
import { minorDigits } from '../lib/money.js';
import type { CallerFacts } from './decide.js';

const ph = sql.placeholder;

function prepare(db: Db) {
  return {
    prior: db.select({ extension: calls.extension }).from(calls)
      .where(and(eq(calls.clientId, ph('clientId')), eq(calls.disposition, 'answered'), gte(calls.startedAt, ph('since'))))
      .orderBy(desc(calls.startedAt)).limit(1).prepare(),
    ownerExt: db.select({ extension: users.extension }).from(users).where(eq(users.id, ph('id'))).prepare(),
  };
}

export function factsSource(db: Db, clock: () => number = Date.now) {
  const st = prepare(db);
  return (e164: string | null, windowDays: number): CallerFacts => {
    const m = e164 ? matchNumber(db, e164) : null;
    if (!m) return { client: null, priorManagerExtension: null, ownerExtension: null };
    const turnover = m.turnoverMinor === null || !m.currency ? null : m.turnoverMinor / 10 ** minorDigits(m.currency);
    const prior = st.prior.get({ clientId: m.clientId, since: clock() - windowDays * 86_400_000 });
    const owner = m.ownerId ? st.ownerExt.get({ id: m.ownerId }) : undefined;
    return {
      client: { id: m.clientId, turnover, currency: m.currency },
      priorManagerExtension: prior?.extension ?? null,
      ownerExtension: owner?.extension ?? null,
    };
  };
}
