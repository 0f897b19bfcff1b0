// What routing needs to know about a caller, from storage: the client (by caller-ID match), the manager
// who last answered a call with that client within the window, and the owner's extension. Both are
// people, rung where they are now (src/users/directory.ts): a manager who moved from 101 to 105 gets their
// client's calls on 105, not whoever took 101. Each PBX routes to its own phones (src/pbx/pbxes.ts): a
// manager whose phone is on another PBX is no extension here, so the rules' next step decides.
// Prepared statements (named on PostgreSQL); index probes only (contact_phones.e164, calls(client_id,
// started_at), users' primary key): the match, then the prior manager and the owner's phone side by side.
import { and, desc, eq, gte, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { prepareNamed } from '../db/contacts.js';
import { calls } from '../db/schema/index.js';
import { phoneOf } from '../users/directory.js';
import { matchNumber } from '../contacts/match.js';
import { minorDigits } from '../lib/money.js';
import type { CallerFacts } from './decide.js';

const ph = sql.placeholder;

function prepare(db: Db) {
  return {
    prior: prepareNamed(db.select({ pbxId: calls.pbxId, extension: calls.extension, managerId: calls.managerId }).from(calls)
      .where(and(eq(calls.clientId, ph('clientId')), eq(calls.disposition, 'answered'), gte(calls.startedAt, ph('since'))))
      .orderBy(desc(calls.startedAt)).limit(1), 'routing_prior'),
  };
}

export function factsSource(db: Db, clock: () => number = Date.now) {
  const st = prepare(db);
  /** The user's extension when their phone is on PBX `pbx`. */
  const extensionOn = async (pbx: string, userId: string | null) => {
    const p = await phoneOf(db, userId);
    return p && p.pbxId === pbx ? p.extension : null;
  };
  return async (pbx: string, e164: string | null, windowDays: number): Promise<CallerFacts> => {
    const m = e164 ? await matchNumber(db, e164) : null;
    if (!m) return { client: null, priorManagerExtension: null, ownerExtension: null };
    const turnover = m.turnoverMinor === null || !m.currency ? null : m.turnoverMinor / 10 ** minorDigits(m.currency);
    const priorExtension = async () => {
      const [prior] = await st.prior.execute({ clientId: m.clientId, since: clock() - windowDays * 86_400_000 });
      // A call nobody's (no user on its phone then) rings that phone again.
      if (!prior) return null;
      return prior.managerId ? extensionOn(pbx, prior.managerId) : prior.pbxId === pbx ? prior.extension : null;
    };
    const [priorExt, ownerExt] = await Promise.all([priorExtension(), extensionOn(pbx, m.ownerId)]);
    return {
      client: { id: m.clientId, turnover, currency: m.currency },
      priorManagerExtension: priorExt,
      ownerExtension: ownerExt,
    };
  };
}
