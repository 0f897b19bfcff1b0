// Routes inbound calls that wait in the Stasis application: facts -> decision -> reply, always within
// the rules' deadline. A decision not made in time becomes the fallback (the default target), so a
// slow database never holds a caller.
import type { Logger } from '../lib/logger.js';
import { toE164 } from '../lib/phone.js';
import type { RouteReply, RouteRequest } from '../pbx/stasis.js';
import { decide, fallbackDecision, type CallerFacts } from './decide.js';
import { rulesFor, type RulesStore } from './rules.js';

export interface RouterDeps {
  rules: RulesStore;
  /** The PBX whose Stasis application asks (src/pbx/pbxes.ts): its rules, its phones. */
  pbxId: string;
  facts: (pbx: string, e164: string | null, windowDays: number) => CallerFacts | Promise<CallerFacts>;
  region: string;
  log: Logger;
  /** Fault injection for tests and drills: delay every lookup by this many ms (CTI_FAULT_ROUTING_DELAY_MS). */
  faultDelayMs?: number;
}

export class Router {
  constructor(private readonly d: RouterDeps) {}

  async route(req: RouteRequest): Promise<RouteReply> {
    // This PBX's rules, and its DID's target if the rules name one (then the dialplan's does not count).
    const { rules, didRule } = rulesFor(this.d.rules.rules, this.d.pbxId, req.did);
    const didTarget = didRule ? null : req.didTarget;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<null>((r) => { timer = setTimeout(() => r(null), rules.deadlineMs); });
    const decided = (async () => {
      if (this.d.faultDelayMs) await new Promise((r) => setTimeout(r, this.d.faultDelayMs));
      const facts = await this.d.facts(this.d.pbxId, toE164(req.callerNumber, this.d.region), rules.priorManager.windowDays);
      return decide(rules, facts, didTarget);
    })();
    try {
      const d = await Promise.race([decided, deadline]);
      if (d) return d;
      this.d.log.warn({ channelId: req.channelId, deadlineMs: rules.deadlineMs }, 'no routing decision within the deadline; ringing the default target');
      return fallbackDecision(rules, didTarget);
    } catch (err) {
      this.d.log.error({ channelId: req.channelId, err: (err as Error).message }, 'routing failed; ringing the default target');
      return fallbackDecision(rules, didTarget);
    } finally {
      clearTimeout(timer);
      decided.catch(() => {});
    }
  }
}
