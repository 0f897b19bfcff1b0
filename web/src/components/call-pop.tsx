// The call panel: a column on the right that the page makes room for (body.with-call-panel, style.css),
// never over the page's own fields. It holds the pops of live calls and, below them, one wrap-up at a
// time with a count of the rest (wrapup-queue.ts). A pop follows its call (browser-contract.md, Realtime):
//
//   call:ringing ──> ringing ──call:answered (here)──> talking ──call:ended──> wrap-up (queued) ──saved──> gone
//                       │ └─call:answered (elsewhere)──> "answered by <name>" ──(a few s)──> gone
//                       └─call:ended (missed)──> "ended (no answer)" ──(a few s)──> gone
//
// An answered call of ours that never popped (click-to-call) gets its wrap-up too, named by the
// call:ended event itself (number, contact, client, direction, time, duration). "Later" sets it aside:
// counted in the header, written afterwards from there, the calls list or the contact card.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api } from '../api.js';
import { errorText, useUser } from '../app.js';
import { t, tKey } from '../i18n.js';
import { dateTime, dispositionText, duration, money, phoneText, routedBy } from '../format.js';
import { personLabel, usePbxes } from '../pbxes.js';
import { subscribe } from '../realtime.js';
import type { CallAnswered, CallEnded, ScreenPop } from '../types.js';
import { RingControls } from '../softphone/softphone.js';
import { done, enqueue, fromEnded, loadPending, resetQueue, setAside, useWrapupQueue, type WrapupCall } from '../wrapup-queue.js';
import { WrapupForm } from './wrapup-form.js';

type Phase = 'ringing' | 'talking' | 'elsewhere' | 'missed' | 'saved';

interface PopEntry {
  callId: string;
  linkedId: string;
  pop: ScreenPop | null;
  phase: Phase;
  answeredBy?: string;
  answeredAt?: string;
  ended?: CallEnded;
}

const CLOSE_AFTER_MS = 6000;

function matches(p: PopEntry, e: { callId: string; linkedId: string }): boolean {
  return p.callId === e.callId || p.linkedId === e.linkedId;
}

export function CallPop() {
  const user = useUser();
  const [pops, setPops] = useState<PopEntry[]>([]);
  const queue = useWrapupQueue();

  const update = (e: { callId: string; linkedId: string }, fn: (p: PopEntry) => PopEntry | null) =>
    setPops((list) => list.flatMap((p) => (matches(p, e) ? (fn(p) ?? []) : [p])));
  const closeLater = (e: { callId: string; linkedId: string }, phase: Phase) =>
    setTimeout(() => setPops((list) => list.filter((p) => !(matches(p, e) && p.phase === phase))), CLOSE_AFTER_MS);

  useEffect(() => {
    resetQueue();
    void loadPending();
    const offs = [
      subscribe('call:ringing', (pop) => {
        setPops((list) => [...list.filter((p) => !matches(p, pop)), { callId: pop.callId, linkedId: pop.linkedId, pop, phase: 'ringing' }]);
      }),
      subscribe('call:answered', (e: CallAnswered) => {
        const here = e.extension === user.extension;
        const who = e.answeredBy ? `${e.answeredBy.name} (${e.extension})` : e.extension;
        update(e, (p) => (here ? { ...p, phase: 'talking', answeredAt: e.answeredAt } : { ...p, phase: 'elsewhere', answeredBy: who }));
        if (!here) closeLater(e, 'elsewhere');
      }),
      subscribe('call:ended', (e: CallEnded) => {
        setPops((list) => {
          const known = list.find((p) => matches(p, e));
          const answeredHere = known ? known.phase === 'talking' || (known.phase === 'ringing' && e.disposition === 'answered' && e.extension === user.extension)
            : e.disposition === 'answered' && e.extension === user.extension;
          // Outside the state update's pure part would be nicer; the queue ignores a second enqueue of a call.
          if (answeredHere) queueMicrotask(() => enqueue(fromEnded(e, known?.pop ?? null)));
          return list.flatMap((p) => {
            if (!matches(p, e)) return [p];
            if (answeredHere) return [];
            if (p.phase === 'elsewhere') return [p]; // it closes by itself, still saying who answered
            return [{ ...p, phase: 'missed' as const, ended: e }];
          });
        });
        closeLater(e, 'missed');
        // The service may also have learnt of calls of hers from Asterisk's CDR (rebuilt while it was away):
        // each call's end brings the count back to what the service owes (the queue keeps one entry a call).
        void loadPending();
      }),
    ];
    return () => offs.forEach((off) => off());
  }, [user.extension]);

  const open = queue.filter((q) => !q.later);
  const active = open[0] ?? null;
  const visible = pops.length > 0 || active !== null;
  useEffect(() => {
    document.body.classList.toggle('with-call-panel', visible);
    return () => document.body.classList.remove('with-call-panel');
  }, [visible]);

  if (!visible) return null;
  return (
    <aside class="pops" data-testid="call-panel" aria-label={t('callPanel')}>
      {pops.map((p) => (
        <PopCard key={p.callId} entry={p} onClose={() => setPops((l) => l.filter((x) => x !== p))} />
      ))}
      {active && (
        <WrapupCard key={active.call.callId} call={active.call} rest={queue.length - 1}
          onSaved={() => {
            const saved: PopEntry = { callId: active.call.callId, linkedId: active.call.linkedId, pop: null, phase: 'saved' };
            setPops((l) => [...l, saved]);
            done(active.call.callId);
            setTimeout(() => setPops((l) => l.filter((x) => x !== saved)), 2000);
          }}
          onLater={() => setAside(active.call.callId)} />
      )}
    </aside>
  );
}

