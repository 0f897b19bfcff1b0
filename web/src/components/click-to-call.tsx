// Click-to-call: POST /api/v1/calls/click-to-call, then the live stages from c2c:progress for our
// requestId (calling you -> calling the client -> talking -> ended, or failed with a reason said plainly).
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api } from '../api.js';
import { t, tKey } from '../i18n.js';
import { subscribe } from '../realtime.js';
import { expectClickToCall } from '../softphone/softphone.js';
import type { C2cProgress } from '../types.js';

type Status = { stage: 'requested' | C2cProgress['stage']; reason?: string } | { error: string } | null;

export function ClickToCall({ number, contactId, label }: { number: string; contactId?: string; label?: string }) {
  const [status, setStatus] = useState<Status>(null);
  const requestId = useRef<string | null>(null);
  // Progress can arrive before the POST's answer does: keep it until we know our requestId.
  const early = useRef<C2cProgress[]>([]);

  useEffect(() => subscribe('c2c:progress', (p) => {
    if (requestId.current === null) early.current.push(p);
    else if (p.requestId === requestId.current) setStatus({ stage: p.stage, reason: p.reason });
  }), []);

  async function call() {
    requestId.current = null;
    early.current = [];
    setStatus({ stage: 'requested' });
    try {
      const r = await api.post<{ requestId: string }>('/api/v1/calls/click-to-call', { number, ...(contactId ? { contactId } : {}) });
      requestId.current = r.requestId;
      // A browser phone answers the ring carrying this id at once (it is the manager's own call).
      expectClickToCall(r.requestId);
      const mine = early.current.filter((p) => p.requestId === r.requestId);
      early.current = [];
      const last = mine[mine.length - 1];
      if (last) setStatus({ stage: last.stage, reason: last.reason });
    } catch (e) {
      requestId.current = '';
      if (e instanceof ApiError && e.code === 'CTI_ERR_NO_EXTENSION') setStatus({ error: t('c2cNoExtension') });
      // The dial policy (README, "Which numbers may be dialled"): why, in the user's language.
      else if (e instanceof ApiError && e.code === 'CTI_ERR_DESTINATION_DENIED') setStatus({ error: tKey('c2cDenied_', String(e.details['reason'] ?? 'region')) });
      else if (e instanceof ApiError && e.code === 'CTI_ERR_DIAL_RATE_LIMITED') {
        setStatus({ error: t('c2cRateLimited', { max: String(e.details['max'] ?? ''), seconds: String(e.details['retryAfterSeconds'] ?? 60) }) });
      } else if (e instanceof ApiError && e.code === 'CTI_ERR_DIAL_CONCURRENCY_LIMITED') setStatus({ error: t('c2cTooManyAtOnce', { max: String(e.details['max'] ?? '') }) });
      else if (e instanceof ApiError && e.status === 400) setStatus({ error: t('c2cBadNumber') });
      else if (e instanceof ApiError && e.status === 503) setStatus({ error: t('c2cPbxDown') });
      else if (e instanceof ApiError && e.status === 403) setStatus({ error: t('forbidden') });
      else if (e instanceof ApiError && e.status === 0) setStatus({ error: t('errorNetwork') });
      else setStatus({ error: t('errorGeneric', { message: e instanceof Error ? e.message : String(e) }) });
    }
  }

  const busy = status !== null && 'stage' in status && ['requested', 'calling_you', 'calling_client', 'talking'].includes(status.stage);
  let text = '';
  let tone = '';
  if (status && 'error' in status) {
    text = status.error;
    tone = 'error';
  } else if (status) {
    text = tKey('c2c_', status.stage);
    if (status.reason) text += ` ${tKey('c2cReason_', status.reason)}`;
    tone = status.stage === 'failed' ? 'error' : status.stage === 'talking' ? 'ok' : '';
  }
  return (
    <span class="c2c">
      <button type="button" class="c2c-button" data-testid="c2c-button" disabled={busy} aria-busy={busy}
        title={t('callNumber', { number })} onClick={() => void call()}>
        {label ?? t('call')}
      </button>
      {status && <span class={`c2c-status ${tone}`} data-testid="c2c-status" data-stage={'stage' in status ? status.stage : 'error'} role="status">{text}</span>}
    </span>
  );
}
