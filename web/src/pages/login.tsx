// Login with user name and password: POST /api/v1/auth/login sets the HttpOnly session cookie.
// The demo (GET /api/v1/auth/demo answers only there) lists its logins beside the form, one click each,
// and its users speak the browser's language: their saved language follows the browser at each login.
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

  async function signIn(name: string, pass: string) {
    setBusy(true);
    setError(null);
    try {
      const r = await api.post<{ user: User }>('/api/v1/auth/login', { username: name, password: pass });
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

  function submit(e: Event) {
    e.preventDefault();
    void signIn(username, password);
  }

  /** What a demo user is there for, in a few words. */
  function demoRole(u: DemoLogins['users'][number]): string {
    const role = tKey('role_', u.role);
    if (!u.extension) return `${role}: ${tKey('demoLoginsSees_', u.role)}`;
    const phone = `${role}, ${t('demoLoginsPhone', { ext: u.extension })}`;
    if (u.extension === '198') return `${phone} — ${t('demoLoginsNeverAnswers')}`;
    if (u.extension === '101') return `${phone} — ${t('demoLoginsFeatured')}`;
    return phone;
  }

  return (
    <main class={`container login${demo ? ' login-demo' : ''}`}>
      <article>
        <h2>{t('loginTitle')}</h2>
        <form onSubmit={submit}>
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
        <article class="demo-logins" data-testid="demo-logins">
          <h3>{t('demoLoginsTitle')}</h3>
          <p>{t('demoLoginsPassword')} <code>{demo.password}</code>. {t('demoLoginsHint')}</p>
          <ul>
            {demo.users.map((u) => (
              <li key={u.name}>
                <button type="button" class="secondary outline" data-testid={`demo-login-${u.name}`} disabled={busy}
                  onClick={() => { setUsername(u.name); setPassword(demo.password); void signIn(u.name, demo.password); }}>{u.name}</button>
                <span>{demoRole(u)}</span>
              </li>
            ))}
          </ul>
        </article>
      )}
    </main>
  );
}
