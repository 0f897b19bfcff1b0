// The supervisors' calls report (GET /api/v1/reports/calls): a period with quick choices, a grouping and a
// direction; charts; a table whose cells carry their KPI band and open the calls behind the number (with
// their recordings); totals and the previous period; CSV of the table and of each list.
// A manager gets the shared "no access" notice (app.tsx; the API answers them 403 as well).
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { errorText } from '../app.js';
import { t, tKey, language } from '../i18n.js';
import { dayText, duration, periodText } from '../format.js';
import { DateInput } from '../components/date-input.js';
import { ScrollFrame } from '../components/scroll-frame.js';
import { CallsTable, outcomeLabel, useOutcomes } from '../components/calls-table.js';
import { CsvLink } from '../components/csv-link.js';
import { ReportCharts } from '../components/report-charts.js';
import {
  GROUPINGS, QUICK_PERIODS, cellValue, change, dayAfter, drillQuery, nothingToCompare, quickRange, todayIn,
  type CallQuery, type CallReport, type DrillMetric, type DrillScope, type Grouping, type Metric, type Metrics, type QuickPeriod, type ReportRow,
} from '../reports-model.js';
import type { Call, Direction, Page } from '../types.js';
import { QueueReportView } from './queue-report.js';
import { PbxSelect } from '../components/pbx-select.js';
import { personLabel, usePbxChoice, usePbxes, type PbxItem } from '../pbxes.js';

/** The table's metric columns, in order (callbacks get one column of their own: on time / due). */
const COLUMNS: Metric[] = [
  'calls', 'callsIn', 'callsOut', 'callsInternal', 'answered', 'missed', 'answerRate', 'talkSeconds', 'avgTalkSeconds',
  'avgRingSeconds', 'longestCallSeconds',
];
const SECONDS: Metric[] = ['talkSeconds', 'avgTalkSeconds', 'avgRingSeconds', 'longestCallSeconds'];
const DIRECTIONS = ['', 'inbound', 'outbound', 'internal'] as const;

function formatMetric(metric: Metric, v: number | null): string {
  if (v === null) return t('none');
  if (metric === 'answerRate') return `${Math.round(v * 1000) / 10}%`;
  if (SECONDS.includes(metric)) return duration(v);
  return String(v);
}

const periodLabel = periodText;
/** A row's manager as the cards and the pop name them: "Анна (101)", with several PBXs "Анна (101 · Казань)". */
const managerLabelIn = (pbxList: readonly PbxItem[]) => (r: ReportRow) =>
  r.extension === null ? t('repNoManager') : r.managerName ? personLabel(pbxList, { name: r.managerName, extension: r.extension, pbx: r.managerPbx }) : r.extension;

/** A local date (YYYY-MM-DD) of an instant in the report's zone; `end` for an exclusive end (the day before). */
function localDay(iso: string, tz: string, end = false): string {
  const ms = Date.parse(iso) - (end ? 1 : 0);
  try {
    return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(ms);
  } catch {
    return iso.slice(0, 10);
  }
}

export interface Drill {
  title: string;
  query: CallQuery;
  /** The cell's number when it is a count of calls (the list's length should match it). */
  count: number | null;
}

function Cell({ metric, m, onDrill, drillable }: { metric: Metric; m: Metrics; onDrill: () => void; drillable: boolean }) {
  const c = m[metric];
  const text = formatMetric(metric, c.value);
  return (
    <td class={c.band ? `num band band-${c.band}` : 'num'} data-testid="report-cell" data-metric={metric} data-band={c.band ?? undefined} data-value={c.value ?? ''}>
      {drillable && c.value ? <button class="cell-link" onClick={onDrill}>{text}</button> : text}
    </td>
  );
}

/** Where a rise is bad news: painted as a fall in what a supervisor wants (issue 11, item 9). */
const LOWER_IS_BETTER = new Set(['missed', 'avgRingSeconds']);

function ChangeCell({ now, before, metric }: { now: number | null; before: number | null; metric: string }) {
  const d = change(now, before);
  // Nothing to compare with (no calls then): no arrow, no colour, and it says so.
  if (d === null) return <td class="num muted" data-metric={metric} title={t('repNoCompare')}>{t('none')}</td>;
  const pct = Math.round(d * 1000) / 10;
  const better = LOWER_IS_BETTER.has(metric) ? pct < 0 : pct > 0;
  const tone = pct === 0 ? '' : better ? 'better' : 'worse';
  return <td class={`num ${tone}`} data-metric={metric} data-change={tone || 'same'}>{pct > 0 ? '▲ +' : pct < 0 ? '▼ ' : ''}{pct}%</td>;
}

