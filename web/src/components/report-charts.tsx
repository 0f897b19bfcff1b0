// The report's two charts (Chart.js on a canvas): answered and missed calls, and talk time, per manager
// or per period; per manager over time as one line each. Bars and points take the colour of their KPI
// band (the same colours as the table, from the --band-* CSS variables) and a plain colour where the
// metric has no band.
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
        pointBackgroundColor: rows.map((r) => bandColor(metric === 'talk' ? r?.metrics.talkSeconds.band ?? null : r?.metrics[metric].band ?? null, fallback(i))),
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
  // Answered bars in their KPI band's colour; missed ones in one colour beside them, so the two stay apart.
  const banded = rows.some((r) => r.metrics.answered.band);
  const talkBanded = rows.some((r) => r.metrics.talkSeconds.band);
  return [
    { title: t('repChartCalls'), config: {
      type: 'bar',
      data: {
        labels,
        datasets: [
          {
            type: 'bar' as const, label: banded ? `${t('metric_answered')} (${t('repBandColours')})` : t('metric_answered'),
            data: rows.map((r) => r.metrics.answered.value ?? 0),
            backgroundColor: rows.map((r) => bandColor(r.metrics.answered.band, answered)),
          },
          { type: 'bar' as const, label: t('metric_missed'), data: rows.map((r) => r.metrics.missed.value ?? 0), backgroundColor: missed },
        ],
      },
      options: withLegend(callsOptions(maxOf(['answered', 'missed'])), [banded ? NEUTRAL : answered, missed]),
    } },
    { title: t('repChartTalk'), config: {
      type: 'bar',
      data: {
        labels,
        datasets: [{
          type: 'bar' as const, label: talkBanded ? `${t('repChartTalk')} (${t('repBandColours')})` : t('repChartTalk'), data: rows.map(seconds),
          backgroundColor: rows.map((r) => bandColor(r.metrics.talkSeconds.band, talk)),
        }],
      },
      options: withLegend(talkOptions, [talkBanded ? NEUTRAL : talk]),
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
