// The calls report on the browser's side, without the DOM: the shape GET /api/v1/reports/calls returns
// (src/reports/report.ts), the quick period choices, and which calls stand behind a table cell.
// Kept pure so the service tests can check that a cell's drill-down lists exactly the calls the report
// counted (tests/service/report-drilldown.test.ts imports this file).
import type { Direction } from './types.js';

export const BANDS = ['red', 'orange', 'yellow', 'green', 'blue', 'grey'] as const;
export type Band = (typeof BANDS)[number];

/** The numeric metrics of a report row (src/reports/kpi.ts BANDED_METRICS); times in seconds, rates 0..1. */
export const METRICS = [
  'calls', 'callsIn', 'callsOut', 'callsInternal', 'answered', 'missed', 'answerRate', 'talkSeconds', 'avgTalkSeconds',
  'avgRingSeconds', 'longestCallSeconds', 'callbacksDue', 'callbacksOnTime',
] as const;
export type Metric = (typeof METRICS)[number];

export interface MetricCell {
  value: number | null;
  band: Band | null;
}
export type Metrics = Record<Metric, MetricCell>;

export interface ReportRow {
  extension: string | null;
  managerId: string | null;
  managerName: string | null;
  /** The PBX of the manager's extension. */
  managerPbx: string | null;
  period: string | null;
  periodStart: string | null;
  periodEnd: string | null;
  metrics: Metrics;
  outcomes: Record<string, number>;
}

export interface CallReport {
  from: string;
  to: string;
  timeZone: string;
  groupBy: string[];
  source: 'aggregates' | 'calls' | 'mixed';
  rows: ReportRow[];
  totals: { metrics: Metrics; outcomes: Record<string, number> };
  previous: { from: string; to: string; metrics: Metrics; outcomes: Record<string, number> };
}

/** The groupings the page offers (the API takes manager plus at most one period). */
export const GROUPINGS = [
  'manager', 'day', 'week', 'month', 'hour', 'manager,day', 'manager,week', 'manager,month', 'manager,hour', '',
] as const;
export type Grouping = (typeof GROUPINGS)[number];

// ------------------------------------------------------------------------------------------ periods

export const QUICK_PERIODS = ['today', 'thisWeek', 'thisMonth', 'lastMonth'] as const;
export type QuickPeriod = (typeof QUICK_PERIODS)[number];

const DAY = 86_400_000;
const pad = (n: number) => String(n).padStart(2, '0');
const label = (ms: number) => {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
};
const parse = (s: string) => Date.parse(`${s}T00:00:00Z`);

/** Today's date (YYYY-MM-DD) in a time zone: the report's days are the company's, not the browser's. */
export function todayIn(timeZone: string | undefined, now = new Date()): string {
  try {
    return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
  } catch {
    return label(now.getTime() - now.getTimezoneOffset() * 60_000);
  }
}

/** A quick choice as local dates, both inclusive: weeks run Monday to Sunday. */
export function quickRange(p: QuickPeriod, today: string): { from: string; to: string } {
  const t = parse(today);
  const d = new Date(t);
  if (p === 'today') return { from: today, to: today };
  if (p === 'thisWeek') {
    const monday = t - ((d.getUTCDay() + 6) % 7) * DAY;
    return { from: label(monday), to: label(monday + 6 * DAY) };
  }
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() - (p === 'lastMonth' ? 1 : 0);
  return { from: label(Date.UTC(y, m, 1)), to: label(Date.UTC(y, m + 1, 1) - DAY) };
}

/** The API's `to` is exclusive: the day after the last day shown. */
export function dayAfter(day: string): string {
  return label(parse(day) + DAY);
}

/**
 * Every period label from the first to the last given, with the ones no call fell in (a chart's axis
 * must not jump from 10:00 to 12:00). Labels as the API writes them: 2026-11-20T09:00, 2026-11-20,
 * 2026-W47, 2026-11; wall-clock arithmetic, as the API's periods are local.
 */
