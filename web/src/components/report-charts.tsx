// The report's two charts (Chart.js on a canvas): answered and missed calls, and talk time, per manager
// or per period; per manager over time as one line each. Each dataset has one colour, and the legend
// shows exactly that colour; KPI bands colour the table's cells.
import { useEffect, useMemo, useRef } from 'preact/hooks';
import type { Chart, ChartConfiguration } from 'chart.js';
import { duration } from '../format.js';
import { t } from '../i18n.js';
import { countStep, fillPeriods, talkStep, type Band, type CallReport, type Metric, type ReportRow } from '../reports-model.js';

let chartLib: Promise<typeof import('./chart-lib.js')> | null = null;
const loadChartLib = () => (chartLib ??= import('./chart-lib.js').catch((e: unknown) => {
  chartLib = null;
  throw e;
}));

const css = (name: string, fallback: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
const bandColor = (band: Band | null, fallback: string) => (band ? css(`--band-${band}`, fallback) : fallback);
/** Lines of managers over time: told apart by colour, their points coloured by band. */
const PALETTE = ['#1c7ed6', '#ae3ec9', '#0ca678', '#f76707', '#495057', '#d6336c', '#3b5bdb', '#74b816'];

type Labeler = (row: ReportRow) => string;
const NEUTRAL = '#adb5bd';

/**
 * Chart.js paints a legend box in the colour of a dataset's first bar; with a colour per bar (its band)
 * that would tell nothing. The legend gets one colour per dataset instead (neutral for banded bars).
 */
function withLegend<T extends { plugins?: object }>(options: T, colors: string[]) {
  return {
    ...options,
    plugins: {
      ...options.plugins,
      legend: {
        position: 'bottom' as const,
        labels: {
          generateLabels: (chart: Chart) => chart.data.datasets.map((ds, i) => ({
            text: String(ds.label ?? ''), fillStyle: colors[i], strokeStyle: colors[i], lineWidth: 0, hidden: !chart.isDatasetVisible(i), datasetIndex: i,
          })),
        },
      },
    },
  };
}

interface Drawn {
  config: ChartConfiguration;
  title: string;
}

function configs(report: CallReport, managerLabel: Labeler, periodLabel: (p: string) => string): [Drawn, Drawn] {
  const byManager = report.groupBy.includes('manager');
  const byPeriod = report.groupBy.some((k) => k !== 'manager');
  const answered = css('--chart-answered', '#2f9e44');
  const missed = css('--chart-missed', '#7048e8');
  const talk = css('--chart-talk', '#1c7ed6');
  const common = {
    responsive: true,
    maintainAspectRatio: false,
    animation: false as const, // drawn at once: a report is read, not watched
    scales: { y: { beginAtZero: true } },
    plugins: { legend: { position: 'bottom' as const } },
  };
  // Talk time in seconds, unrounded, on an axis and in tooltips written as m:ss (h:mm:ss).
  const seconds = (r: ReportRow | undefined) => r?.metrics.talkSeconds.value ?? 0;
  const talkOptions = {
    ...common,
    scales: { y: { beginAtZero: true, ticks: { stepSize: talkStep(Math.max(0, ...report.rows.map(seconds))), callback: (v: number | string) => duration(Number(v)) } } },
    plugins: {
      ...common.plugins,
      tooltip: { callbacks: { label: (c: { dataset: { label?: string }; parsed: { y: number | null } }) => `${c.dataset.label ?? ''}: ${duration(c.parsed.y ?? 0)}` } },
    },
  };
  // Call counts: whole-number ticks.
  const callsOptions = (max: number) => ({ ...common, scales: { y: { beginAtZero: true, ticks: { precision: 0, stepSize: countStep(max) } } } });
  const maxOf = (metrics: Metric[]) => Math.max(0, ...report.rows.flatMap((r) => metrics.map((m) => r.metrics[m].value ?? 0)));

  const periods = byPeriod ? fillPeriods(report.rows.map((r) => r.period ?? '')) : [];
  // Lines need two periods at least; one period per manager reads better as bars.
  if (byManager && byPeriod && periods.length > 1) {
    const managers = [...new Set(report.rows.map((r) => r.extension))];
    const line = (metric: Metric | 'talk', fallback: (i: number) => string) => managers.map((ext, i) => {
      const rows = periods.map((p) => report.rows.find((r) => r.extension === ext && r.period === p));
      const first = rows.find(Boolean)!;
      return {
        type: 'line' as const,
        label: managerLabel(first),
        data: rows.map((r) => (metric === 'talk' ? seconds(r) : r?.metrics[metric].value ?? 0)),
        borderColor: fallback(i),
        backgroundColor: fallback(i),
        pointRadius: 5,
        pointBackgroundColor: fallback(i),
      };
    });
    const labels = periods.map(periodLabel);
    // Answered only: a missed line per manager too would double the legend.
    return [
      { config: { type: 'line', data: { labels, datasets: line('answered', (i) => PALETTE[i % PALETTE.length]!) }, options: callsOptions(maxOf(['answered'])) }, title: t('metric_answered') },
      { config: { type: 'line', data: { labels, datasets: line('talk', (i) => PALETTE[i % PALETTE.length]!) }, options: talkOptions }, title: t('repChartTalk') },
    ];
  }

  const rows = report.rows;
  const labels = rows.map((r) => [byManager ? managerLabel(r) : '', r.period ? periodLabel(r.period) : ''].filter(Boolean).join(' ') || t('repTotal'));
  // One colour per dataset, the legend's: the KPI bands are in the table (a bar per band colour would
  // need a legend per band, and counts are not banded by default).
  return [
    { title: t('repChartCalls'), config: {
      type: 'bar',
      data: {
        labels,
        datasets: [
          {
            type: 'bar' as const, label: t('metric_answered'),
            data: rows.map((r) => r.metrics.answered.value ?? 0),
            backgroundColor: answered,
          },
          { type: 'bar' as const, label: t('metric_missed'), data: rows.map((r) => r.metrics.missed.value ?? 0), backgroundColor: missed },
        ],
      },
      options: withLegend(callsOptions(maxOf(['answered', 'missed'])), [answered, missed]),
    } },
    { title: t('repChartTalk'), config: {
      type: 'bar',
      data: {
        labels,
        datasets: [{
          type: 'bar' as const, label: t('repChartTalk'), data: rows.map(seconds),
          backgroundColor: talk,
        }],
      },
      options: withLegend(talkOptions, [talk]),
    } },
  ];
}

function ChartCanvas({ config, title, testid }: { config: ChartConfiguration; title: string; testid: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    let chart: Chart | null = null;
    let gone = false;
    void loadChartLib().then((lib) => {
      if (!gone && ref.current) chart = new lib.Chart(ref.current, config);
    });
    return () => {
      gone = true;
      chart?.destroy();
    };
  }, [config]);
  return (
    <figure class="report-chart">
      <figcaption>{title}</figcaption>
      <div class="chart-box">
        <canvas ref={ref} data-testid={testid} role="img" aria-label={title} />
      </div>
    </figure>
  );
}

export function ReportCharts({ report, managerLabel, periodLabel }: { report: CallReport; managerLabel: Labeler; periodLabel: (p: string) => string }) {
  const [calls, talk] = useMemo(() => configs(report, managerLabel, periodLabel), [report]);
  if (report.rows.length === 0) return null;
  return (
    <div class="grid report-charts">
      <ChartCanvas config={calls.config} title={calls.title} testid="chart-calls" />
      <ChartCanvas config={talk.config} title={talk.title} testid="chart-talk" />
    </div>
  );
}
