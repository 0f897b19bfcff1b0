// The call log: a manager's own calls, everyone's for a supervisor (the service decides), filtered by
// period, direction and outcome, newest first, with "show more" over the cursor. Supervisors and admins
// also search (a number in any format, a client's or contact's name: the service's `q`) and pick a manager.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { errorText, isSupervisor, useUser } from '../app.js';
import { t, tKey } from '../i18n.js';
import { subscribe } from '../realtime.js';
import { CallsTable } from '../components/calls-table.js';
import { CsvLink } from '../components/csv-link.js';
import { useManagers } from '../managers.js';
import { PbxSelect } from '../components/pbx-select.js';
import { personLabel, usePbxChoice, usePbxes } from '../pbxes.js';
import { CALL_DIRECTIONS, CALL_DISPOSITIONS, type Call, type Page } from '../types.js';

const PERIODS = ['today', 'week', 'month', 'all'] as const;
type Period = (typeof PERIODS)[number];
// '': any.
const DIRECTIONS = ['', ...CALL_DIRECTIONS] as const;
const DISPOSITIONS = ['', ...CALL_DISPOSITIONS] as const;

function since(p: Period): string | undefined {
  const d = new Date();
  if (p === 'today') d.setHours(0, 0, 0, 0);
  else if (p === 'week') d.setDate(d.getDate() - 7);
  else if (p === 'month') d.setDate(d.getDate() - 30);
  else return undefined;
  return d.toISOString();
}

export function CallsPage() {
  const user = useUser();
  const supervisor = isSupervisor(user);
  const managers = useManagers(supervisor);
  const pbxList = usePbxes();
  // '': every PBX's calls.
  const [pbx, setPbx] = usePbxChoice('calls');
  const [q, setQ] = useState('');
  const [query, setQuery] = useState('');
  const [managerId, setManagerId] = useState('');
  const [period, setPeriod] = useState<Period>('week');
  const [direction, setDirection] = useState<string>('');
  const [disposition, setDisposition] = useState<string>('');
  const [calls, setCalls] = useState<Call[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);

  async function load(cursor: string | null) {
    try {
      const r = await api.get<Page<Call>>('/api/v1/calls', { ...filters(), limit: 50, cursor });
      setCalls((prev) => (cursor && prev ? [...prev, ...r.items] : r.items));
      setNext(r.nextCursor);
      setError(null);
    } catch (e) {
      setError(errorText(e));
    }
  }

  const filters = () => ({ from: since(period), direction, disposition, q: query || undefined, managerId: managerId || undefined, pbx: (supervisor && pbx) || undefined });
  useEffect(() => void load(null), [period, direction, disposition, query, managerId, pbx, tick]);
  // Typing settles for a moment before the list is asked again.
  useEffect(() => {
    const timer = setTimeout(() => setQuery(q.trim()), q ? 300 : 0);
    return () => clearTimeout(timer);
  }, [q]);
  useEffect(() => {
    const refresh = () => setTimeout(() => setTick((n) => n + 1), 1500);
    const off = subscribe('call:ended', refresh);
    addEventListener('cti:wrapup-saved', refresh);
    return () => {
      off();
      removeEventListener('cti:wrapup-saved', refresh);
    };
  }, []);

  const select = (label: string, value: string, set: (v: string) => void, options: readonly string[], text: (o: string) => string, testid: string) => (
    <label>
      {label}
      <select data-testid={testid} value={value} onChange={(e) => set(e.currentTarget.value)}>
        {options.map((o) => <option key={o} value={o}>{text(o)}</option>)}
      </select>
    </label>
  );

  return (
    <section>
      <h2>{supervisor ? t('allCalls') : t('myCalls')}</h2>
      {supervisor && (
        <div class="grid filters filters-search">
          <label>
            {t('callsSearch')}
            <input type="search" data-testid="calls-search" placeholder={t('callsSearchHint')} value={q} onInput={(e) => setQ(e.currentTarget.value)} />
          </label>
          <label>
            {t('callsManager')}
            <select data-testid="filter-manager" value={managerId} onChange={(e) => setManagerId(e.currentTarget.value)}>
              <option value="">{t('callsAnyManager')}</option>
              {managers.map((m) => (
                <option key={m.id} value={m.id}>
                  {personLabel(pbxList, m)}
                </option>
              ))}
              <option value="none">{t('callsNoManager')}</option>
            </select>
          </label>
        </div>
      )}
      <div class="grid filters">
        {select(t('period'), period, (v) => setPeriod(v as Period), PERIODS, (o) => tKey('period_', o), 'filter-period')}
        {select(t('direction'), direction, setDirection, DIRECTIONS, (o) => (o ? tKey('direction_', o) : t('direction_any')), 'filter-direction')}
        {select(t('disposition'), disposition, setDisposition, DISPOSITIONS, (o) => (o ? tKey('disposition_', o) : t('disposition_any')), 'filter-disposition')}
        {/* A manager's calls are on their own PBX: the choice is a supervisor's. */}
        {supervisor && <PbxSelect list={pbxList} value={pbx} onChange={setPbx} all />}
      </div>
      <div class="table-actions">
        <CsvLink path="/api/v1/calls" query={filters()} filename="calls.csv" testid="calls-csv" />
      </div>
      {error && <p class="notice error" role="alert">{error}</p>}
      {calls === null ? <p aria-busy="true">{t('loading')}</p> : <CallsTable calls={calls} showExtension={supervisor} />}
      {next && <button class="secondary" onClick={() => void load(next)}>{t('more')}</button>}
    </section>
  );
}