export function fillPeriods(labels: readonly string[]): string[] {
  const sorted = [...new Set(labels)].sort();
  const first = sorted[0];
  const last = sorted.at(-1);
  if (!first || !last) return [];
  const hour = /^(\d{4}-\d{2}-\d{2})T(\d{2}):00$/;
  const week = /^(\d{4})-W(\d{2})$/;
  const monthRe = /^(\d{4})-(\d{2})$/;
  let toMs: (l: string) => number;
  let toLabel: (ms: number) => string;
  let next: (ms: number) => number;
  if (hour.test(first)) {
    toMs = (l) => Date.parse(`${l}:00Z`);
    toLabel = (ms) => new Date(ms).toISOString().slice(0, 16).replace(/:\d{2}$/, ':00');
    next = (ms) => ms + 3_600_000;
  } else if (week.test(first)) {
    // ISO week 1 holds 4 January; its Monday starts the year's weeks.
    toMs = (l) => {
      const [, y, w] = week.exec(l)!;
      const jan4 = Date.UTC(Number(y), 0, 4);
      return jan4 - ((new Date(jan4).getUTCDay() + 6) % 7) * DAY + (Number(w) - 1) * 7 * DAY;
    };
    toLabel = (ms) => {
      const thursday = new Date(ms + 3 * DAY);
      const y = thursday.getUTCFullYear();
      return `${y}-W${pad(Math.floor((thursday.getTime() - Date.UTC(y, 0, 1)) / DAY / 7) + 1)}`;
    };
    next = (ms) => ms + 7 * DAY;
  } else if (monthRe.test(first)) {
    toMs = (l) => Date.parse(`${l}-01T00:00:00Z`);
    toLabel = (ms) => new Date(ms).toISOString().slice(0, 7);
    next = (ms) => {
      const d = new Date(ms);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    };
  } else {
    toMs = parse;
    toLabel = label;
    next = (ms) => ms + DAY;
  }
  const out: string[] = [];
  const end = toMs(last);
  for (let ms = toMs(first); ms <= end && out.length < 5000; ms = next(ms)) out.push(toLabel(ms));
  return out;
}

// ------------------------------------------------------------------------------------------ drill-down

/** A clickable cell: a metric, or the count of one wrap-up outcome. */
export type DrillMetric = Metric | `outcome:${string}`;

/** Which part of the report a cell belongs to. */
export type DrillScope = { kind: 'row'; row: ReportRow } | { kind: 'total' } | { kind: 'previous' };

/** Filters of GET /api/v1/calls (src/calls/queries.ts CallFilters) that reproduce one cell. */
export interface CallQuery {
  from: string;
  to: string;
  state: 'ended';
  extension?: string;
  managerId?: string;
  direction?: Direction;
  result?: 'answered' | 'missed';
  outcome?: string;
  /** The queue report's drill-down (src/calls/queries.ts CallFilters.queue, queueResult). */
  queue?: string;
  queueResult?: 'answered' | 'abandoned' | 'timeout' | 'withinServiceLevel';
  /** One PBX's calls (GET /api/v1/pbxes): the report's own PBX filter. */
  pbx?: string;
}

/**
 * What each metric counts, as filters on the call log. Durations and ring times are sums or averages
 * over answered calls (an unanswered call talks 0 s and has no ring before answer); the answer rate is
 * over inbound calls. Callbacks are tasks, not calls: no drill-down.
 */
const METRIC_FILTERS: Record<Metric, Pick<CallQuery, 'direction' | 'result'> | null> = {
  calls: {},
  callsIn: { direction: 'inbound' },
  callsOut: { direction: 'outbound' },
  callsInternal: { direction: 'internal' },
  answered: { result: 'answered' },
  missed: { result: 'missed', direction: 'inbound' },
  answerRate: { direction: 'inbound' },
  talkSeconds: { result: 'answered' },
  avgTalkSeconds: { result: 'answered' },
  avgRingSeconds: { result: 'answered' },
  longestCallSeconds: { result: 'answered' },
  callbacksDue: null,
  callbacksOnTime: null,
};

