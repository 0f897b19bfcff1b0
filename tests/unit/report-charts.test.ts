// The report's charts (web/src/report-charts-model.ts): every series has one colour, set on its dataset,
// and the legend shows exactly that colour (issue 11, item 9); no chart point lies after now (item 10).
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { CallReport, Metrics, ReportRow } from '../../web/src/reports-model.js';

type Model = typeof import('../../web/src/report-charts-model.js');
let model: Model;

beforeAll(async () => {
  // i18n.ts reads the browser's language when loaded.
  vi.stubGlobal('navigator', { language: 'en' });
  vi.stubGlobal('document', { documentElement: {} });
  model = await import('../../web/src/report-charts-model.js');
});

const metrics = (answered: number, missed: number, talk: number): Metrics => {
  const m = {} as Metrics;
  for (const k of ['calls', 'callsIn', 'callsOut', 'callsInternal', 'answerRate', 'avgTalkSeconds', 'avgRingSeconds', 'longestCallSeconds', 'callbacksDue', 'callbacksOnTime'] as const) m[k] = { value: 0, band: null };
  m.answered = { value: answered, band: answered > 1 ? 'green' : 'red' };
  m.missed = { value: missed, band: null };
  m.talkSeconds = { value: talk, band: null };
  return m;
};
const HOUR = 3_600_000;
/** Today from 09:00 UTC (a fake "now" at 12:30), hourly rows; `start` in hours after 09:00. */
const T9 = Date.parse('2026-11-20T09:00:00Z');
const row = (ext: string, start: number, answered: number, missed = 0): ReportRow => ({
  extension: ext, managerId: `u${ext}`, managerName: `m${ext}`, managerPbx: 'main',
  period: new Date(T9 + start * HOUR).toISOString().slice(0, 13) + ':00', periodStart: new Date(T9 + start * HOUR).toISOString(), periodEnd: new Date(T9 + (start + 1) * HOUR).toISOString(),
  metrics: metrics(answered, missed, answered * 30), outcomes: {},
});
const report = (groupBy: string[], rows: ReportRow[]): CallReport => ({
  from: '2026-11-20T00:00:00.000Z', to: '2026-11-21T00:00:00.000Z', timeZone: 'UTC', groupBy, source: 'calls', rows,
  totals: { metrics: metrics(0, 0, 0), outcomes: {} }, previous: { from: '', to: '', metrics: metrics(0, 0, 0), outcomes: {} },
});
const NOW = T9 + 3.5 * HOUR;
const label = (r: ReportRow) => r.managerName ?? '';
type DS = { type?: 'bar' | 'line'; label?: string; backgroundColor?: unknown; borderColor?: unknown; pointBackgroundColor?: unknown };

function check(datasets: DS[], colors: string[]) {
  const legend = model.legendItems(datasets as never);
  expect(legend.map((l) => l.fillStyle)).toEqual(colors);
  for (const [i, ds] of datasets.entries()) {
    // One colour a series, a plain colour (not one per bar): what the legend shows is what is drawn.
    expect(ds.backgroundColor).toBe(colors[i]);
    expect(ds.borderColor).toBe(colors[i]);
    if (ds.type === 'line') expect(ds.pointBackgroundColor).toBe(colors[i]);
    expect(legend[i]).toMatchObject({ text: ds.label, fillStyle: colors[i], strokeStyle: colors[i] });
  }
}

describe('report charts', () => {
  const colors = { answered: '#00aa00', missed: '#5500ff', talk: '#0000ee', palette: ['#111111', '#222222', '#333333'] };

  it('bars per manager: the legend box of each series is the colour of its bars, whatever their KPI band', () => {
    const [calls, talk] = model.chartConfigs(report(['manager'], [row('101', 0, 4, 1), row('102', 0, 1, 3)].map((r) => ({ ...r, period: null, periodStart: null, periodEnd: null }))), label, (p) => p, colors, NOW);
    check(calls.config.data.datasets as DS[], [colors.answered, colors.missed]);
    check(talk.config.data.datasets as DS[], [colors.talk]);
    expect(calls.config.data.labels).toEqual(['m101', 'm102']);
  });

  it('lines per manager over hours: the legend of each line is its colour; the legend generator reads the datasets', () => {
    const [calls, talk] = model.chartConfigs(report(['manager', 'hour'], [row('101', 0, 2), row('101', 2, 1), row('102', 1, 3)]), label, (p) => p, colors, NOW);
    check(calls.config.data.datasets as DS[], ['#111111', '#222222']);
    check(talk.config.data.datasets as DS[], ['#111111', '#222222']);
    // What Chart.js calls to draw the legend gives the same boxes.
    const gen = (calls.config.options as { plugins: { legend: { labels: { generateLabels: (c: unknown) => { fillStyle: string; hidden: boolean }[] } } } }).plugins.legend.labels.generateLabels;
    const drawn = gen({ data: calls.config.data, isDatasetVisible: (i: number) => i === 0 });
    expect(drawn.map((l) => [l.fillStyle, l.hidden])).toEqual([['#111111', false], ['#222222', true]]);
  });

  it('no point after now: an hour that has not begun is not on the axis, the hours between are', () => {
    // 13:00 starts after "now" (12:30): a row there (a callback done early, counted in its due hour) is left off.
    const r = report(['manager', 'hour'], [row('101', 0, 2), row('101', 2, 1), row('101', 4, 0)]);
    const [calls] = model.chartConfigs(r, label, (p) => p, colors, NOW);
    expect(calls.config.data.labels).toEqual(['2026-11-20T09:00', '2026-11-20T10:00', '2026-11-20T11:00']);
    expect(model.chartRows(r, NOW)).toHaveLength(2);
    // The hour in progress is drawn.
    expect(model.chartRows(r, T9 + 2 * HOUR + 1).map((x) => x.period)).toEqual(['2026-11-20T09:00', '2026-11-20T11:00']);
  });
});

describe('report chart labels', () => {
  it('managers in one period: bars named by manager only (the period is the same for all)', async () => {
    const colors = model.DEFAULT_COLORS;
    const [calls] = model.chartConfigs(report(['manager', 'hour'], [row('101', 0, 2), row('102', 0, 1)]), label, (p) => `P${p}`, colors, NOW);
    expect(calls.config.data.labels).toEqual(['m101', 'm102']);
    const [byHour] = model.chartConfigs(report(['hour'], [row('101', 0, 2), row('101', 1, 1)].map((r) => ({ ...r, extension: null }))), label, (p) => `P${p}`, colors, NOW);
    expect(byHour.config.data.labels).toEqual(['P2026-11-20T09:00', 'P2026-11-20T10:00']);
  });
});
