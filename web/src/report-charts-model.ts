// What the report's two charts draw, without the DOM (Chart.js configurations as plain data): answered
// and missed calls and talk time, per manager or per period, or one line per manager over time. Each
// series has one colour, set once on its dataset; the legend reads it from there (legendItems), so the
// legend's box and the bars or line can never differ (issue 11, item 9). Axes stop at now: a period that
// has not begun is not drawn (a callback done early is counted in its due period, which may be ahead).
// Pure, so tests/unit/report-charts.test.ts checks it.
import type { ChartConfiguration, ChartDataset } from 'chart.js';
import { duration } from './format.js';
import { t } from './i18n.js';
import { countStep, fillPeriods, talkStep, type CallReport, type Metric, type ReportRow } from './reports-model.js';

export interface ChartColors {
  answered: string;
  missed: string;
  talk: string;
  /** Lines of managers over time, told apart by colour. */
  palette: readonly string[];
}

export const DEFAULT_COLORS: ChartColors = {
  answered: '#2f9e44',
  missed: '#7048e8',
  talk: '#1c7ed6',
  palette: ['#1c7ed6', '#ae3ec9', '#0ca678', '#f76707', '#495057', '#d6336c', '#3b5bdb', '#74b816'],
};

export interface Drawn {
  config: ChartConfiguration;
  title: string;
}

type Labeler = (row: ReportRow) => string;

/** A series' one colour: its line's for a line, its bars' for bars (both are set from it). */
export function seriesColor(ds: Pick<ChartDataset, 'type'> & { borderColor?: unknown; backgroundColor?: unknown }): string {
  const c = ds.type === 'line' ? ds.borderColor : ds.backgroundColor;
  return typeof c === 'string' ? c : '';
}

/** The legend: one box a series, in the series' own colour. */
export function legendItems(datasets: readonly (Pick<ChartDataset, 'type' | 'label'> & { borderColor?: unknown; backgroundColor?: unknown })[], visible: (i: number) => boolean = () => true) {
  return datasets.map((ds, i) => {
    const color = seriesColor(ds);
    return { text: String(ds.label ?? ''), fillStyle: color, strokeStyle: color, lineWidth: 0, hidden: !visible(i), datasetIndex: i };
  });
}

/** A bar series: one colour for every bar (KPI bands colour the table's cells, not the chart). */
function bars(label: string, data: number[], color: string) {
  return { type: 'bar' as const, label, data, backgroundColor: color, borderColor: color };
}

function line(label: string, data: number[], color: string) {
  return { type: 'line' as const, label, data, borderColor: color, backgroundColor: color, pointBackgroundColor: color, pointBorderColor: color, pointRadius: 5 };
}

/** The rows a chart draws: none whose period begins after now (ms). */
export function chartRows(report: CallReport, now: number): ReportRow[] {
  return report.rows.filter((r) => !r.periodStart || Date.parse(r.periodStart) <= now);
}

export function chartConfigs(report: CallReport, managerLabel: Labeler, periodLabel: (p: string) => string, colors: ChartColors, now: number): [Drawn, Drawn] {
  const byManager = report.groupBy.includes('manager');
  const byPeriod = report.groupBy.some((k) => k !== 'manager');
  const rows = chartRows(report, now);
  const legend = {
    position: 'bottom' as const,
    labels: { generateLabels: (chart: { data: { datasets: ChartDataset[] }; isDatasetVisible: (i: number) => boolean }) => legendItems(chart.data.datasets, (i) => chart.isDatasetVisible(i)) },
  };
  const common = {
    responsive: true,
    maintainAspectRatio: false,
    animation: false as const, // drawn at once: a report is read, not watched
    plugins: { legend },
  };
  // Talk time in seconds, unrounded, on an axis and in tooltips written as m:ss (h:mm:ss).
  const seconds = (r: ReportRow | undefined) => r?.metrics.talkSeconds.value ?? 0;
  const talkOptions = {
    ...common,
    scales: { y: { beginAtZero: true, ticks: { stepSize: talkStep(Math.max(0, ...rows.map(seconds))), callback: (v: number | string) => duration(Number(v)) } } },
    plugins: {
      ...common.plugins,
      tooltip: { callbacks: { label: (c: { dataset: { label?: string }; parsed: { y: number | null } }) => `${c.dataset.label ?? ''}: ${duration(c.parsed.y ?? 0)}` } },
    },
  };
  // Call counts: whole-number ticks.
  const callsOptions = (max: number) => ({ ...common, scales: { y: { beginAtZero: true, ticks: { precision: 0, stepSize: countStep(max) } } } });
  const maxOf = (metrics: Metric[]) => Math.max(0, ...rows.flatMap((r) => metrics.map((m) => r.metrics[m].value ?? 0)));

  const periods = byPeriod ? fillPeriods(rows.map((r) => r.period ?? '')) : [];
  // Lines need two periods at least; one period per manager reads better as bars.
  if (byManager && byPeriod && periods.length > 1) {
    // A line per phone and the user who had it: extension 101 of two PBXs is two managers (a phone
    // handed over mid-period, two rows too).
    const who = (r: ReportRow) => `${r.extension ?? ''}|${r.managerId ?? ''}`;
    const managers = [...new Set(rows.map(who))];
    const lines = (value: (r: ReportRow | undefined) => number) => managers.map((key, i) => {
      const mine = periods.map((p) => rows.find((r) => who(r) === key && r.period === p));
      return line(managerLabel(mine.find(Boolean)!), mine.map(value), colors.palette[i % colors.palette.length]!);
    });
    const labels = periods.map(periodLabel);
    // Answered only: a missed line per manager too would double the legend.
    return [
      { config: { type: 'line', data: { labels, datasets: lines((r) => r?.metrics.answered.value ?? 0) }, options: callsOptions(maxOf(['answered'])) }, title: t('metric_answered') },
      { config: { type: 'line', data: { labels, datasets: lines(seconds) }, options: talkOptions }, title: t('repChartTalk') },
    ];
  }

  // Managers in one period (today's one hour so far): the period is the same under every bar, said once by the table.
  const onePeriod = byManager && periods.length === 1;
  const labels = rows.map((r) => [byManager ? managerLabel(r) : '', r.period && !onePeriod ? periodLabel(r.period) : ''].filter(Boolean).join(' ') || t('repTotal'));
  return [
    { title: t('repChartCalls'), config: {
      type: 'bar',
      data: {
        labels,
        datasets: [
          bars(t('metric_answered'), rows.map((r) => r.metrics.answered.value ?? 0), colors.answered),
          bars(t('metric_missed'), rows.map((r) => r.metrics.missed.value ?? 0), colors.missed),
        ],
      },
      options: callsOptions(maxOf(['answered', 'missed'])),
    } },
    { title: t('repChartTalk'), config: {
      type: 'bar',
      data: { labels, datasets: [bars(t('repChartTalk'), rows.map(seconds), colors.talk)] },
      options: talkOptions,
    } },
  ];
}