const later = (a: string, b: string) => (Date.parse(a) >= Date.parse(b) ? a : b);
const earlier = (a: string, b: string) => (Date.parse(a) <= Date.parse(b) ? a : b);

/**
 * The call-log query behind a cell, or null when no calls stand behind it (callbacks, or a metric whose
 * direction contradicts the report's direction filter: such a cell is 0). `filters` are the report
 * request's own direction/extension filters.
 */
export function drillQuery(
  report: CallReport, scope: DrillScope, metric: DrillMetric, filters: { direction?: Direction | ''; extension?: string; pbx?: string } = {},
): CallQuery | null {
  const byMetric = metric.startsWith('outcome:') ? {} : METRIC_FILTERS[metric as Metric];
  if (!byMetric) return null;
  if (byMetric.direction && filters.direction && byMetric.direction !== filters.direction) return null;
  const q: CallQuery = { from: report.from, to: report.to, state: 'ended' };
  if (scope.kind === 'previous') {
    q.from = report.previous.from;
    q.to = report.previous.to;
  }
  if (scope.kind === 'row') {
    const r = scope.row;
    // A week or month row may stick out of the report's range: only the part inside it was counted.
    if (r.periodStart) q.from = later(r.periodStart, report.from);
    if (r.periodEnd) q.to = earlier(r.periodEnd, report.to);
    // A manager row is a phone and the user who had it (a phone handed over is two rows).
    if (report.groupBy.includes('manager')) {
      q.extension = r.extension ?? 'none';
      q.managerId = r.managerId ?? 'none';
    }
  }
  if (filters.extension && !q.extension) q.extension = filters.extension;
  if (filters.pbx) q.pbx = filters.pbx;
  const direction = byMetric.direction ?? (filters.direction || undefined);
  if (direction) q.direction = direction;
  if (byMetric.result) q.result = byMetric.result;
  if (metric.startsWith('outcome:')) q.outcome = metric.slice('outcome:'.length);
  return q;
}

/** The cell's number as the report gave it (outcome counts are plain numbers). */
export function cellValue(m: { metrics: Metrics; outcomes: Record<string, number> }, metric: DrillMetric): number | null {
  return metric.startsWith('outcome:') ? m.outcomes[metric.slice('outcome:'.length)] ?? 0 : m.metrics[metric as Metric].value;
}

/**
 * A previous period with no calls and no callbacks due is no base to compare with: the page says so
 * instead of painting every figure as a fall (issue 11, item 9).
 */
export function nothingToCompare(previous: Pick<ReportRow, 'metrics'>): boolean {
  return !previous.metrics.calls.value && !previous.metrics.callbacksDue.value;
}

/** Relative change from the previous period, or null when there is nothing to compare with. */
export function change(current: number | null, previous: number | null): number | null {
  if (current === null || previous === null || previous === 0) return null;
  return (current - previous) / previous;
}

/**
 * The talk-time chart's tick step in seconds: a clock-friendly step (5 s, 1 min, 15 min...) giving at
 * most `ticks` steps up to the largest value, so that 0:03 and 0:08 stand at different heights and the
 * axis reads as whole minutes and seconds.
 */
export function talkStep(maxSeconds: number, ticks = 6): number {
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 18000, 36000];
  for (const s of steps) if (maxSeconds / s <= ticks) return s;
  return Math.ceil(maxSeconds / ticks / 36000) * 36000;
}

/** A call-count axis never shows fractions: step 1 while the counts are small, Chart.js's own above. */
export function countStep(maxCount: number): number | undefined {
  return maxCount <= 10 ? 1 : undefined;
}
