// The supervisors' live board: each manager's phone state, calls waiting for an answer, calls in
// progress with running durations, and today's counters. One snapshot from GET /api/v1/live, then the
// socket's live:delta events applied in order (a gap or a reconnect fetches a new snapshot). Durations
// run on the page's clock corrected by the service's (serverTime), so they do not depend on the PC's.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { errorText } from '../app.js';
import { dayText, duration } from '../format.js';
import { t, tKey } from '../i18n.js';
import { applyDelta, callClock, managerClock, type Clock } from '../live-state.js';
import { onStatus, realtime, subscribe } from '../realtime.js';
import type { LiveCall, LiveDelta, LiveManager, LiveQueue, LiveSnapshot } from '../types.js';
import { secondsSince } from '../live-state.js';
import { PbxSelect } from '../components/pbx-select.js';
import { pbxName, severalPbxs, usePbxChoice, usePbxes } from '../pbxes.js';

/** A running time with its word: "talking 3:12", "for 12:03" (live-state.ts says which is which). */
const clockText = (c: Clock) => t(`liveClock_${c.kind}`, { duration: duration(c.seconds) });
/** In the calls tables the column says what a time is; only a call not yet answered says "dialling". */
const rowClockText = (c: Clock) => (c.kind === 'dialling' ? clockText(c) : duration(c.seconds));
const CLOCK_TITLE = { state: 'liveClockStateTitle', ringing: 'liveClockRingTitle', talk: 'liveClockCallTitle', dialling: 'liveClockCallTitle', waiting: 'liveClockCallTitle' } as const;

function party(c: LiveCall): string {
  const who = [c.contactName, c.clientName].filter(Boolean).join(', ');
  const number = c.externalNumber ?? t('unknownCaller');
  return who ? `${who} (${number})` : number;
}

function manager(name: string | null, extension: string | null): string {
  if (!extension) return t('liveNobody');
  return name ? `${name} · ${extension}` : extension;
}

function ManagerCard({ m, calls, now }: { m: LiveManager; calls: LiveCall[]; now: number }) {
  const clock = managerClock(m, calls, now);
  return (
    <article class={`live-manager state-${m.state}`} data-testid="live-manager" data-extension={m.extension} data-state={m.state}>
      <strong>{m.name ?? m.extension}</strong>
      {m.name && <span class="muted"> · {m.extension}</span>}
      <div>
        <span class={`live-badge state-${m.state}`} data-testid="live-manager-state">{tKey('liveState_', m.state)}</span>{' '}
        {m.state !== 'offline' && (
          <small class="muted" data-testid="live-manager-clock" data-clock={clock.kind} title={t(CLOCK_TITLE[clock.kind])}>{clockText(clock)}</small>
        )}
      </div>
    </article>
  );
}

/** One queue: callers waiting, and each member's state (paused with its reason; wrap-up until when). */
function QueueCard({ q, now }: { q: LiveQueue; now: number }) {
  return (
    <article class="live-queue" data-testid="live-queue" data-queue={q.queue}>
      <header>
        <strong>{q.queue}</strong>{' '}
        <small class={q.waiting ? 'live-queue-waiting busy' : 'muted'} data-testid="live-queue-waiting" data-value={q.waiting}>{t('liveQueueWaiting', { n: q.waiting })}</small>
      </header>
      {q.members.length === 0 ? <p class="muted"><small>{t('liveQueueNoMembers')}</small></p> : (
        <ul class="live-queue-members">
          {q.members.map((m) => (
            <li key={m.interface} data-testid="live-queue-member" data-interface={m.interface} data-extension={m.extension ?? ''} data-state={m.state}>
              <span class="member-name">{m.name}{m.extension && m.extension !== m.name && <span class="muted"> · {m.extension}</span>}</span>
              <span class={`live-badge agent-${m.state}`} data-testid="live-queue-member-state" title={m.state === 'wrapup' ? t('agentWrapupTitle') : undefined}>
                {m.state === 'paused' && m.pausedReason ? t('agentPaused', { reason: m.pausedReason }) : tKey('agentState_', m.state)}
              </span>
              <small class="muted" title={t('liveClockStateTitle')}>{clockText({ kind: 'state', seconds: secondsSince(m.since, now) })}</small>
              {m.paused && m.state !== 'paused' && (
                <small class="muted" data-testid="live-queue-member-paused">{m.pausedReason ? t('agentPaused', { reason: m.pausedReason }) : t('agentState_paused')}</small>
              )}
            </li>
          ))}
        </ul>
      )}
    </article>
  );
}

