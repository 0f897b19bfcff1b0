// One contact: the client with its turnover and owner, the contact's numbers with click-to-call, its
// calls (with recordings and wrap-ups) and open tasks. Refreshes when a call of ours ends or a task changes.
// Whoever may change the client (its owner manager, supervisors, admins) edits the contact and the client here.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { errorText, useUser } from '../app.js';
import { t } from '../i18n.js';
import { money } from '../format.js';
import { personLabel, usePbxes, MAIN_PBX } from '../pbxes.js';
import { subscribe } from '../realtime.js';
import { CallsTable } from '../components/calls-table.js';
import { CsvLink } from '../components/csv-link.js';
import { ClickToCall } from '../components/click-to-call.js';
import { ClientForm, ContactForm, mayEditClient } from '../components/contact-forms.js';
import { TaskList } from '../components/task-list.js';
import type { Call, Client, Contact, Lookup, Owner, Page, Task } from '../types.js';
import { clientById, forgetClient } from './contacts.js';

interface CardData {
  contact: Contact;
  client: Client | null;
  owner: Owner | null;
  calls: Call[];
  tasks: Task[];
}

async function ownerOf(contact: Contact, client: Client | null, me: Owner): Promise<Owner | null> {
  if (!client?.ownerId) return null;
  if (client.ownerId === me.id) return me;
  // The client view carries only ownerId; the lookup by one of the contact's numbers names the owner.
  for (const p of contact.phones) {
    try {
      const l = await api.get<Lookup>('/api/v1/contacts/lookup', { number: p.e164 || p.number });
      if (l.client.id === client.id && l.owner) return l.owner;
    } catch {
      // try the next number
    }
  }
  return { id: client.ownerId, name: client.ownerId, extension: null, pbx: MAIN_PBX };
}

export function ContactCard({ id }: { id: string }) {
  const me = useUser();
  const pbxList = usePbxes();
  const [data, setData] = useState<CardData | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const [editing, setEditing] = useState<'contact' | 'client' | null>(null);
  const [saved, setSaved] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    (async () => {
      try {
        const contact = await api.get<Contact>(`/api/v1/contacts/${encodeURIComponent(id)}`);
        forgetClient(contact.clientId);
        const [client, calls, tasks] = await Promise.all([
          clientById(contact.clientId),
          api.get<Page<Call>>('/api/v1/calls', { contactId: id, limit: 20 }),
          api.get<Page<Task>>('/api/v1/tasks', { state: 'open', limit: 100 }).catch(() => ({ items: [] as Task[], nextCursor: null })),
        ]);
        const owner = await ownerOf(contact, client, { id: me.id, name: me.name, extension: me.extension, pbx: me.pbx ?? MAIN_PBX });
        const own = tasks.items.filter((x) => x.contactId === id || (x.contactId === null && x.clientId === contact.clientId));
        if (live) setData({ contact, client, owner, calls: calls.items, tasks: own });
        setError(null);
      } catch (e) {
        if (live) setError(errorText(e));
      }
    })();
    return () => {
      live = false;
    };
  }, [id, tick]);

  // A call or a task of ours changed: the card shows it without a reload.
  useEffect(() => {
    const refresh = () => setTimeout(() => setTick((n) => n + 1), 1500);
    const offs = [
      subscribe('call:ended', refresh),
      subscribe('task:created', refresh),
      subscribe('task:updated', refresh),
    ];
    const onSaved = () => setTick((n) => n + 1);
    addEventListener('cti:wrapup-saved', onSaved);
    return () => {
      offs.forEach((off) => off());
      removeEventListener('cti:wrapup-saved', onSaved);
    };
  }, []);

  if (error) return <section><a href="#/contacts">{t('backToList')}</a><p class="notice error" role="alert">{error}</p></section>;
  if (!data) return <p aria-busy="true">{t('loading')}</p>;
  const { contact, client, owner, calls, tasks } = data;
  const mayEdit = mayEditClient(me, client);
  const done = (message: string) => {
    setEditing(null);
    setSaved(message);
    forgetClient(contact.clientId);
    setTick((n) => n + 1);
  };
  return (
    <section data-testid="contact-card" data-contact-id={contact.id}>
      <a href="#/contacts">{t('backToList')}</a>
      <article>
        <header>
          <h2 data-testid="contact-name">{contact.name}</h2>
          {contact.email && <a href={`mailto:${contact.email}`}>{contact.email}</a>}
        </header>
        <div class="grid facts">
          <div><small class="muted">{t('client')}</small><div data-testid="contact-client">{client?.name ?? t('none')}</div></div>
          <div><small class="muted">{t('turnover')}</small><div data-testid="contact-turnover">
            {client?.turnover ? t('perMonth', { amount: money(client.turnover, client.currency) }) : t('none')}
          </div></div>
          <div><small class="muted">{t('owner')}</small><div data-testid="contact-owner">{owner ? personLabel(pbxList, owner) : t('none')}</div></div>
          {client?.segment && <div><small class="muted">{t('segment')}</small><div>{client.segment}</div></div>}
        </div>
        <h4>{t('phones')}</h4>
        <ul class="phones">
          {contact.phones.map((p) => (
            <li key={p.e164 + p.number}>
              <span class="phone">{p.number}</span>{p.label && <small class="muted"> {p.label}</small>}{' '}
              <ClickToCall number={p.e164 || p.number} contactId={contact.id} />
            </li>
          ))}
        </ul>
        {mayEdit && editing === null && (
          <div class="card-actions">
            <button type="button" class="outline" data-testid="edit-contact" onClick={() => { setSaved(null); setEditing('contact'); }}>{t('editContact')}</button>
            {client && <button type="button" class="outline secondary" data-testid="edit-client" onClick={() => { setSaved(null); setEditing('client'); }}>{t('editClient')}</button>}
          </div>
        )}
        {saved && <p class="notice ok" role="status" data-testid="card-saved">{saved}</p>}
      </article>
      {editing === 'contact' && (
        <article><ContactForm contact={contact} currentClient={client} onCancel={() => setEditing(null)} onSaved={() => done(t('contactSaved'))} /></article>
      )}
      {editing === 'client' && client && (
        <article><ClientForm client={client} onCancel={() => setEditing(null)} onSaved={() => done(t('clientSaved'))} /></article>
      )}
      <h3>{t('openTasks')}</h3>
      <TaskList tasks={tasks} onChanged={() => setTick((n) => n + 1)} />
      <h3>{t('contactCalls')}</h3>
      <div class="table-actions">
        <CsvLink path="/api/v1/calls" query={{ contactId: contact.id }} filename="calls.csv" testid="contact-calls-csv" />
      </div>
      <CallsTable calls={calls} contactLinks={false} />
    </section>
  );
}