/** The one wrap-up being written: which call it is, the form, and how many more wait. */
function WrapupCard({ call, rest, onSaved, onLater }: { call: WrapupCall; rest: number; onSaved: () => void; onLater: () => void }) {
  const title = call.contact?.name ?? call.client?.name ?? call.externalNumber ?? t('unknownCaller');
  return (
    <article class="pop pop-wrapup" data-testid="pop" data-call-id={call.callId} data-phase="wrapup" aria-live="polite">
      <header>
        <div>
          <small class="muted">{t('wrapupTitle')}</small>
          <h3 data-testid="pop-contact-name">{call.contact ? <a href={`#/contacts/${call.contact.id}`}>{title}</a> : title}</h3>
        </div>
        <button class="close" aria-label={t('skip')} title={t('skip')} onClick={onLater}>×</button>
      </header>
      <dl data-testid="wrapup-call">
        {call.contact && <><dt>{t('contact')}</dt><dd>{call.contact.name}</dd></>}
        {call.client && <><dt>{t('client')}</dt><dd>{call.client.name}</dd></>}
        <dt>{t('number')}</dt><dd>{phoneText(call.externalNumber)}</dd>
        <dt>{t('direction')}</dt>
        <dd>{tKey('direction_', call.direction)}{call.origin === 'click2call' ? ` (${t('clickToCall')})` : ''}</dd>
        <dt>{t('when')}</dt><dd>{dateTime(call.startedAt)}</dd>
        <dt>{t('talk')}</dt><dd data-testid="wrapup-duration">{duration(call.talkSeconds)}</dd>
      </dl>
      <WrapupForm callId={call.callId} onSaved={onSaved} onLater={onLater} />
      {rest > 0 && <p class="muted wrapup-more" data-testid="wrapup-more">{t('wrapupMore', { count: rest })}</p>}
    </article>
  );
}

function TalkTimer({ since }: { since: string }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const i = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(i);
  }, []);
  return <span class="talk-timer" data-testid="talk-timer">{duration((now - Date.parse(since)) / 1000)}</span>;
}

function PopCard({ entry, onClose }: { entry: PopEntry; onClose: () => void }) {
  const { pop, phase } = entry;
  let status: preact.ComponentChildren;
  switch (phase) {
    case 'ringing': status = t('ringing'); break;
    case 'talking': status = <>{t('answeredHere')} <TalkTimer since={entry.answeredAt ?? new Date().toISOString()} /></>; break;
    case 'elsewhere': status = t('answeredBy', { who: entry.answeredBy ?? '' }); break;
    case 'missed': status = t('callEnded', { disposition: dispositionText(entry.ended?.disposition) }); break;
    case 'saved': status = t('wrapupSaved'); break;
  }
  const number = pop?.externalNumber ?? pop?.prefill.number ?? '';
  return (
    <article class={`pop pop-${phase}`} data-testid="pop" data-call-id={entry.callId} data-phase={phase} aria-live="polite">
      <header>
        <div>
          <small class="muted">{pop ? t('incomingCall') : t('wrapupTitle')}</small>
          <h3 data-testid="pop-contact-name">
            {pop ? (pop.contact ? <a href={`#/contacts/${pop.contact.id}`}>{pop.contact.name}</a> : pop.otherOwner ? otherOwnerText(pop.otherOwner) : t('unknownCaller')) : ''}
          </h3>
          {number && <div class="pop-number">{phoneText(number)}</div>}
        </div>
        <button class="close" aria-label={t('close')} onClick={onClose}>×</button>
      </header>
      <p class={`pop-status ${phase}`} data-testid="pop-status" data-phase={phase}>{status}</p>
      {/* A browser phone rings in the page: answer or decline right here. */}
      {phase === 'ringing' && <RingControls />}
      {/* Another manager's client is known, just not to this manager: a new contact would be a duplicate.
          First, so that it is on screen without scrolling (an unknown number has no history to show). */}
      {pop && !pop.contact && !pop.otherOwner && (phase === 'ringing' || phase === 'talking') && <CreateContact number={pop.prefill.number ?? ''} />}
      {pop && phase !== 'saved' && <PopDetails pop={pop} />}
    </article>
  );
}

