// The shell: who is logged in, the header (navigation, language, logout), hash routes to the pages,
// and the call panel (pops and wrap-ups) in a column the page makes room for while the user is logged in.
import { createContext } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import { ApiError, api, setUnauthorizedHandler } from './api.js';
import { setLanguage, t } from './i18n.js';
import { connectRealtime, disconnectRealtime, onServerClosed, onStatus, reconnectRealtime } from './realtime.js';
import type { Language, User } from './types.js';
import { LoginPage } from './pages/login.js';
import { ContactsPage } from './pages/contacts.js';
import { ContactCard } from './pages/contact-card.js';
import { CallsPage } from './pages/calls.js';
import { TasksPage } from './pages/tasks.js';
import { UsersPage } from './pages/users.js';
import { RoutingPage } from './pages/routing.js';
import { ReportsPage } from './pages/reports.js';
import { LivePage } from './pages/live.js';
import { CallPop } from './components/call-pop.js';
import { OverdueAlerts } from './components/overdue-alerts.js';
import { SoftphonePanel } from './softphone/softphone.js';
import { NoAccess } from './components/no-access.js';
import { resumeAll, useWrapupQueue } from './wrapup-queue.js';

interface Session {
  user: User;
  setUser: (u: User) => void;
}
const SessionContext = createContext<Session | null>(null);

export function useUser(): User {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useUser outside a session');
  return s.user;
}

export const isSupervisor = (u: User) => u.role === 'supervisor' || u.role === 'admin';

/** Plain words for an API failure. */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 0) return t('errorNetwork');
    if (e.status === 403) return t('forbidden');
    if (e.status === 404) return t('notFound');
    return t('errorGeneric', { message: e.message });
  }
  return t('errorGeneric', { message: e instanceof Error ? e.message : String(e) });
}

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return hash;
}

export function navigate(to: string): void {
  location.hash = to;
}

