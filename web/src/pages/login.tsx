// Login with user name and password: POST /api/v1/auth/login sets the HttpOnly session cookie.
// The demo (GET /api/v1/auth/demo answers only there) lists its logins here, and its users speak the
// browser's language: their saved language follows the browser at each login.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api } from '../api.js';
import { browserLanguage, t, tKey } from '../i18n.js';
import type { User } from '../types.js';

interface DemoLogins {
  password: string;
  users: { name: string; role: string; extension: string | null }[];
}

export function LoginPage({ onLogin }: { onLogin: (u: User) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [demo, setDemo] = useState<DemoLogins | null>(null);

  useEffect(() => {
    api.get<DemoLogins>('/api/v1/auth/demo', undefined, true).then(setDemo, () => setDemo(null));
  }, []);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await api.post<{ user: User }>('/api/v1/auth/login', { username, password });
      const lang = browserLanguage();
      if (demo && r.user.language !== lang) {
        const me = await api.patch<{ user: User }>('/api/v1/auth/me', { language: lang }).catch(() => null);
        onLogin(me?.user ?? { ...r.user, language: lang });
      } else onLogin(r.user);
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
      {demo && (
        <article data-testid="demo-logins">
          <h3>{t('demoLoginsTitle')}</h3>
          <p>{t('demoLoginsPassword')} <code>{demo.password}</code></p>
          <ul style={{ listStyle: 'none', padding: 0, margin: 0 }}>
            {demo.users.map((u) => (
              <li key={u.name} style={{ listStyle: 'none', margin: '0 0 0.25rem' }}>
                <button type="button" class="secondary outline" style={{ padding: '0.1rem 0.6rem', width: '5.5rem', margin: 0 }} data-testid={`demo-login-${u.name}`}
                  onClick={() => { setUsername(u.name); setPassword(demo.password); }}>{u.name}</button>{' '}
                {tKey('role_', u.role)}{u.extension ? `, ${t('demoLoginsPhone', { ext: u.extension })}` : ''}
                {u.extension === '198' ? ` (${t('demoLoginsNeverAnswers')})` : ''}
              </li>
            ))}
          </ul>
        </article>
      )}
    </main>
  );
}
