// Admin: users with their role, extension, mobile and language; a new user; a password reset; removal.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api } from '../api.js';
import { errorText, useUser } from '../app.js';
import { t, tKey } from '../i18n.js';
import { ROLES, type Language, type PhoneMode, type Role, type User } from '../types.js';
import { MAIN_PBX, severalPbxs, usePbxes, type PbxItem } from '../pbxes.js';

/** Which PBX an extension is on (several PBXs: 101 on each is two phones, two people). */
function PbxPicker({ list, value, onChange, testid }: { list: readonly PbxItem[]; value: string; onChange: (id: string) => void; testid: string }) {
  return (
    <select data-testid={testid} aria-label={t('pbx')} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
      {list.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
      {/* A PBX no longer configured stays what it is until someone chooses another. */}
      {!list.some((p) => p.id === value) && <option value={value}>{value}</option>}
    </select>
  );
}

function message(e: unknown): string {
  // One extension, one person: say whose it is, in the page's language.
  if (e instanceof ApiError && e.code === 'CTI_ERR_EXTENSION_TAKEN') {
    return t('extensionTaken', { extension: String(e.details.extension ?? ''), user: String(e.details.user ?? '') });
  }
  if (e instanceof ApiError && e.code === 'CTI_ERR_MOBILE_TAKEN') {
    return t('mobileTaken', { mobile: String(e.details.mobile ?? ''), user: String(e.details.user ?? '') });
  }
  if (e instanceof ApiError && e.status === 400 && /^mobile:/.test(e.message)) return t('mobileInvalid');
  return e instanceof ApiError && (e.status === 400 || e.status === 409) ? e.message : errorText(e);
}

function UserRow({ user, pbxList, onChanged, onDeleted }: { user: User; pbxList: readonly PbxItem[]; onChanged: (u: User) => void; onDeleted: () => void }) {
  const me = useUser();
  const several = severalPbxs(pbxList);
  const [pbx, setPbx] = useState(user.pbx ?? MAIN_PBX);
  const [role, setRole] = useState<Role>(user.role);
  const [extension, setExtension] = useState(user.extension ?? '');
  const [mobile, setMobile] = useState(user.mobile ?? '');
  const [language, setLanguage] = useState<Language>(user.language);
  const [phoneMode, setPhoneMode] = useState<PhoneMode>(user.phoneMode);
  const [password, setPassword] = useState('');
  const [state, setState] = useState<{ ok?: boolean; error?: string }>({});
  async function save() {
    try {
      const body: Record<string, unknown> = { role, extension: extension || null, mobile: mobile.trim() || null, language, phoneMode };
      if (password) body['password'] = password;
      if (several) body['pbx'] = pbx;
      const r = await api.patch<User | { user: User }>(`/api/v1/users/${encodeURIComponent(user.id)}`, body);
      const u = r && 'user' in r ? r.user : (r as User | undefined);
      onChanged(u ?? { ...user, role, extension: extension || null, mobile: mobile.trim() || null, language, phoneMode, ...(several ? { pbx } : {}) });
      if (u) setMobile(u.mobile ?? '');
      setPassword('');
      setState({ ok: true });
    } catch (e) {
      // The extension stays what is saved, so the table never shows one extension on two rows.
      if (e instanceof ApiError && e.code === 'CTI_ERR_EXTENSION_TAKEN') {
        setExtension(user.extension ?? '');
        setPbx(user.pbx ?? MAIN_PBX);
      }
      if (e instanceof ApiError && e.code === 'CTI_ERR_MOBILE_TAKEN') setMobile(user.mobile ?? '');
      setState({ error: message(e) });
    }
  }
  async function remove() {
    if (!confirm(t('confirmDelete', { name: user.name }))) return;
    try {
      await api.del(`/api/v1/users/${encodeURIComponent(user.id)}`);
      onDeleted();
    } catch (e) {
      setState({ error: message(e) });
    }
  }
  return (
    <>
    <tr data-testid="user-row" data-user={user.name}>
      <td>{user.name}</td>
      <td>
        <select value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
          {ROLES.map((r) => <option key={r} value={r}>{tKey('role_', r)}</option>)}
        </select>
      </td>
      {/* With several PBXs, under the extension: the PBX it is on (the table keeps its width). */}
      <td class="extension-cell">
        <input class="extension" aria-label={t('extension')} value={extension} inputMode="numeric" pattern="[0-9]{2,6}" onInput={(e) => setExtension(e.currentTarget.value)} />
        {several && <PbxPicker list={pbxList} value={pbx} onChange={setPbx} testid="user-pbx" />}
      </td>
      <td>
        <select value={language} onChange={(e) => setLanguage(e.currentTarget.value as Language)}>
          <option value="ru">Русский</option>
          <option value="en">English</option>
        </select>
      </td>
      <td class="phone">
        <select data-testid="user-phone-mode" aria-label={t('phoneMode')} value={phoneMode} onChange={(e) => setPhoneMode(e.currentTarget.value as PhoneMode)}>
          <option value="desk">{t('phoneMode_desk')}</option>
          <option value="browser">{t('phoneMode_browser')}</option>
        </select>
        {/* Under where the calls ring: the mobile that forwarding and follow-me ring after it. */}
        <input class="mobile" data-testid="user-mobile" type="tel" autocomplete="off" aria-label={t('mobile')} title={t('mobileTitle')}
          placeholder={t('mobile')} value={mobile} onInput={(e) => setMobile(e.currentTarget.value)} />
      </td>
      <td><input type="password" autocomplete="new-password" placeholder={t('newPassword')} value={password} onInput={(e) => setPassword(e.currentTarget.value)} /></td>
      <td class="actions">
        <button class="small" onClick={() => void save()}>{t('save')}</button>
        {user.id !== me.id && <button class="small secondary outline" onClick={() => void remove()}>{t('delete')}</button>}
        {state.ok && <small class="ok"> {t('saved')}</small>}
      </td>
    </tr>
    {/* The row's error on a line of its own, the table's whole width: the actions column is narrow. */}
    {state.error && (
      <tr class="row-error"><td colSpan={7}><small class="error" role="alert" data-testid="user-row-error">{state.error}</small></td></tr>
    )}
    </>
  );
}

export function UsersPage() {
  const [users, setUsers] = useState<User[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [draft, setDraft] = useState({ name: '', role: 'manager' as Role, extension: '', mobile: '', language: 'ru' as Language, phoneMode: 'desk' as PhoneMode, password: '' });
  const pbxList = usePbxes();
  const several = severalPbxs(pbxList);
  const [draftPbx, setDraftPbx] = useState(MAIN_PBX);

  useEffect(() => {
    api.get<User[] | { items: User[] }>('/api/v1/users')
      .then((r) => setUsers(Array.isArray(r) ? r : r.items))
      .catch((e) => setError(errorText(e)));
  }, []);

  async function create(e: Event) {
    e.preventDefault();
    try {
      const r = await api.post<User | { user: User }>('/api/v1/users', {
        ...draft, extension: draft.extension || undefined, mobile: draft.mobile.trim() || undefined, ...(several ? { pbx: draftPbx } : {}),
      });
      const u = 'user' in r ? r.user : r;
      setUsers((l) => [...(l ?? []), u]);
      setDraft({ ...draft, name: '', extension: '', mobile: '', password: '' });
      setError(null);
    } catch (err) {
      setError(message(err));
    }
  }

  return (
    <section>
      <h2>{t('usersTitle')}</h2>
      {error && <p class="notice error" role="alert">{error}</p>}
      {users === null ? <p aria-busy="true">{t('loading')}</p> : (
        <div class="overflow-auto">
          <table class="striped users">
            <thead>
              <tr><th>{t('name')}</th><th>{t('role')}</th><th>{several ? `${t('extension')} · ${t('pbx')}` : t('extension')}</th><th>{t('language')}</th><th>{t('phoneMode')}</th><th>{t('password')}</th><th /></tr>
            </thead>
            <tbody>
              {users.map((u) => (
                <UserRow key={u.id} user={u} pbxList={pbxList}
                  onChanged={(nu) => setUsers((l) => (l ?? []).map((x) => (x.id === nu.id ? nu : x)))}
                  onDeleted={() => setUsers((l) => (l ?? []).filter((x) => x.id !== u.id))} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <article>
        <h4>{t('newUser')}</h4>
        <form class="new-user" onSubmit={(e) => void create(e)}>
          <input required placeholder={t('username')} aria-label={t('username')} value={draft.name} onInput={(e) => setDraft({ ...draft, name: e.currentTarget.value })} />
          <select aria-label={t('role')} value={draft.role} onChange={(e) => setDraft({ ...draft, role: e.currentTarget.value as Role })}>
            {ROLES.map((r) => <option key={r} value={r}>{tKey('role_', r)}</option>)}
          </select>
          <input placeholder={t('extension')} aria-label={t('extension')} inputMode="numeric" value={draft.extension} onInput={(e) => setDraft({ ...draft, extension: e.currentTarget.value })} />
          {several && <PbxPicker list={pbxList} value={draftPbx} onChange={setDraftPbx} testid="new-user-pbx" />}
          <input type="tel" autocomplete="off" placeholder={t('mobile')} aria-label={t('mobile')} title={t('mobileTitle')} value={draft.mobile} onInput={(e) => setDraft({ ...draft, mobile: e.currentTarget.value })} />
          <select aria-label={t('language')} value={draft.language} onChange={(e) => setDraft({ ...draft, language: e.currentTarget.value as Language })}>
            <option value="ru">Русский</option>
            <option value="en">English</option>
          </select>
          <select aria-label={t('phoneMode')} value={draft.phoneMode} onChange={(e) => setDraft({ ...draft, phoneMode: e.currentTarget.value as PhoneMode })}>
            <option value="desk">{t('phoneMode_desk')}</option>
            <option value="browser">{t('phoneMode_browser')}</option>
          </select>
          <input required type="password" autocomplete="new-password" placeholder={t('password')} aria-label={t('password')} value={draft.password} onInput={(e) => setDraft({ ...draft, password: e.currentTarget.value })} />
          <button type="submit">{t('add')}</button>
        </form>
      </article>
    </section>
  );
}