export function DrillPanel({ drill, onClose }: { drill: Drill; onClose: () => void }) {
  const [calls, setCalls] = useState<Call[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const q = drill.query as unknown as Record<string, string>;

  async function load(cursor: string | null) {
    try {
      const r = await api.get<Page<Call>>('/api/v1/calls', { ...q, limit: 50, cursor });
      setCalls((prev) => (cursor && prev ? [...prev, ...r.items] : r.items));
      setNext(r.nextCursor);
      setError(null);
    } catch (e) {
      setError(errorText(e));
    }
  }
  useEffect(() => {
    setCalls(null);
    void load(null);
    document.getElementById('drill')?.scrollIntoView({ block: 'start' });
  }, [drill]);

  return (
    <article id="drill" class="drill" data-testid="drill">
      <header class="drill-head">
        <strong data-testid="drill-title">{drill.title}</strong>
        <span class="drill-actions">
          {calls && drill.count !== null && (
            <small class="muted" data-testid="drill-count">{t('repCallsShown', { shown: calls.length, total: drill.count })}</small>
          )}
          <CsvLink path="/api/v1/calls" query={q} filename="calls.csv" testid="drill-csv" />
          <button class="secondary outline small" data-testid="drill-close" onClick={onClose}>{t('close')}</button>
        </span>
      </header>
      {error && <p class="notice error" role="alert">{error}</p>}
      {calls === null ? <p aria-busy="true">{t('loading')}</p> : <CallsTable calls={calls} />}
      {next && <button class="secondary" onClick={() => void load(next)}>{t('more')}</button>}
    </article>
  );
}

/** The report's tabs: the calls report and the queue report (#/reports, #/reports/queues). */
export const REPORT_TABS = ['calls', 'queues'] as const;

export function ReportsPage({ tab }: { tab?: string }) {
  const current = tab === 'queues' ? 'queues' : 'calls';
  return (
    <>
      <nav class="report-tabs" aria-label={t('reportsTitle')}>
        <ul>
          {REPORT_TABS.map((k) => (
            <li key={k}>
              <a href={k === 'calls' ? '#/reports' : `#/reports/${k}`} data-testid={`report-tab-${k}`} aria-current={k === current ? 'page' : undefined}>{tKey('repTab_', k)}</a>
            </li>
          ))}
        </ul>
      </nav>
      {current === 'queues' ? <QueueReportView /> : <Report />}
    </>
  );
}

/**
 * The period last chosen on either tab: switching between the calls and the queue report keeps it
 * (null: this month, in the company's zone once the first report says which it is).
 */
export const chosenPeriod: { value: { from: string; to: string } | null } = { value: null };

function Report() {
  const hadChoice = chosenPeriod.value !== null;
  const initial = chosenPeriod.value ?? quickRange('thisMonth', todayIn(undefined));
  const [from, setFrom] = useState(initial.from);
  const [to, setTo] = useState(initial.to);
  useEffect(() => { chosenPeriod.value = from && to ? { from, to } : chosenPeriod.value; }, [from, to]);
  const [grouping, setGrouping] = useState<Grouping>('manager');
  const [direction, setDirection] = useState<Direction | ''>('');
  // '': every PBX's calls (the selector shows only with two or more PBXs).
  const [pbx, setPbx] = usePbxChoice('reports');
  const pbxList = usePbxes();
  const managerLabel = managerLabelIn(pbxList);
  const [report, setReport] = useState<CallReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [drill, setDrill] = useState<Drill | null>(null);
  const outcomeList = useOutcomes();

  const query = { from, to: to ? dayAfter(to) : '', groupBy: grouping, direction, pbx };
  useEffect(() => {
    if (!from || !to) return;
    setDrill(null);
    api.get<CallReport>('/api/v1/reports/calls', query)
      .then((r) => { setReport(r); setError(null); })
      .catch((e) => { setReport(null); setError(errorText(e)); });
  }, [from, to, grouping, direction, pbx]);

  // The first range is the browser's month; the report says the company's zone, whose month may differ
  // (the evening of the 31st in New York is already the 1st in Moscow): follow it once.
  const settled = useRef(hadChoice);
  useEffect(() => {
    if (!report || settled.current) return;
    settled.current = true;
    const r = quickRange('thisMonth', todayIn(report.timeZone));
    if (r.from !== from || r.to !== to) {
      setFrom(r.from);
      setTo(r.to);
    }
  }, [report]);

  function quick(p: QuickPeriod) {
    const r = quickRange(p, todayIn(report?.timeZone));
    setFrom(r.from);
    setTo(r.to);
  }

  const outcomeIds = report
    ? [...new Set([...outcomeList.map((o) => o.id), ...[report.totals, report.previous, ...report.rows].flatMap((r) => Object.keys(r.outcomes))])]
    : [];
  const byManager = report?.groupBy.includes('manager') ?? false;
  const byPeriod = report?.groupBy.some((k) => k !== 'manager') ?? false;
  const noPrevious = report ? nothingToCompare(report.previous) : false;

  function open(scope: DrillScope, metric: DrillMetric, cells: { metrics: Metrics; outcomes: Record<string, number> }) {
    if (!report) return;
    const q = drillQuery(report, scope, metric, { direction, pbx: pbx || undefined });
    if (!q) return;
    const what = metric.startsWith('outcome:') ? outcomeLabel(outcomeList, metric.slice(8)) : tKey('metric_', metric);
    const where = scope.kind === 'row'
      ? [byManager ? managerLabel(scope.row) : '', scope.row.period ? periodLabel(scope.row.period) : ''].filter(Boolean).join(', ') || t('repTotal')
      : scope.kind === 'total' ? t('repTotal') : t('repPrevious');
    const isCount = metric.startsWith('outcome:') || ['calls', 'callsIn', 'callsOut', 'callsInternal', 'answered', 'missed'].includes(metric);
    setDrill({ title: t('repDrillTitle', { what, scope: where }), query: q, count: isCount ? cellValue(cells, metric) : null });
  }

  const cells = (scope: DrillScope, m: { metrics: Metrics; outcomes: Record<string, number> }) => (
    <>
      {COLUMNS.map((metric) => <Cell key={metric} metric={metric} m={m.metrics} drillable onDrill={() => open(scope, metric, m)} />)}
      <td class="num" data-testid="report-cell" data-metric="callbacksOnTime" title={t('repNotCalls')}>
        {m.metrics.callbacksDue.value ? `${m.metrics.callbacksOnTime.value ?? 0} / ${m.metrics.callbacksDue.value}` : t('none')}
      </td>
      {outcomeIds.map((id) => {
        const n = m.outcomes[id] ?? 0;
        return (
          <td key={id} class="num" data-testid="report-cell" data-metric={`outcome:${id}`} data-value={n}>
            {n ? <button class="cell-link" onClick={() => open(scope, `outcome:${id}`, m)}>{n}</button> : 0}
          </td>
        );
      })}
    </>
  );
  const lead = (label: string) => (
    <>
      <th scope="row" colSpan={(byManager ? 1 : 0) + (byPeriod ? 1 : 0) || 1}>{label}</th>
    </>
  );

  return (
    <section class="report" data-testid="report-page">
      <h2>{t('reportsTitle')}</h2>
      <div class="report-filters">
        <div class="quick" role="group">
          {QUICK_PERIODS.map((p) => (
            <button key={p} class="secondary outline small" data-testid={`quick-${p}`} onClick={() => quick(p)}>{tKey('quick_', p)}</button>
          ))}
        </div>
        <div class="grid filters">
          <label>
            {t('repFrom')}
            <DateInput testid="report-from" value={from} max={to} onChange={setFrom} />
          </label>
          <label>
            {t('repTo')}
            <DateInput testid="report-to" value={to} min={from} onChange={setTo} />
          </label>
          <label>
            {t('repGroupBy')}
            <select data-testid="report-group" value={grouping} onChange={(e) => setGrouping(e.currentTarget.value as Grouping)}>
              {GROUPINGS.map((g) => <option key={g} value={g}>{tKey('group_', g.replace(',', '_'))}</option>)}
            </select>
          </label>
          <label>
            {t('direction')}
            <select data-testid="report-direction" value={direction} onChange={(e) => setDirection(e.currentTarget.value as Direction | '')}>
              {DIRECTIONS.map((d) => <option key={d} value={d}>{d ? tKey('direction_', d) : t('direction_any')}</option>)}
            </select>
          </label>
          <PbxSelect list={pbxList} value={pbx} onChange={setPbx} all testid="report-pbx" />
        </div>
      </div>
      {error && <p class="notice error" role="alert">{error}</p>}
      {!report && !error && <p aria-busy="true">{t('loading')}</p>}
      {report && (
        <>
          <p class="muted" data-testid="report-compared">
            {localDay(report.previous.from, report.timeZone) === localDay(report.previous.to, report.timeZone, true)
              ? t('repComparedWithDay', { day: dayText(localDay(report.previous.from, report.timeZone)), tz: report.timeZone })
              : t('repComparedWith', {
                from: dayText(localDay(report.previous.from, report.timeZone)), to: dayText(localDay(report.previous.to, report.timeZone, true)), tz: report.timeZone,
              })}
            {' '}{t('repDrillHint')}
          </p>
          <ReportCharts key={`${language()}-${pbxList.length}-${report.from}-${report.to}-${report.groupBy.join()}`} report={report} managerLabel={managerLabel} periodLabel={periodLabel} />
          <div class="table-actions">
            <CsvLink path="/api/v1/reports/calls" query={query} filename="calls-report.csv" testid="report-csv" />
          </div>
          <ScrollFrame testid="report-scroll">
            <table class="striped report-table" data-testid="report-table">
              <thead>
                <tr>
                  {byManager && <th>{t('repManager')}</th>}
                  {byPeriod && <th>{t('repPeriod')}</th>}
                  {!byManager && !byPeriod && <th />}
                  {COLUMNS.map((m) => <th key={m} class="num">{tKey('metric_', m)}</th>)}
                  <th class="num">{t('metric_callbacksOnTime')}</th>
                  {outcomeIds.map((id) => <th key={id} class="num">{outcomeLabel(outcomeList, id)}</th>)}
                </tr>
              </thead>
              <tbody>
                {report.rows.length === 0 && (
                  <tr><td colSpan={COLUMNS.length + outcomeIds.length + 3} class="muted">{t('repNoRows')}</td></tr>
                )}
                {report.rows.map((r) => (
                  <tr key={`${r.extension}|${r.managerId}|${r.period}`} data-testid="report-row" data-extension={r.extension ?? 'none'} data-period={r.period ?? ''}>
                    {byManager && <th scope="row">{managerLabel(r)}</th>}
                    {byPeriod && <td>{r.period ? periodLabel(r.period) : ''}</td>}
                    {!byManager && !byPeriod && <th scope="row">{t('repTotal')}</th>}
                    {cells({ kind: 'row', row: r }, r)}
                  </tr>
                ))}
              </tbody>
              <tfoot>
                <tr data-testid="report-totals">
                  {lead(t('repTotal'))}
                  {cells({ kind: 'total' }, report.totals)}
                </tr>
                <tr data-testid="report-previous">
                  {lead(t('repPrevious'))}
                  {cells({ kind: 'previous' }, report.previous)}
                </tr>
                <tr data-testid="report-change" class="change">
                  {lead(t('repChange'))}
                  {noPrevious ? (
                    // A period with no calls before is no fall: one cell that says there is nothing to compare with.
                    <td class="muted no-previous" data-testid="report-no-previous" colSpan={COLUMNS.length + outcomeIds.length + 1}><span class="sticky-note">{t('repNoPrevious')}</span></td>
                  ) : (
                    <>
                      {COLUMNS.map((m) => <ChangeCell key={m} metric={m} now={report.totals.metrics[m].value} before={report.previous.metrics[m].value} />)}
                      <ChangeCell metric="callbacksOnTime" now={report.totals.metrics.callbacksOnTime.value} before={report.previous.metrics.callbacksOnTime.value} />
                      {outcomeIds.map((id) => <ChangeCell key={id} metric={`outcome:${id}`} now={report.totals.outcomes[id] ?? 0} before={report.previous.outcomes[id] ?? 0} />)}
                    </>
                  )}
                </tr>
              </tfoot>
            </table>
          </ScrollFrame>
          <p class="muted" data-testid="report-kpi-legend"><small>{t('repKpiLegend')}</small></p>
          {drill && <DrillPanel drill={drill} onClose={() => setDrill(null)} />}
        </>
      )}
    </section>
  );
}
