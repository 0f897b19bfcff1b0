// The wrap-up of one call: what it was about, an outcome, and a time to call back (a task). Written in the
// pop panel when the call ends, or afterwards (and edited) from the calls list and the contact card; the
// service allows it to the manager who answered the call and to supervisors (POST/PUT
// /api/v1/calls/:id/wrapup).
import { useState } from 'preact/hooks';
import { ApiError, api } from '../api.js';
import { errorText } from '../app.js';
import { language, t } from '../i18n.js';
import { toLocalInput } from '../format.js';
import { DateTimeInput } from './date-input.js';
import { announceSaved } from '../wrapup-queue.js';
import type { Wrapup } from '../types.js';
import { useOutcomes } from './calls-table.js';

export function WrapupForm({ callId, initial, onSaved, onLater, laterLabel }: {
  callId: string;
  initial?: Wrapup | null;
  onSaved: () => void;
  onLater: () => void;
  laterLabel?: string;
}) {
  const outcomes = useOutcomes();
  const [description, setDescription] = useState(initial?.description ?? '');
  const [outcome, setOutcome] = useState(initial?.outcome ?? '');
  const [due, setDue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    try {
      const body = {
        description,
        outcome,
        ...(due ? { nextStep: { dueAt: new Date(due).toISOString(), description: description || undefined } } : {}),
      };
      const url = `/api/v1/calls/${encodeURIComponent(callId)}/wrapup`;
      await (initial ? api.put(url, body) : api.post(url, body));
      announceSaved(callId);
      onSaved();
    } catch (err) {
      setError(err instanceof ApiError && err.status === 400 ? err.message : errorText(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <form data-testid="wrapup-form" data-call-id={callId} class="pop-form" onSubmit={(e) => void submit(e)}>
      <label>
        {t('description')}
        <textarea data-testid="wrapup-description" rows={2} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
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
        {/* Not type="datetime-local": Chromium writes it in the browser's locale (issue 11, item 10). */}
        <DateTimeInput testid="wrapup-next-due" min={toLocalInput(new Date())} value={due} onChange={setDue} />
      </label>
      {error && <p class="notice error" role="alert">{error}</p>}
      <div class="grid">
        <button type="submit" data-testid="wrapup-submit" aria-busy={busy} disabled={busy}>{t('save')}</button>
        <button type="button" data-testid="wrapup-later" class="secondary outline" onClick={onLater}>{laterLabel ?? t('skip')}</button>
      </div>
    </form>
  );
}