function Page({ hash }: { hash: string }) {
  const user = useUser();
  const path = hash.replace(/^#/, '') || '/contacts';
  const [base, id] = path.split('?')[0]!.split('/').filter(Boolean);
  if (base === 'contacts' && id) return <ContactCard id={id} />;
  if (base === 'calls') return <CallsPage />;
  if (base === 'tasks') return <TasksPage />;
  // A page the user may not open says so, and who may (the API answers 403 as well).
  if (base === 'users') return user.role === 'admin' ? <UsersPage /> : <NoAccess title="usersTitle" who="admins" />;
  if (base === 'routing') return isSupervisor(user) ? <RoutingPage /> : <NoAccess title="routingTitle" who="supervisors" />;
  if (base === 'reports') return isSupervisor(user) ? <ReportsPage tab={id} /> : <NoAccess title="reportsTitle" who="supervisors" />;
  if (base === 'live') return isSupervisor(user) ? <LivePage /> : <NoAccess title="liveTitle" who="supervisors" />;
  return <ContactsPage />;
}

function Header({ user, setUser, onLogout, online }: { user: User; setUser: (u: User) => void; onLogout: () => void; online: boolean }) {
  const hash = useHash();
  const owed = useWrapupQueue().length;
  const link = (to: string, label: string) => (
    <li>
      <a href={`#${to}`} aria-current={hash.startsWith(`#${to}`) ? 'page' : undefined}>{label}</a>
    </li>
  );
  async function switchLanguage(lang: Language) {
    setLanguage(lang);
    setUser({ ...user, language: lang });
    try {
      const r = await api.patch<{ user: User }>('/api/v1/auth/me', { language: lang });
      if (r?.user) setUser(r.user);
    } catch {
      // The page is already in the new language; it is only not remembered for next time.
    }
  }
  return (
    <header class="container-fluid app-header">
      <nav>
        <ul>
          <li><strong>{t('appName')}</strong></li>
          {link('/contacts', t('navContacts'))}
          {link('/calls', t('navCalls'))}
          {link('/tasks', t('navTasks'))}
          {user.role === 'admin' && link('/users', t('navUsers'))}
          {isSupervisor(user) && link('/routing', t('navRouting'))}
          {isSupervisor(user) && link('/reports', t('navReports'))}
          {isSupervisor(user) && link('/live', t('navLive'))}
        </ul>
        <ul>
          {owed > 0 && (
            <li>
              {/* The wrap-ups left for later (and the one being written): "Write now" brings them back to the panel. */}
              <button class="outline wrapups-owed" data-testid="wrapup-pending" title={t('writeNow')} onClick={resumeAll}>
                {t('pendingWrapups')} <span class="count" data-testid="pending-count">{owed}</span>
              </button>
            </li>
          )}
          <li class="muted">
            {user.name}{user.extension ? ` · ${user.extension}` : ''}
          </li>
          <li>
            <select
              data-testid="language-switch"
              aria-label={t('language')}
              value={user.language}
              onChange={(e) => void switchLanguage((e.currentTarget as HTMLSelectElement).value as Language)}
            >
              <option value="ru">Русский</option>
              <option value="en">English</option>
            </select>
          </li>
          <li>
            <button class="secondary outline" data-testid="logout" onClick={onLogout}>{t('logout')}</button>
          </li>
        </ul>
      </nav>
      {!online && <p class="notice warn" role="status">{t('realtimeOffline')}</p>}
    </header>
  );
}

export function App() {
  const [user, setUserState] = useState<User | null | undefined>(undefined);
  const [online, setOnline] = useState(true);
  const hash = useHash();

  const setUser = (u: User | null) => {
    if (u) setLanguage(u.language);
    setUserState(u);
  };

  useEffect(() => {
    setUnauthorizedHandler(() => {
      disconnectRealtime();
      setUserState(null);
    });
    api.get<{ user: User }>('/api/v1/auth/me', undefined, true)
      .then((r) => setUser(r.user))
      .catch(() => setUser(null));
  }, []);

  useEffect(() => {
    if (!user) return;
    connectRealtime();
    const offStatus = onStatus(setOnline);
    // The service ended the socket: who are we now? A 401 shows the login page (the unauthorized
    // handler above); otherwise the new user (another extension) and a new socket in its rooms. While
    // the service is unreachable (a restart), ask again with backoff.
    let retry: ReturnType<typeof setTimeout> | undefined;
    const recheck = (delay: number) => {
      clearTimeout(retry);
      retry = setTimeout(() => {
        api.get<{ user: User }>('/api/v1/auth/me')
          .then((r) => {
            setUser(r.user);
            reconnectRealtime();
          })
          .catch((err: unknown) => {
            if (!(err instanceof ApiError && err.status === 401)) recheck(Math.min(30_000, Math.max(1000, delay * 2)));
          });
      }, delay);
    };
    const offClosed = onServerClosed(() => recheck(0));
    return () => {
      clearTimeout(retry);
      offStatus();
      offClosed();
    };
  }, [user?.id]);

  async function logout() {
    try {
      await api.post('/api/v1/auth/logout');
    } finally {
      disconnectRealtime();
      setUserState(null);
    }
  }

  if (user === undefined) return <main class="container"><p aria-busy="true">{t('loading')}</p></main>;
  if (user === null) return <LoginPage onLogin={(u) => setUser(u)} />;
  return (
    <SessionContext.Provider value={{ user, setUser: (u) => setUser(u) }}>
      <div class="app-shell">
        {/* key: the whole page re-renders in the new language */}
        <div key={user.language} class="app-page">
          <Header user={user} setUser={(u) => setUser(u)} onLogout={() => void logout()} online={online} />
          <main class="container-fluid">
            <Page hash={hash} />
          </main>
          {isSupervisor(user) && <OverdueAlerts />}
        </div>
        {/* Outside the keyed div: switching the language re-renders the panel, it must not drop the live
            pops and the wrap-up being written. */}
        <CallPop />
      </div>
      {/* Outside the keyed div: switching the language must not re-register the phone. */}
      {user.phoneMode === 'browser' && user.extension && <SoftphonePanel key={`${user.id}:${user.extension}`} />}
    </SessionContext.Provider>
  );
}
