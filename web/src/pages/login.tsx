// Login with user name and password: POST /api/v1/auth/login sets the HttpOnly session cookie.
import { useState } from 'preact/hooks';
import { ApiError, api } from '../api.js';
import { t } from '../i18n.js';
import type { User } from '../types.js';

export function LoginPage({ onLogin }: { onLogin: (u: User) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await api.post<{ user: User }>('/api/v1/auth/login', { username, password });
      onLogin(r.user);
    } catch (err) {
      if (err instanceof ApiError && err.status === 429) setError(t('tooManyAttempts'));
      else if (err instanceof ApiError && (err.status === 401 || err.status === 400)) setError(t('loginFailed'));
      else if (err instanceof ApiError && err.status === 0) setError(t('errorNetwork'));
      else setError(t('errorGeneric', { message: err instanceof Error ? err.message : String(err) }));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="container login">
      <article>
        <h2>{t('loginTitle')}</h2>
        <form onSubmit={(e) => void submit(e)}>
          <label>
            {t('username')}
            <input data-testid="login-username" name="username" autocomplete="username" required value={username}
              onInput={(e) => setUsername(e.currentTarget.value)} />
          </label>
          <label>
            {t('password')}
            <input data-testid="login-password" name="password" type="password" autocomplete="current-password" required
              value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
          </label>
          {error && <p class="notice error" role="alert" data-testid="login-error">{error}</p>}
          <button data-testid="login-submit" type="submit" aria-busy={busy} disabled={busy}>{t('signIn')}</button>
        </form>
      </article>
    </main>
  );
}
