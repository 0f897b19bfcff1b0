// KPI bands: per metric, ascending thresholds and one more band than thresholds. A value below the
// first threshold gets the first band, a value at or above threshold i (and below i+1) gets band i+1:
// { "thresholds": [5, 10, 15], "bands": ["red", "yellow", "green", "orange"] } reads
// "< 5 red, 5 to < 10 yellow, 10 to < 15 green, 15 and more orange". The file (CTI_KPI_FILE, JSON) is
// read once at start; without it the shipped defaults (config/kpi.json) apply; a bad file stops the
// service with a message naming the variable and the metric.
//
// Two rules keep a band honest (issue 11, item 9). A count of 0 (no calls, no talk) gets no band: nothing
// happened, which is neither good nor bad. A rate or an average (answerRate, avgRingSeconds,
// avgTalkSeconds) gets a band only when it stands on at least `minCalls` calls (inbound calls for the
// answer rate, answered calls for the averages; 5 by default): 1 answered call of 1 is not a KPI.
// The shipped defaults band the answer rate (90 % and more green, 75 % to 90 % yellow, below red) and
// the ring before answer (under 10 s green, 10 to 20 s yellow, more red); counts are not banded, as
// a good count depends on the day's traffic.
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';

export const BANDS = ['red', 'orange', 'yellow', 'green', 'blue', 'grey'] as const;
export type Band = (typeof BANDS)[number];

/** Metrics a band can be set on (the numeric metrics of a report row; times in seconds, rates 0..1). */
export const BANDED_METRICS = [
  'calls', 'callsIn', 'callsOut', 'callsInternal', 'answered', 'missed', 'answerRate', 'talkSeconds', 'avgTalkSeconds',
  'avgRingSeconds', 'longestCallSeconds', 'callbacksDue', 'callbacksOnTime',
] as const;
export type BandedMetric = (typeof BANDED_METRICS)[number];

export interface KpiRule {
  thresholds: number[];
  bands: Band[];
  /** Rates and averages: no band below this many calls behind the value (default 5). */
  minCalls?: number;
}

/** Metrics that are a rate or an average over calls, and which count of calls they stand on. */
export const RATE_BASES: Partial<Record<BandedMetric, BandedMetric>> = {
  answerRate: 'callsIn', avgRingSeconds: 'answered', avgTalkSeconds: 'answered',
};
export const DEFAULT_MIN_CALLS = 5;
export type KpiBands = Readonly<Partial<Record<BandedMetric, KpiRule>>>;

export const DEFAULT_KPI: KpiBands = Object.freeze({
  answerRate: { thresholds: [0.75, 0.9], bands: ['red', 'yellow', 'green'], minCalls: DEFAULT_MIN_CALLS },
  avgRingSeconds: { thresholds: [10, 20], bands: ['green', 'yellow', 'red'], minCalls: DEFAULT_MIN_CALLS },
});

const rule = z.object({
  thresholds: z.array(z.number().finite()).min(1).max(20)
    .refine((t) => t.every((x, i) => i === 0 || x > t[i - 1]!), 'thresholds must be strictly ascending'),
  bands: z.array(z.enum(BANDS)),
  minCalls: z.number().int().min(0).optional(),
}).strict().refine((r) => r.bands.length === r.thresholds.length + 1, 'bands: one more than thresholds');

const schema = z.partialRecord(z.enum(BANDED_METRICS), rule);

export function parseKpi(json: unknown, source = 'CTI_KPI_FILE'): KpiBands {
  const r = schema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new Error(`${source}: ${i.path.join('/') || 'file'}: ${i.message}`);
  }
  return Object.freeze(r.data as KpiBands);
}

export function loadKpi(file: string): KpiBands {
  if (!existsSync(file)) return DEFAULT_KPI;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`CTI_KPI_FILE (${file}): not JSON: ${(err as Error).message}`);
  }
  return parseKpi(json, `CTI_KPI_FILE (${file})`);
}

/**
 * The band of one value. `metrics`: the row's other values, for the calls a rate stands on (without
 * them a rate is banded as it is).
 */
export function bandOf(kpi: KpiBands, metric: BandedMetric, value: number | null, metrics?: Readonly<Partial<Record<BandedMetric, number | null>>>): Band | null {
  const r = kpi[metric];
  if (!r || value === null) return null;
  const base = RATE_BASES[metric];
  if (base) {
    const n = metrics?.[base];
    if (n !== undefined && (n ?? 0) < (r.minCalls ?? DEFAULT_MIN_CALLS)) return null;
  } else if (value === 0) {
    return null;
  }
  let i = 0;
  while (i < r.thresholds.length && value >= r.thresholds[i]!) i++;
  return r.bands[i]!;
}
