// The supervisors' queue report (GET /api/v1/reports/queues), the second tab of the reports page: per
// queue, calls offered and how they left it, the share answered within the queue's target (an admin
// changes the target right in the table: PUT /api/v1/queues/:queue/settings), and the waits. Every count
// opens its calls (GET /api/v1/calls?queue=&queueResult=), as the calls report's cells do.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { errorText, useUser } from '../app.js';
import { t } from '../i18n.js';
import { duration } from '../format.js';
import { DateInput } from '../components/date-input.js';
import { CsvLink } from '../components/csv-link.js';
import { ScrollFrame } from '../components/scroll-frame.js';
import { QUICK_PERIODS, dayAfter, quickRange, todayIn, type CallQuery, type QuickPeriod } from '../reports-model.js';
import { tKey } from '../i18n.js';
import { chosenPeriod, DrillPanel, type Drill } from './reports.js';

interface QueueStats {
  offered: number;
  answered: number;
  abandoned: number;
  timeout: number;
  answeredWithinSl: number;
  serviceLevel: number | null;
  abandonRate: number | null;
  avgWaitSeconds: number | null;
  longestWaitSeconds: number | null;
}
interface QueueRow extends QueueStats {
  queue: string;
  serviceLevelSeconds: number;
}
interface QueueReport {
  from: string;
  to: string;
  timeZone: string;
  defaultServiceLevelSeconds: number;
  rows: QueueRow[];
  totals: QueueStats;
}

/** The count columns: each opens its calls with this queueResult (offered: all of them). */
const COUNTS = [
  ['offered', 'qOffered', undefined],
  ['answered', 'qAnswered', 'answered'],
  ['abandoned', 'qAbandoned', 'abandoned'],
  ['timeout', 'qTimeout', 'timeout'],
  ['answeredWithinSl', 'qWithinSl', 'withinServiceLevel'],
] as const;

const pct = (v: number | null) => (v === null ? t('none') : `${Math.round(v * 1000) / 10}%`);