function CallsTable({ calls, now, waiting }: { calls: LiveCall[]; now: number; waiting: boolean }) {
  return (
    <table class="calls" data-testid={waiting ? 'live-waiting' : 'live-calls'}>
      <thead>
        <tr>
          <th>{t('direction')}</th>
          <th>{waiting ? t('liveRings') : t('liveManager')}</th>
          <th>{t('liveWith')}</th>
          <th>{waiting ? t('liveWaitedSince') : t('liveTalkSince')}</th>
        </tr>
      </thead>
      <tbody>
        {calls.map((c) => (
          <tr key={c.id} data-testid={waiting ? 'live-waiting-row' : 'live-call-row'} data-call-id={c.id} data-state={c.state}>
            <td>{tKey('direction_', c.direction)}</td>
            <td data-testid="live-call-manager">{manager(c.managerName, c.extension)}</td>
            <td data-testid="live-call-party">{party(c)}</td>
            <td data-testid="live-call-duration" class="live-duration" data-clock={callClock(c, now).kind}>{rowClockText(callClock(c, now))}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function LivePage() {
  const [board, setBoard] = useState<LiveSnapshot | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [now, setNow] = useState(Date.now());
  const boardRef = useRef<LiveSnapshot | null>(null);
  const offset = useRef(0);
  const pending = useRef<LiveDelta[]>([]);
  /** The PBX whose snapshot is on its way, or null. */
  const loading = useRef<string | null>(null);
  // One PBX's board at a time (a board per PBX): main's first; the selector shows with two or more PBXs.
  const pbxList = usePbxes();
  const [pbx, setPbx] = usePbxChoice('live');
  const pbxRef = useRef(pbx);

  const show = (b: LiveSnapshot) => {
    boardRef.current = b;
    offset.current = Date.parse(b.serverTime) - Date.now();
    setBoard(b);
  };

  async function load() {
    const want = pbxRef.current;
    if (loading.current === want) return;
    loading.current = want;
    try {
      let b = await api.get<LiveSnapshot>('/api/v1/live', { pbx: want });
      // Another PBX was chosen meanwhile: its own snapshot is on its way.
      if (pbxRef.current !== want) return;
      // Deltas that arrived while the snapshot was on its way (another PBX's are no change of this board).
      for (const d of pending.current.splice(0)) {
        const r = applyDelta(b, d);
        if (r.kind === 'applied') b = r.board;
      }
      show(b);
      setError(null);
    } catch (e) {
      if (pbxRef.current === want) setError(errorText(e));
    } finally {
      if (loading.current === want) loading.current = null;
    }
  }

  /** Another PBX's board: its own snapshot, then only its deltas. */
  function choose(id: string) {
    if (id === pbxRef.current) return;
    pbxRef.current = id;
    setPbx(id);
    boardRef.current = null;
    pending.current = [];
    setBoard(null);
    setError(null);
    void load();
  }

  useEffect(() => {
    // Subscribe first, then fetch: no change can fall between the snapshot and the first delta.
    const off = subscribe('live:delta', (d) => {
      const b = boardRef.current;
      if (!b || loading.current !== null) {
        pending.current.push(d);
        return;
      }
      const r = applyDelta(b, d);
      if (r.kind === 'applied') show(r.board);
      else if (r.kind === 'gap') void load();
    });
    // A reconnected socket has left every room: ask for the deltas again, then refetch.
    const offStatus = onStatus((connected) => {
      if (!connected) return;
      realtime()?.emit('live:watch', true);
      void load();
    });
    realtime()?.emit('live:watch', true);
    void load();
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => {
      realtime()?.emit('live:watch', false);
      off();
      offStatus();
      clearInterval(timer);
    };
  }, []);

  const head = (
    <div class="live-head">
      <h2>{t('liveTitle')}</h2>
      <PbxSelect list={pbxList} value={pbx} onChange={choose} all={false} testid="live-pbx" />
    </div>
  );
  if (!board) {
    return (
      <section data-testid="live-loading">
        {head}
        {error ? <p class="notice error" role="alert">{error}</p> : <p aria-busy="true">{t('loading')}</p>}
      </section>
    );
  }
  const serverNow = now + offset.current;
  const waiting = board.calls.filter((c) => c.waiting);
  const inProgress = board.calls.filter((c) => !c.waiting);
  const c = board.counters;
  return (
    <section data-testid="live-board" data-seq={board.seq} data-pbx={board.pbxId}>
      {head}
      {error && <p class="notice error" role="alert">{error}</p>}
      {board.pbx === 'disconnected' && (
        <p class="notice warn" role="status" data-testid="live-pbx-down">
          {severalPbxs(pbxList) ? t('livePbxDownNamed', { name: pbxName(pbxList, board.pbxId) }) : t('livePbxDown')}
        </p>
      )}

      <h3>{t('liveManagers')}</h3>
      <div class="live-managers">
        {board.managers.map((m) => <ManagerCard key={m.extension} m={m} calls={board.calls} now={serverNow} />)}
      </div>

      {(board.queues?.length ?? 0) > 0 && (
        <>
          <h3>{t('liveQueues')}</h3>
          <div class="live-queues" data-testid="live-queues">
            {board.queues!.map((q) => <QueueCard key={q.queue} q={q} now={serverNow} />)}
          </div>
        </>
      )}

      <h3>{t('liveWaiting')} <small class="muted" data-testid="live-waiting-count">{waiting.length}</small></h3>
      {waiting.length ? <CallsTable calls={waiting} now={serverNow} waiting /> : <p class="muted">{t('liveNoWaiting')}</p>}

      <h3>{t('liveInProgress')} <small class="muted" data-testid="live-calls-count">{inProgress.length}</small></h3>
      {inProgress.length ? <CallsTable calls={inProgress} now={serverNow} waiting={false} /> : <p class="muted">{t('liveNoCalls')}</p>}

      <h3>{t('liveToday', { day: dayText(c.day) })}</h3>
      <table class="calls" data-testid="live-counters">
        <thead>
          <tr>
            <th>{t('liveManager')}</th>
            <th>{t('liveCalls')}</th>
            <th>{t('liveAnswered')}</th>
            <th>{t('liveMissed')}</th>
            <th>{t('liveTalkTime')}</th>
          </tr>
        </thead>
        <tbody>
          {c.managers.map((m) => (
            <tr key={`${m.extension}|${m.name ?? ''}`} data-testid="live-counters-row" data-extension={m.extension}>
              <td>{manager(m.name, m.extension)}</td>
              <td data-testid="counter-calls">{m.calls}</td>
              <td data-testid="counter-answered">{m.answered}</td>
              <td data-testid="counter-missed">{m.missed}</td>
              <td data-testid="counter-talk">{duration(m.talkSeconds)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr data-testid="live-counters-total">
            <th>{t('liveTotal')}</th>
            <th data-testid="counter-calls">{c.total.calls}</th>
            <th data-testid="counter-answered">{c.total.answered}</th>
            <th data-testid="counter-missed">{c.total.missed}</th>
            <th data-testid="counter-talk">{duration(c.total.talkSeconds)}</th>
          </tr>
        </tfoot>
      </table>
    </section>
  );
}