function otherOwnerText(o: { name: string | null }): string {
  return o.name ? t('clientOf', { owner: o.name }) : t('clientOfNobody');
}

function PopDetails({ pop }: { pop: ScreenPop }) {
  const c = pop.client;
  const pbxList = usePbxes();
  return (
    <div class="pop-details">
      <dl>
        <dt>{t('client')}</dt>
        <dd data-testid="pop-client-name">{c?.name ?? t('none')}</dd>
        <dt>{t('turnover')}</dt>
        <dd data-testid="pop-turnover">{c?.turnover ? t('perMonth', { amount: money(c.turnover.amount, c.turnover.currency) }) : t('none')}</dd>
        <dt>{t('owner')}</dt>
        <dd data-testid="pop-owner">{c?.owner ? personLabel(pbxList, c.owner) : pop.otherOwner?.name ?? t('none')}</dd>
        <dt>{t('whyHere')}</dt>
        <dd data-testid="pop-routed-by" data-routed-by={pop.routedBy ?? ''}>{routedBy(pop.routedBy)}</dd>
      </dl>
      <h6>{t('lastCalls')}</h6>
      <ul data-testid="pop-last-calls" class="compact">
        {pop.lastCalls.length === 0 ? <li class="muted">{t('noCalls')}</li> : pop.lastCalls.map((lc) => (
          <li key={lc.id}>
            {dateTime(lc.startedAt)} · {tKey('direction_', lc.direction)} · {dispositionText(lc.disposition)}
            {lc.talkSeconds ? ` · ${duration(lc.talkSeconds)}` : ''}{lc.extension ? ` · ${lc.extension}` : ''}
          </li>
        ))}
      </ul>
      <h6>{t('openTasks')}</h6>
      <ul data-testid="pop-open-tasks" class="compact">
        {pop.openTasks.length === 0 ? <li class="muted">{t('noTasks')}</li> : pop.openTasks.map((task) => (
          <li key={task.id}>{tKey('task_', task.kind)} · {t('due')}: {dateTime(task.dueAt)}{task.description ? ` · ${task.description}` : ''}</li>
        ))}
      </ul>
    </div>
  );
}

/** An unknown number: a client and a contact with the number filled in (the client becomes the manager's). */
function CreateContact({ number }: { number: string }) {
  const [clientName, setClientName] = useState('');
  const [name, setName] = useState('');
  const [phone, setPhone] = useState(number);
  const [state, setState] = useState<{ ok?: string; error?: string; contactId?: string }>({});
  async function submit(e: Event) {
    e.preventDefault();
    try {
      const client = await api.post<{ id: string }>('/api/v1/clients', { kind: clientName ? 'company' : 'person', name: clientName || name });
      const contact = await api.post<{ id: string }>('/api/v1/contacts', { clientId: client.id, name, phones: [{ number: phone, label: null }] });
      setState({ ok: t('contactCreated'), contactId: contact.id });
    } catch (err) {
      setState({ error: err instanceof ApiError && err.status === 400 ? err.message : errorText(err) });
    }
  }
  if (state.ok) return <p class="notice ok">{state.ok} <a href={`#/contacts/${state.contactId}`}>{t('openCard')}</a></p>;
  return (
    <form data-testid="pop-create-contact" class="pop-form" onSubmit={(e) => void submit(e)}>
      <h6>{t('createContact')}</h6>
      <input data-testid="pop-create-contact-name" required placeholder={t('contactName')} aria-label={t('contactName')} value={name} onInput={(e) => setName(e.currentTarget.value)} />
      <input data-testid="pop-create-client-name" placeholder={t('clientName')} aria-label={t('clientName')} value={clientName} onInput={(e) => setClientName(e.currentTarget.value)} />
      <input data-testid="pop-create-contact-number" required aria-label={t('number')} value={phone} onInput={(e) => setPhone(e.currentTarget.value)} />
      {state.error && <p class="notice error" role="alert">{state.error}</p>}
      <button type="submit">{t('createContact')}</button>
    </form>
  );
}
