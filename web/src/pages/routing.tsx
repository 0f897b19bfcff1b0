// Routing rules (GET/PUT /api/v1/routing/rules): supervisors read them, admins change them. The rules
// are edited as the JSON the service keeps in CTI_ROUTING_FILE; the service validates and names a bad field.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api } from '../api.js';
import { errorText, useUser } from '../app.js';
import { t } from '../i18n.js';

export function RoutingPage() {
  const user = useUser();
  const canEdit = user.role === 'admin';
  const [text, setText] = useState<string | null>(null);
  const [state, setState] = useState<{ ok?: boolean; error?: string }>({});

  useEffect(() => {
    api.get<unknown>('/api/v1/routing/rules')
      .then((r) => setText(JSON.stringify(r, null, 2)))
      .catch((e) => setState({ error: errorText(e) }));
  }, []);

  async function save(e: Event) {
    e.preventDefault();
    let rules: unknown;
    try {
      rules = JSON.parse(text ?? '');
    } catch (err) {
      setState({ error: `JSON: ${err instanceof Error ? err.message : String(err)}` });
      return;
    }
    try {
      const r = await api.put<unknown>('/api/v1/routing/rules', rules);
      if (r) setText(JSON.stringify(r, null, 2));
      setState({ ok: true });
    } catch (err) {
      setState({ error: err instanceof ApiError && err.status === 400 ? err.message : errorText(err) });
    }
  }

  return (
    <section>
      <h2>{t('routingTitle')}</h2>
      <p class="muted">{t('routingHelp')}</p>
      {!canEdit && <p class="notice">{t('routingReadOnly')}</p>}
      {text === null && !state.error ? <p aria-busy="true">{t('loading')}</p> : (
        <form onSubmit={(e) => void save(e)}>
          <textarea data-testid="routing-rules" class="code" rows={24} spellcheck={false} readOnly={!canEdit} value={text ?? ''}
            onInput={(e) => { setText(e.currentTarget.value); setState({}); }} />
          {state.error && <p class="notice error" role="alert">{state.error}</p>}
          {state.ok && <p class="notice ok" role="status">{t('saved')}</p>}
          {canEdit && <button type="submit" data-testid="routing-save">{t('save')}</button>}
        </form>
      )}
    </section>
  );
}
