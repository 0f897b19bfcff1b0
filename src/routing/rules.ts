// Routing rules: where an inbound call rings. They live in a JSON file (CTI_ROUTING_FILE), are edited
// there or through the admin API, validated with zod, and take effect without a restart.
import { existsSync, readFileSync, renameSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../lib/logger.js';
import { CtiError } from '../lib/errors.js';

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
  /** The service continues every channel within this many ms, decision made or not. */
  deadlineMs: z.number().int().min(50).max(5000).default(300),
}).strict().superRefine((r, ctx) => {
  const names = new Set<string>();
  for (const [i, t] of r.tiers.entries()) {
    if (names.has(t.name)) ctx.addIssue({ code: 'custom', path: ['tiers', i, 'name'], message: `tier name ${t.name} is used twice` });
    names.add(t.name);
  }
});
export type RoutingRules = z.infer<typeof rulesSchema>;

export const DEFAULT_RULES: RoutingRules = rulesSchema.parse({ defaultTarget: { extension: '101' } });

/** Validates rules, throwing CTI_ERR_BAD_REQUEST naming the first bad field. */
export function parseRules(input: unknown): RoutingRules {
  const r = rulesSchema.safeParse(input);
  if (!r.success) {
    const i = r.error.issues[0];
    // An unknown key is reported at its own name, not at its parent's.
    const keys = i && i.code === 'unrecognized_keys' ? (i as { keys: string[] }).keys : [];
    const path = [...(i?.path ?? []), ...keys.slice(0, 1)].join('.');
    throw new CtiError('CTI_ERR_BAD_REQUEST', `${path || 'rules'}: ${i?.message ?? 'invalid'}`);
  }
  return r.data;
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

  /** Validates, writes the file atomically, and applies at once. */
  replace(input: unknown): RoutingRules {
    const rules = parseRules(input);
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.tmp-${process.pid}`;
    // The service's own file (issue 10): 0600 from its creation; the rename keeps the mode.
    writeFileSync(tmp, `${JSON.stringify(rules, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, this.file);
    this.mtime = statSync(this.file).mtimeMs;
    this.current = rules;
    this.log.info({ file: this.file }, 'routing rules replaced through the API');
    return rules;
  }
}
