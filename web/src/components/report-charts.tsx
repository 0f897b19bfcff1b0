// The report's two charts (Chart.js on a canvas), drawn from report-charts-model.ts: each series one
// colour, which the legend reads from the series itself; KPI bands colour the table's cells.
import { useEffect, useMemo, useRef } from 'preact/hooks';
import type { Chart, ChartConfiguration } from 'chart.js';
import { chartConfigs, chartRows, DEFAULT_COLORS, type ChartColors } from '../report-charts-model.js';
import type { CallReport, ReportRow } from '../reports-model.js';

let chartLib: Promise<typeof import('./chart-lib.js')> | null = null;
const loadChartLib = () => (chartLib ??= import('./chart-lib.js').catch((e: unknown) => {
  chartLib = null;
  throw e;
}));

const css = (name: string, fallback: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
/** The series colours, from the stylesheet's custom properties (style.css), else the defaults. */
const colors = (): ChartColors => ({
  answered: css('--chart-answered', DEFAULT_COLORS.answered),
  missed: css('--chart-missed', DEFAULT_COLORS.missed),
  talk: css('--chart-talk', DEFAULT_COLORS.talk),
  palette: DEFAULT_COLORS.palette,
});
type Labeler = (row: ReportRow) => string;

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
  const [calls, talk] = useMemo(() => chartConfigs(report, managerLabel, periodLabel, colors(), Date.now()), [report]);
  if (chartRows(report, Date.now()).length === 0) return null;
  return (
    <div class="grid report-charts">
      <ChartCanvas config={calls.config} title={calls.title} testid="chart-calls" />
      <ChartCanvas config={talk.config} title={talk.title} testid="chart-talk" />
    </div>
  );
}
