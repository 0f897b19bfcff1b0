// The routing rules as people edit them: supervisors read them and the phones they ring, admins check
// and replace them. Access is checked on each function's first line, so no route can forget it.
import type { Db } from '../db/client.js';
import { CtiError } from '../lib/errors.js';
import { phoneOwners } from '../users/directory.js';
import type { Actor } from '../users/users.js';
import { checkRules, type RoutingRules, type RulesProblem, type RulesStore } from './rules.js';

export interface RoutingContext {
  db: Db;
  actor: Actor;
  rules: RulesStore;
  /** The deployment's PBX ids (src/pbx/pbxes.ts): rules for another (a typo) are a warning. */
  pbxIds?: readonly string[];
}

/** A phone a target can ring, by the person on it. */
export interface RoutingPhone {
  pbx: string;
  extension: string;
  name: string;
  role: Actor['role'];
}

function assertReader(actor: Actor): void {
  if (actor.role === 'manager') throw new CtiError('CTI_ERR_FORBIDDEN', 'Only supervisors and admins see the routing rules');
}

function assertAdmin(actor: Actor): void {
  if (actor.role !== 'admin') throw new CtiError('CTI_ERR_FORBIDDEN', 'Only admins change the routing rules');
}

/** The extensions users have, on one PBX (null: on any). */
const phoneSets = async (db: Db) => {
  const owners = await phoneOwners(db);
  const all = new Set(owners.map((p) => p.extension));
  const byPbx = new Map<string, Set<string>>();
  for (const p of owners) (byPbx.get(p.pbxId) ?? byPbx.set(p.pbxId, new Set()).get(p.pbxId)!).add(p.extension);
  return (pbx: string | null) => (pbx === null ? all : byPbx.get(pbx) ?? new Set<string>());
};

export function readRules(ctx: RoutingContext): RoutingRules {
  assertReader(ctx.actor);
  return ctx.rules.rules;
}

/** Users' phones, by extension: what the rules' targets are chosen from. */
export async function routingPhones(ctx: RoutingContext): Promise<RoutingPhone[]> {
  assertReader(ctx.actor);
  return (await phoneOwners(ctx.db)).map(({ pbxId, extension, name, role }) => ({ pbx: pbxId, extension, name, role }));
}

/**
 * Says what is wrong with rules without saving them: errors (which a save would refuse) and warnings.
 * `rules`: the rules as they would be saved, defaults filled, when there is no error.
 */
export async function checkRoutingRules(ctx: RoutingContext, input: unknown): Promise<{ rules: RoutingRules | null; problems: RulesProblem[] }> {
  assertAdmin(ctx.actor);
  const checked = checkRules(input, await phoneSets(ctx.db));
  const known = ctx.pbxIds;
  if (checked.rules && known) {
    for (const id of Object.keys(checked.rules.byPbx ?? {})) {
      if (!known.includes(id)) {
        checked.problems.push({ path: `byPbx.${id}`, code: 'unknown_pbx', severity: 'warning', value: id, message: `no PBX '${id}' here (${known.join(', ')}): its calls follow the rules above` });
      }
    }
  }
  return checked;
}

/** Validates, saves and applies at once (400 with every problem at its path, in details.problems). */
export function replaceRules(ctx: RoutingContext, input: unknown): RoutingRules {
  assertAdmin(ctx.actor);
  return ctx.rules.replace(input);
}
