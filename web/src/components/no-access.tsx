// The page a user may not open (a manager at #/reports, #/live, #/routing; anyone but an admin at
// #/users): one notice, saying who may open it, in place of the page, never a silent redirect.
import { t, type MessageKey } from '../i18n.js';

export type Audience = 'supervisors' | 'admins';

export function NoAccess({ title, who }: { title: MessageKey; who: Audience }) {
  return (
    <section data-testid="no-access" data-who={who}>
      <h2>{t(title)}</h2>
      <p class="notice error" role="alert">{t(who === 'admins' ? 'noAccess_admins' : 'noAccess_supervisors')}</p>
    </section>
  );
}
