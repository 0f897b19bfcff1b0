// Which numbers may be dialled. One policy, read once from the configuration: click-to-call checks it
// here before the Originate, and the phones' own calls meet the same rules in the dialplan
// (dial-policy-dialplan.ts renders them into extensions_cti_policy.conf, so Asterisk never waits for us).
// Destination rules act on E.164 numbers; the limits count a user's click-to-calls.
//
// A number is refused, first rule that applies:
//   prefix                 it starts with a CTI_DIAL_DENY prefix
//   premium                libphonenumber types it PREMIUM_RATE or SHARED_COST (+1 900, +979, 8-809, UK 0871)
//   (allowed)              its country is in CTI_DIAL_ALLOW (or * is), or it starts with an allowed prefix
//   international_network  a non-geographic code (+800, +808, +870, +878, +881, +882, +883, +888)
//   region                 anything else: a country not allowed
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { BaseConfig } from '../config/config.js';

export const DENY_REASONS = ['prefix', 'premium', 'international_network', 'region'] as const;
export type DenyReason = (typeof DENY_REASONS)[number];

/** libphonenumber types whose caller pays a surcharge: never dialled. */
export const PREMIUM_TYPES = ['PREMIUM_RATE', 'SHARED_COST'] as const;
/**
 * Country calling codes of no country (ITU-T E.164 "global services": freephone, shared cost, Inmarsat,
 * UPT, satellite GMSS, international networks, OCHA, IPRS): libphonenumber's region "001".
 * +979 (premium) is refused as premium first.
 */
export const NON_GEOGRAPHIC_CODES = ['800', '808', '870', '878', '881', '882', '883', '888', '979'] as const;

export interface DialLimits {
  /** Click-to-calls a user may start in any 60 s; 0: no limit. */
  perMinute: number;
  /** Click-to-calls of one user in progress at once; 0: no limit. */
  concurrent: number;
}

export interface DialPolicy {
  /** CTI_DEFAULT_REGION: where national forms are read (the dialplan's normalisation too). */
  readonly home: string;
  /** CTI_DIAL_ALLOW has *: every country (not premium, not the non-geographic codes). */
  readonly allowAny: boolean;
  readonly allowRegions: readonly string[];
  /** "+375": E.164 prefixes, with the plus. */
  readonly allowPrefixes: readonly string[];
  readonly denyPrefixes: readonly string[];
  readonly limits: Readonly<DialLimits>;
}

export type DestinationVerdict = { allowed: true; e164: string } | { allowed: false; e164: string; reason: DenyReason };

/** The policy of a loaded configuration; CTI_DIAL_ALLOW unset means the home country alone. */
export function dialPolicyOf(config: Pick<BaseConfig, 'CTI_DEFAULT_REGION' | 'CTI_DIAL_ALLOW' | 'CTI_DIAL_DENY' | 'CTI_DIAL_RATE_PER_MINUTE' | 'CTI_DIAL_MAX_CONCURRENT'>): DialPolicy {
  const allow = config.CTI_DIAL_ALLOW ?? [config.CTI_DEFAULT_REGION];
  return Object.freeze({
    home: config.CTI_DEFAULT_REGION,
    allowAny: allow.includes('*'),
    allowRegions: Object.freeze([...new Set(allow.filter((x) => /^[A-Z]{2}$/.test(x)))]),
    allowPrefixes: Object.freeze([...new Set(allow.filter((x) => x.startsWith('+')))]),
    denyPrefixes: Object.freeze([...new Set(config.CTI_DIAL_DENY ?? [])]),
    limits: Object.freeze({ perMinute: config.CTI_DIAL_RATE_PER_MINUTE, concurrent: config.CTI_DIAL_MAX_CONCURRENT }),
  });
}

/** May `e164` ("+79161234567", as parsePhone gives it) be dialled? */
export function checkDestination(policy: DialPolicy, e164: string): DestinationVerdict {
  const deny = (reason: DenyReason): DestinationVerdict => ({ allowed: false, e164, reason });
  if (policy.denyPrefixes.some((p) => e164.startsWith(p))) return deny('prefix');
  const parsed = parsePhoneNumberFromString(e164);
  if (!parsed) return deny('region');
  const type = parsed.getType();
  if (type && (PREMIUM_TYPES as readonly string[]).includes(type)) return deny('premium');
  const country = parsed.country;
  if (country && (policy.allowAny || policy.allowRegions.includes(country))) return { allowed: true, e164 };
  if (policy.allowPrefixes.some((p) => e164.startsWith(p))) return { allowed: true, e164 };
  if (!country) return deny('international_network');
  return deny('region');
}

/** What the API says (English; the page has its own words in both languages, web/src/messages). */
export const DENY_MESSAGES: Record<DenyReason, string> = {
  prefix: 'Calls to numbers starting with this prefix are blocked',
  premium: 'Calls to premium-rate and shared-cost numbers are not allowed',
  international_network: 'Calls to satellite and international network numbers are not allowed',
  region: 'Calls to this country are not allowed',
};

export type Admission =
  | { ok: true; release: () => void }
  | { ok: false; limit: 'rate'; max: number; retryAfterSeconds: number }
  | { ok: false; limit: 'concurrency'; max: number };

const WINDOW_MS = 60_000;

/**
 * Per-user limits on click-to-call: at most `perMinute` started in any 60 s (a sliding window) and at
 * most `concurrent` in progress. A refused request takes no place in either; release() (once, when the
 * call is over) frees the place it took.
 */
export class DialLimiter {
  private readonly users = new Map<string, { starts: number[]; active: number }>();

  constructor(private readonly limits: DialLimits, private readonly now: () => number = Date.now) {}

  admit(userId: string): Admission {
    const t = this.now();
    const u = this.users.get(userId) ?? { starts: [], active: 0 };
    u.starts = u.starts.filter((s) => t - s < WINDOW_MS);
    const { perMinute, concurrent } = this.limits;
    if (concurrent > 0 && u.active >= concurrent) return { ok: false, limit: 'concurrency', max: concurrent };
    if (perMinute > 0 && u.starts.length >= perMinute) {
      return { ok: false, limit: 'rate', max: perMinute, retryAfterSeconds: Math.max(1, Math.ceil((u.starts[0]! + WINDOW_MS - t) / 1000)) };
    }
    if (perMinute > 0) u.starts.push(t);
    u.active++;
    this.users.set(userId, u);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        u.active--;
        if (u.active === 0 && u.starts.every((s) => this.now() - s >= WINDOW_MS)) this.users.delete(userId);
      },
    };
  }
}