function ServiceLevelCell({ row, admin, onSaved }: { row: QueueRow; admin: boolean; onSaved: () => void }) {
  const [editing, setEditing] = useState(false);
  const [value, setValue] = useState(String(row.serviceLevelSeconds));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function save(e: Event) {
    e.preventDefault();
    setBusy(true);
    try {
      await api.put(`/api/v1/queues/${encodeURIComponent(row.queue)}/settings`, { serviceLevelSeconds: Number(value) });
      setEditing(false);
      setError(null);
      onSaved();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }
  if (!editing) {
    return (
      <td class="num" data-testid="queue-sl" data-value={row.serviceLevelSeconds} title={t('qServiceLevelSecondsTitle')}>
        {t('qSeconds', { n: row.serviceLevelSeconds })}
        {admin && (
          <button type="button" class="link-button" data-testid="queue-sl-edit" onClick={() => { setValue(String(row.serviceLevelSeconds)); setEditing(true); }}>
            {t('qEditSl')}
          </button>
        )}
      </td>
    );
  }
  return (
    <td class="num" data-testid="queue-sl">
      <form class="queue-sl-form" onSubmit={(e) => void save(e)}>
        <input type="number" min={1} max={3600} step={1} required aria-label={t('qSlInput')} title={t('qSlInput')} data-testid="queue-sl-input"
          value={value} onInput={(e) => setValue(e.currentTarget.value)} />
        <button type="submit" class="small" data-testid="queue-sl-save" disabled={busy}>{t('save')}</button>
        <button type="button" class="secondary outline small" onClick={() => { setEditing(false); setError(null); }}>{t('cancel')}</button>
        {error && <small class="error" role="alert" data-testid="queue-sl-error">{error}</small>}
      </form>
    </td>
  );
}

export function QueueReportView() {
  const user = useUser();
  const initial = chosenPeriod.value ?? quickRange('thisMonth', todayIn(undefined));
  const [from, setFrom] = useState(initial.from);
  const [to, setTo] = useState(initial.to);
  const [report, setReport] = useState<QueueReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [drill, setDrill] = useState<Drill | null>(null);
  const [reloads, setReloads] = useState(0);
  const hadChoice = useRef(chosenPeriod.value !== null);

  const query = { from, to: to ? dayAfter(to) : '' };
  useEffect(() => {
    if (!from || !to) return;
    chosenPeriod.value = { from, to };
    api.get<QueueReport>('/api/v1/reports/queues', query)
      .then((r) => { setReport(r); setError(null); })
      .catch((e) => { setReport(null); setError(errorText(e)); });
  }, [from, to, reloads]);
  useEffect(() => setDrill(null), [from, to]);

  // As on the calls tab: the first month is the browser's; follow the company's zone once.
  useEffect(() => {
    if (!report || hadChoice.current) return;
    hadChoice.current = true;
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

  function open(queue: string | null, what: string, queueResult: CallQuery['queueResult'], count: number) {
    if (!report) return;
    const q: CallQuery = { from: report.from, to: report.to, state: 'ended', queue: queue ?? 'any', ...(queueResult ? { queueResult } : {}) };
    setDrill({ title: t('qDrillTitle', { what, queue: queue ?? t('qAllQueues') }), query: q, count });
  }

  const cells = (queue: string | null, s: QueueStats) => (
    <>
      {COUNTS.map(([key, label, result]) => (
        <td key={key} class="num" data-testid="queue-cell" data-metric={key} data-value={s[key]}>
          {s[key] ? <button class="cell-link" onClick={() => open(queue, t(label), result, s[key])}>{s[key]}</button> : 0}
        </td>
      ))}
      <td class="num" data-testid="queue-cell" data-metric="serviceLevel" data-value={s.serviceLevel ?? ''}>{pct(s.serviceLevel)}</td>
      <td class="num" data-testid="queue-cell" data-metric="abandonRate" data-value={s.abandonRate ?? ''}>{pct(s.abandonRate)}</td>
      <td class="num" data-testid="queue-cell" data-metric="avgWaitSeconds" data-value={s.avgWaitSeconds ?? ''}>{duration(s.avgWaitSeconds)}</td>
      <td class="num" data-testid="queue-cell" data-metric="longestWaitSeconds" data-value={s.longestWaitSeconds ?? ''}>{duration(s.longestWaitSeconds)}</td>
    </>
  );

  return (
    <section class="report" data-testid="queue-report-page">
      <h2>{t('qTitle')}</h2>
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
        </div>
      </div>
      {error && <p class="notice error" role="alert">{error}</p>}
      {!report && !error && <p aria-busy="true">{t('loading')}</p>}
      {report && (
        <>
          <div class="table-actions">
            <CsvLink path="/api/v1/reports/queues" query={query} filename="queues-report.csv" testid="queue-report-csv" />
          </div>
          <ScrollFrame testid="queue-report-scroll">
            <table class="striped report-table queue-table" data-testid="queue-report-table">
              <thead>
                <tr>
                  <th>{t('qQueue')}</th>
                  <th class="num" title={t('qServiceLevelSecondsTitle')}>{t('qServiceLevelSeconds')}</th>
                  {COUNTS.map(([key, label]) => <th key={key} class="num">{t(label)}</th>)}
                  <th class="num">{t('qServiceLevel')}</th>
                  <th class="num">{t('qAbandonRate')}</th>
                  <th class="num">{t('qAvgWait')}</th>
                  <th class="num">{t('qLongestWait')}</th>
                </tr>
              </thead>
              <tbody>
                {report.rows.length === 0 && <tr><td colSpan={11} class="muted">{t('qNoQueues')}</td></tr>}
                {report.rows.map((r) => (
                  <tr key={r.queue} data-testid="queue-row" data-queue={r.queue}>
                    <th scope="row">{r.queue}</th>
                    <ServiceLevelCell row={r} admin={user.role === 'admin'} onSaved={() => setReloads((n) => n + 1)} />
                    {cells(r.queue, r)}
                  </tr>
                ))}
              </tbody>
              {report.rows.length > 1 && (
                <tfoot>
                  <tr data-testid="queue-totals">
                    <th scope="row">{t('repTotal')}</th>
                    <td />
                    {cells(null, report.totals)}
                  </tr>
                </tfoot>
              )}
            </table>
          </ScrollFrame>
          <p class="muted" data-testid="queue-legend"><small>{t('qLegend')}</small></p>
          {drill && <DrillPanel drill={drill} onClose={() => setDrill(null)} />}
        </>
      )}
    </section>
  );
}
