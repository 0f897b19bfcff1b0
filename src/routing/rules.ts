// Routing rules: where an inbound call rings. They live in a JSON file (CTI_ROUTING_FILE), are edited
// there or through the admin API, validated with zod, and take effect without a restart.
import { existsSync, readFileSync, renameSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../lib/logger.js';
import { CtiError } from '../lib/errors.js';
import { PBX_ID } from '../pbx/pbx-id.js';

const extension = z.string().regex(/^[0-9]{2,6}$/, 'an extension: 2 to 6 digits');
/** An extension, a ring group (all ring at once) or a queue (app_queue, through context cti-queue). */
export const targetSchema = z.union([
  z.object({ extension }).strict(),
  z.object({ group: z.array(extension).min(1).max(32) }).strict(),
  z.object({ queue: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a queue name: letters, digits, - and _') }).strict(),
]);
export type Target = z.infer<typeof targetSchema>;

const tierSchema = z.object({
  name: z.string().regex(/^[a-z0-9_-]{1,32}$/, 'a tier name: lower-case letters, digits, - and _'),
  /** Monthly turnover from which this tier applies (inclusive), in whole units of `currency`. */
  minTurnover: z.number().nonnegative(),
  target: targetSchema,
}).strict();

/** Tiers as a ladder: each starts above the one before, names unique (at `at`: tiers, or byPbx.<id>.tiers). */
function checkLadder(tiers: readonly z.infer<typeof tierSchema>[], at: (string | number)[], ctx: z.RefinementCtx): void {
  const names = new Set<string>();
  for (const [i, t] of tiers.entries()) {
    if (names.has(t.name)) ctx.addIssue({ code: 'custom', path: [...at, i, 'name'], message: `tier name ${t.name} is used twice`, params: { problem: 'duplicate_name' } });
    names.add(t.name);
    // A ladder: each tier starts above the one before, so "from X to the next tier" reads one way and no
    // two tiers claim the same turnover (the second of two equal thresholds could never win).
    const prev = tiers[i - 1];
    if (prev && t.minTurnover <= prev.minTurnover) {
      ctx.addIssue({
        code: 'custom', path: [...at, i, 'minTurnover'], params: { problem: 'threshold_order', min: prev.minTurnover },
        message: `the threshold must be above the previous tier's (${prev.minTurnover}): tiers go from the lowest turnover to the highest`,
      });
    }
  }
}

/**
 * One PBX's own rules (several PBXs, src/pbx/pbxes.ts), over the deployment's: its default target, its
 * tiers, and a target per DID (the number the caller dialled, as the PBX's trunk gives it). A DID here
 * wins over the dialplan's cti-did-targets for that number; anything left out is the deployment's.
 */
const pbxRulesSchema = z.object({
  defaultTarget: targetSchema.optional(),
  tiers: z.array(tierSchema).max(20).optional(),
  dids: z.record(z.string().regex(/^\+?[0-9]{2,20}$/, 'a DID: digits, optionally with a leading +'), targetSchema).optional(),
}).strict();

export const rulesSchema = z.object({
  /** Ring the prior manager (who last talked with this client), else the client's owner. */
  priorManager: z.object({
    enabled: z.boolean().default(true),
    /** An answered call within this many days makes a manager the prior manager. */
    windowDays: z.number().int().min(1).max(3650).default(90),
    /** Fall back to the client's owner when there is no prior manager. */
    useOwner: z.boolean().default(true),
  }).strict().default({ enabled: true, windowDays: 90, useOwner: true }),
  /** Seconds the chosen manager's phone rings before the call moves on. */
  managerRingSeconds: z.number().int().min(3).max(120).default(20),
  /** Seconds the tier or default target rings. */
  targetRingSeconds: z.number().int().min(3).max(600).default(60),
  /** Currency of the tier thresholds (ISO 4217); clients with turnover in another currency match no tier. */
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as RUB').default('RUB'),
  /** Turnover tiers: the highest minTurnover not above the client's monthly turnover wins. */
  tiers: z.array(tierSchema).max(20).default([]),
  defaultTarget: targetSchema,
  /**
   * The service continues every channel within this many ms, decision made or not. At most 1 s: the
   * PBX itself stops waiting after CTI_ROUTE_WAIT (1.5 s by default, dialplan cti-route-ask) and rings
   * the fallback target, so a longer deadline would only be cut short there.
   */
  deadlineMs: z.number().int().min(50).max(1000).default(300),
  /** Per PBX (by its id): what differs there from the rules above. */
  byPbx: z.record(z.string().regex(PBX_ID, 'a PBX id such as kzn'), pbxRulesSchema).optional(),
}).strict().superRefine((r, ctx) => {
  checkLadder(r.tiers, ['tiers'], ctx);
  for (const [id, p] of Object.entries(r.byPbx ?? {})) if (p.tiers) checkLadder(p.tiers, ['byPbx', id, 'tiers'], ctx);
});
export type RoutingRules = z.infer<typeof rulesSchema>;

/**
 * The rules in force for a call on PBX `pbx` that dialled `did`: that PBX's tiers and default target over
 * the deployment's, and its DID's target as the default (`didRule`: the rules named this DID, so the
 * dialplan's own target for it does not count). `did` comes from the trunk: it is only ever a key looked
 * up here, never part of what is dialled.
 */
export function rulesFor(rules: RoutingRules, pbx: string, did: string): { rules: RoutingRules; didRule: boolean } {
  const p = rules.byPbx?.[pbx];
  if (!p) return { rules, didRule: false };
  // The dialplan gives the DID's digits (CTI_DID); a rule may be written with a leading +.
  const digits = did.replace(/^\+/, '');
  const key = digits ? Object.keys(p.dids ?? {}).find((k) => k.replace(/^\+/, '') === digits) : undefined;
  const didTarget = key === undefined ? undefined : p.dids![key];
  return {
    rules: { ...rules, tiers: p.tiers ?? rules.tiers, defaultTarget: didTarget ?? p.defaultTarget ?? rules.defaultTarget },
    didRule: didTarget !== undefined,
  };
}

export const DEFAULT_RULES: RoutingRules = rulesSchema.parse({ defaultTarget: { extension: '101' } });

/**
 * One thing wrong with rules, at the field's path (`tiers.1.minTurnover`), for the browser to show next to
 * that field in the user's language (`code`, `min`, `max`) and for API clients to read (`message`).
 * Errors keep rules from being saved; warnings (an extension no user has) are said and saved.
 */
export interface RulesProblem {
  path: string;
  code: 'required' | 'type' | 'not_integer' | 'too_small' | 'too_big' | 'format' | 'unknown_key' | 'target'
    | 'duplicate_name' | 'threshold_order' | 'unknown_extension' | 'unknown_pbx' | 'invalid';
  severity: 'error' | 'warning';
  message: string;
  min?: number;
  max?: number;
  /** The value the problem is about, where the message names one (the unknown extension). */
  value?: string;
}

function problemsOf(issues: readonly z.core.$ZodIssue[]): RulesProblem[] {
  return issues.map((i): RulesProblem => {
    const at = (extra: PropertyKey[] = []) => [...i.path, ...extra].map(String).join('.');
    const p = (code: RulesProblem['code'], more: Partial<RulesProblem> = {}, path = at()): RulesProblem =>
      ({ path, code, severity: 'error', message: i.message, ...more });
    switch (i.code) {
      case 'invalid_type':
        if (i.input === undefined) return p('required', { message: 'required' });
        return p(i.expected === 'int' ? 'not_integer' : 'type');
      case 'too_small': return p('too_small', { min: Number(i.minimum) });
      case 'too_big': return p('too_big', { max: Number(i.maximum) });
      case 'invalid_format': return p('format');
      // An unknown key is reported at its own name, not at its parent's.
      case 'unrecognized_keys': return p('unknown_key', {}, at(i.keys.slice(0, 1)));
      case 'invalid_union':
        if (i.input === undefined) return p('required', { message: 'required' });
        return p('target', { message: 'a target: {"extension": "102"}, {"group": ["102", "103"]} or {"queue": "sales"}' });
      case 'custom': {
        const params = (i.params ?? {}) as { problem?: RulesProblem['code']; min?: number };
        return p(params.problem ?? 'invalid', params.min === undefined ? {} : { min: params.min });
      }
      default: return p('invalid');
    }
  });
}

/** Every extension the rules ring, with its path and the PBX it rings on (null: the deployment's rules, any PBX). */
export function extensionsOf(rules: RoutingRules): { path: string; extension: string; pbx: string | null }[] {
  const of = (t: Target, at: string, pbx: string | null) => ('extension' in t ? [{ path: `${at}.extension`, extension: t.extension, pbx }]
    : 'group' in t ? t.group.map((e, i) => ({ path: `${at}.group.${i}`, extension: e, pbx })) : []);
  const own = Object.entries(rules.byPbx ?? {}).flatMap(([id, p]) => [
    ...(p.tiers ?? []).flatMap((t, i) => of(t.target, `byPbx.${id}.tiers.${i}.target`, id)),
    ...(p.defaultTarget ? of(p.defaultTarget, `byPbx.${id}.defaultTarget`, id) : []),
    ...Object.entries(p.dids ?? {}).flatMap(([did, t]) => of(t, `byPbx.${id}.dids.${did}`, id)),
  ]);
  return [...rules.tiers.flatMap((t, i) => of(t.target, `tiers.${i}.target`, null)), ...of(rules.defaultTarget, 'defaultTarget', null), ...own];
}

/**
 * Validates rules and says everything wrong with them, not only the first thing. `phones`: the extensions
 * users have (src/users/directory.ts); a target extension outside it is a warning, since a phone with no
 * user (a reception desk, a ring-group member) is a phone all the same, but a typo rings nobody.
 */
export function checkRules(input: unknown, phones: ReadonlySet<string> | ((pbx: string | null) => ReadonlySet<string>) | null = null): { rules: RoutingRules | null; problems: RulesProblem[] } {
  // reportInput: a missing field (input undefined) is told apart from a wrong one.
  const r = rulesSchema.safeParse(input, { reportInput: true });
  if (!r.success) return { rules: null, problems: problemsOf(r.error.issues) };
  // `phones` as a function: the extensions users have on a PBX (null: on any).
  const on = typeof phones === 'function' ? phones : () => phones!;
  const problems: RulesProblem[] = !phones ? [] : extensionsOf(r.data).filter((e) => !on(e.pbx).has(e.extension)).map((e) => ({
    path: e.path, code: 'unknown_extension', severity: 'warning', value: e.extension, message: `no user has extension ${e.extension}: make sure it is a phone on the PBX`,
  }));
  return { rules: r.data, problems };
}

/** Validates rules, throwing CTI_ERR_BAD_REQUEST naming the first bad field; details.problems has them all. */
export function parseRules(input: unknown): RoutingRules {
  const { rules, problems } = checkRules(input);
  if (!rules) {
    const first = problems[0];
    throw new CtiError('CTI_ERR_BAD_REQUEST', `${first?.path || 'rules'}: ${first?.message ?? 'invalid'}`, { problems });
  }
  return rules;
}

/** Holds the rules in force; reloads the file when it changes (checked every second). */
export class RulesStore {
  private current: RoutingRules;
  private mtime = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly file: string, private readonly log: Logger) {
    this.current = this.load() ?? DEFAULT_RULES;
  }

  get rules(): RoutingRules {
    return this.current;
  }

  private load(): RoutingRules | null {
    if (!existsSync(this.file)) {
      this.log.warn({ file: this.file }, 'no routing rules file (CTI_ROUTING_FILE); using the defaults');
      return null;
    }
    try {
      this.mtime = statSync(this.file).mtimeMs;
      return parseRules(JSON.parse(readFileSync(this.file, 'utf8')));
    } catch (err) {
      this.log.error({ file: this.file, err: (err as Error).message }, 'routing rules file is invalid; keeping the rules in force');
      return null;
    }
  }

  watch(): void {
    this.timer = setInterval(() => {
      let m = 0;
      try {
        m = statSync(this.file).mtimeMs;
      } catch {
        return;
      }
      if (m === this.mtime) return;
      const next = this.load();
      if (next) {
        this.current = next;
        this.log.info({ file: this.file }, 'routing rules reloaded');
      }
    }, 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /**
   * Told of every replacement made through the API here, so the other instances of a deployment
   * (src/cluster) write the same rules into their own files.
   */
  onReplaced: ((rules: RoutingRules) => void) | null = null;

  /** Validates, writes the file atomically, and applies at once; `from` another instance: not announced again. */
  replace(input: unknown, from: 'api' | 'another instance' = 'api'): RoutingRules {
    const rules = parseRules(input);
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.tmp-${process.pid}`;
    // The service's own file (issue 10): 0600 from its creation; the rename keeps the mode.
    writeFileSync(tmp, `${JSON.stringify(rules, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, this.file);
    this.mtime = statSync(this.file).mtimeMs;
    this.current = rules;
    this.log.info({ file: this.file, from }, 'routing rules replaced');
    if (from === 'api') this.onReplaced?.(rules);
    return rules;
  }
}
