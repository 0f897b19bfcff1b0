// The incoming-call pop, over any page. It follows the call (browser-contract.md, Realtime):
//
//   call:ringing ──> ringing ──call:answered (here)──> talking ──call:ended──> wrap-up ──saved──> gone
//                       │ └─call:answered (elsewhere)──> "answered by 102" ──(a few s)──> gone
//                       └─call:ended (missed)──> "ended (no answer)" ──(a few s)──> gone
//
// An answered call of ours that never popped (click-to-call) still gets the wrap-up form when it ends.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api } from '../api.js';
import { errorText, useUser } from '../app.js';
import { language, t, tKey } from '../i18n.js';
import { dateTime, dispositionText, duration, money, routedBy, toLocalInput } from '../format.js';
import { subscribe } from '../realtime.js';
import type { CallAnswered, CallEnded, ScreenPop } from '../types.js';
import { useOutcomes } from './calls-table.js';
import { RingControls } from '../softphone/softphone.js';

type Phase = 'ringing' | 'talking' | 'elsewhere' | 'missed' | 'wrapup' | 'saved';

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

  const update = (e: { callId: string; linkedId: string }, fn: (p: PopEntry) => PopEntry | null) =>
    setPops((list) => list.flatMap((p) => (matches(p, e) ? (fn(p) ?? []) : [p])));
  const closeLater = (e: { callId: string; linkedId: string }, phase: Phase) =>
    setTimeout(() => setPops((list) => list.filter((p) => !(matches(p, e) && p.phase === phase))), CLOSE_AFTER_MS);

  useEffect(() => {
    const offs = [
      subscribe('call:ringing', (pop) => {
        setPops((list) => [...list.filter((p) => !matches(p, pop)), { callId: pop.callId, linkedId: pop.linkedId, pop, phase: 'ringing' }]);
      }),
      subscribe('call:answered', (e: CallAnswered) => {
        const here = e.extension === user.extension;
        update(e, (p) => (here ? { ...p, phase: 'talking', answeredAt: e.answeredAt } : { ...p, phase: 'elsewhere', answeredBy: e.extension }));
        if (!here) closeLater(e, 'elsewhere');
      }),
      subscribe('call:ended', (e: CallEnded) => {
        setPops((list) => {
          const known = list.find((p) => matches(p, e));
          const answeredHere = known ? known.phase === 'talking' || (known.phase === 'ringing' && e.disposition === 'answered' && e.extension === user.extension)
            : e.disposition === 'answered' && e.extension === user.extension;
          if (!known) {
            return answeredHere ? [...list, { callId: e.callId, linkedId: e.linkedId, pop: null, phase: 'wrapup', ended: e }] : list;
          }
          return list.flatMap((p) => {
            if (!matches(p, e)) return [p];
            if (answeredHere) return [{ ...p, phase: 'wrapup' as const, ended: e }];
            if (p.phase === 'elsewhere') return [p]; // it closes by itself, still saying who answered
            return [{ ...p, phase: 'missed' as const, ended: e }];
          });
        });
        closeLater(e, 'missed');
      }),
    ];
    return () => offs.forEach((off) => off());
  }, [user.extension]);

  if (pops.length === 0) return null;
  return (
    <div class="pops">
      {pops.map((p) => (
        <PopCard key={p.callId} entry={p}
          onClose={() => setPops((l) => l.filter((x) => x !== p))}
          onSaved={() => {
            update(p, (x) => ({ ...x, phase: 'saved' }));
            dispatchEvent(new Event('cti:wrapup-saved'));
            setTimeout(() => setPops((l) => l.filter((x) => x.callId !== p.callId)), 2000);
          }} />
      ))}
    </div>
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

function PopCard({ entry, onClose, onSaved }: { entry: PopEntry; onClose: () => void; onSaved: () => void }) {
  const { pop, phase } = entry;
  let status: preact.ComponentChildren;
  switch (phase) {
    case 'ringing': status = t('ringing'); break;
    case 'talking': status = <>{t('answeredHere')} <TalkTimer since={entry.answeredAt ?? new Date().toISOString()} /></>; break;
    case 'elsewhere': status = t('answeredBy', { extension: entry.answeredBy ?? '' }); break;
    case 'missed': status = t('callEnded', { disposition: dispositionText(entry.ended?.disposition) }); break;
    case 'wrapup': status = t('callEnded', { disposition: dispositionText(entry.ended?.disposition) }); break;
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
          {number && <div class="pop-number">{number}</div>}
        </div>
        <button class="close" aria-label={t('close')} onClick={onClose}>×</button>
      </header>
      <p class={`pop-status ${phase}`} data-testid="pop-status" data-phase={phase}>{status}</p>
      {/* A browser phone rings in the page: answer or decline right here. */}
      {phase === 'ringing' && <RingControls />}
      {pop && phase !== 'wrapup' && phase !== 'saved' && <PopDetails pop={pop} />}
      {/* Another manager's client is known, just not to this manager: a new contact would be a duplicate. */}
      {pop && !pop.contact && !pop.otherOwner && (phase === 'ringing' || phase === 'talking') && <CreateContact number={pop.prefill.number ?? ''} />}
      {phase === 'wrapup' && <WrapupForm callId={entry.callId} onSaved={onSaved} onSkip={onClose} />}
    </article>
  );
}

function otherOwnerText(o: { name: string | null }): string {
  return o.name ? t('clientOf', { owner: o.name }) : t('clientOfNobody');
}

function PopDetails({ pop }: { pop: ScreenPop }) {
  const c = pop.client;
  return (
    <div class="pop-details">
      <dl>
        <dt>{t('client')}</dt>
        <dd data-testid="pop-client-name">{c?.name ?? t('none')}</dd>
        <dt>{t('turnover')}</dt>
        <dd data-testid="pop-turnover">{c?.turnover ? t('perMonth', { amount: money(c.turnover.amount, c.turnover.currency) }) : t('none')}</dd>
        <dt>{t('owner')}</dt>
        <dd data-testid="pop-owner">{c?.owner ? `${c.owner.name}${c.owner.extension ? ` (${c.owner.extension})` : ''}` : pop.otherOwner?.name ?? t('none')}</dd>
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

function WrapupForm({ callId, onSaved, onSkip }: { callId: string; onSaved: () => void; onSkip: () => void }) {
  const outcomes = useOutcomes();
  const [description, setDescription] = useState('');
  const [outcome, setOutcome] = useState('');
  const [due, setDue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    try {
      await api.post(`/api/v1/calls/${encodeURIComponent(callId)}/wrapup`, {
        description,
        outcome,
        ...(due ? { nextStep: { dueAt: new Date(due).toISOString(), description: description || undefined } } : {}),
      });
      onSaved();
    } catch (err) {
      setError(err instanceof ApiError && err.status === 400 ? err.message : errorText(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <form data-testid="wrapup-form" class="pop-form" onSubmit={(e) => void submit(e)}>
      <label>
        {t('description')}
        <textarea data-testid="wrapup-description" rows={3} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
      </label>
      <label>
        {t('outcome')}
        <select data-testid="wrapup-outcome" required value={outcome} onChange={(e) => setOutcome(e.currentTarget.value)}>
          <option value="" disabled>{t('chooseOutcome')}</option>
          {outcomes.map((o) => <option key={o.id} value={o.id}>{o.label[language()]}</option>)}
        </select>
      </label>
      <label>
        {t('nextStep')}
        <input data-testid="wrapup-next-due" type="datetime-local" min={toLocalInput(new Date())} value={due} onInput={(e) => setDue(e.currentTarget.value)} />
      </label>
      {error && <p class="notice error" role="alert">{error}</p>}
      <div class="grid">
        <button type="submit" data-testid="wrapup-submit" aria-busy={busy} disabled={busy}>{t('save')}</button>
        <button type="button" class="secondary outline" onClick={onSkip}>{t('skip')}</button>
      </div>
    </form>
  );
}
