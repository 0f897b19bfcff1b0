// The routing decision, pure: who the caller is -> which phone rings first and where the call goes
// next. No I/O here: facts come in, a RoutingDecision goes out (unit-tested with fakes).
import type { RoutingRules, Target } from './rules.js';

export type RoutedBy = 'prior_manager' | 'owner' | `turnover:${string}` | 'default' | 'fallback';

export interface CallerFacts {
  /** The client the number belongs to, if any; turnover in whole units of `currency`. */
  client: { id: string; turnover: number | null; currency: string | null } | null;
  /** Extension of the manager who last answered a call with this client within the window. */
  priorManagerExtension: string | null;
  /** Extension of the client's owner. */
  ownerExtension: string | null;
}

export interface RouteStep {
  dial: string;
  ringSeconds: number;
  routedBy: RoutedBy;
}

export interface RoutingDecision {
  /** The manager's own phone, rung first when there is one. */
  first: RouteStep | null;
  /** Where the call goes (next): the tier target or the default. */
  then: RouteStep;
}

/** The Asterisk Dial() string of a target. Queues go through the cti-queue context (app_queue). */
export function dialString(t: Target): string {
  if ('extension' in t) return `PJSIP/${t.extension}`;
  if ('group' in t) return t.group.map((e) => `PJSIP/${e}`).join('&');
  return `Local/${t.queue}@cti-queue/n`;
}

export function tierFor(rules: RoutingRules, client: CallerFacts['client']): RoutingRules['tiers'][number] | null {
  const turnover = client?.turnover ?? null;
  if (turnover === null || client?.currency !== rules.currency) return null;
  let best: RoutingRules['tiers'][number] | null = null;
  for (const t of rules.tiers) if (turnover >= t.minTurnover && (!best || t.minTurnover > best.minTurnover)) best = t;
  return best;
}

/**
 * `didTarget`: the dialled number's own target from the dialplan (cti-did-targets), which stands in
 * for the default target on that number.
 */
export function decide(rules: RoutingRules, facts: CallerFacts, didTarget: string | null = null): RoutingDecision {
  const tier = tierFor(rules, facts.client);
  const then: RouteStep = tier
    ? { dial: dialString(tier.target), ringSeconds: rules.targetRingSeconds, routedBy: `turnover:${tier.name}` }
    : { dial: didTarget ?? dialString(rules.defaultTarget), ringSeconds: rules.targetRingSeconds, routedBy: 'default' };
  let first: RouteStep | null = null;
  if (facts.client && rules.priorManager.enabled) {
    if (facts.priorManagerExtension) first = { dial: `PJSIP/${facts.priorManagerExtension}`, ringSeconds: rules.managerRingSeconds, routedBy: 'prior_manager' };
    else if (rules.priorManager.useOwner && facts.ownerExtension) first = { dial: `PJSIP/${facts.ownerExtension}`, ringSeconds: rules.managerRingSeconds, routedBy: 'owner' };
  }
  // Ringing the same phone twice in a row helps nobody.
  if (first && first.dial === then.dial) return { first: null, then: { ...then, routedBy: first.routedBy, ringSeconds: Math.max(first.ringSeconds, then.ringSeconds) } };
  return { first, then };
}

/** What the service answers when it cannot decide in time: the default target. */
export function fallbackDecision(rules: RoutingRules, didTarget: string | null = null): RoutingDecision {
  return { first: null, then: { dial: didTarget ?? dialString(rules.defaultTarget), ringSeconds: rules.targetRingSeconds, routedBy: 'fallback' } };
}
