// Contacts with search (names, e-mails, numbers in any format; GET /api/v1/contacts?q). A manager sees
// only their own clients' contacts: the service filters, the page just lists what it gets. "New client"
// and "New contact" open the forms (components/contact-forms.tsx); a new client goes on to its contact.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { errorText, navigate } from '../app.js';
import { t } from '../i18n.js';
import { phoneText } from '../format.js';
import { ClientForm, ContactForm } from '../components/contact-forms.js';
import type { Client, Contact, Page } from '../types.js';

const clientCache = new Map<string, Promise<Client | null>>();
/** A client by id, fetched once per page load (the list shows each contact's client name). */
export function clientById(id: string): Promise<Client | null> {
  let p = clientCache.get(id);
  if (!p) {
    p = api.get<Client>(`/api/v1/clients/${encodeURIComponent(id)}`).catch(() => null);
    clientCache.set(id, p);
  }
  return p;
}
export function forgetClient(id: string): void {
  clientCache.delete(id);
}

export function ContactsPage() {
  const [q, setQ] = useState('');
  const [items, setItems] = useState<Contact[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [clients, setClients] = useState<Record<string, Client | null>>({});
  const [error, setError] = useState<string | null>(null);
  // Which form is open: a new client, or a new contact (of the client just created, if any).
  const [form, setForm] = useState<{ kind: 'client' } | { kind: 'contact'; client: Client | null } | null>(null);

  async function load(query: string, cursor: string | null) {
    try {
      const r = await api.get<Page<Contact>>('/api/v1/contacts', { q: query.trim() || undefined, limit: 50, cursor });
      setItems((prev) => (cursor && prev ? [...prev, ...r.items] : r.items));
      setNext(r.nextCursor);
      setError(null);
      for (const id of new Set(r.items.map((c) => c.clientId))) {
        void clientById(id).then((c) => setClients((m) => ({ ...m, [id]: c })));
      }
    } catch (e) {
      setError(errorText(e));
    }
  }

  useEffect(() => {
    const timer = setTimeout(() => void load(q, null), q ? 250 : 0);
    return () => clearTimeout(timer);
  }, [q]);

  return (
    <section>
      <h2>{t('contactsTitle')}</h2>
      <div class="page-actions">
        <button type="button" data-testid="new-client" class={form?.kind === 'client' ? 'secondary' : 'outline'} onClick={() => setForm({ kind: 'client' })}>+ {t('newClient')}</button>
        <button type="button" data-testid="new-contact" class={form?.kind === 'contact' ? 'secondary' : 'outline'} onClick={() => setForm({ kind: 'contact', client: null })}>+ {t('newContact')}</button>
      </div>
      {form?.kind === 'client' && (
        <article>
          <ClientForm onCancel={() => setForm(null)} onSaved={(c) => {
            forgetClient(c.id);
            setForm({ kind: 'contact', client: c });
          }} />
        </article>
      )}
      {form?.kind === 'contact' && (
        <article>
          {form.client && <p class="notice ok" role="status" data-testid="client-created">{t('clientCreatedAddContact', { name: form.client.name })}</p>}
          <ContactForm key={form.client?.id ?? ''} clientId={form.client?.id} onCancel={() => setForm(null)} onSaved={(c) => navigate(`/contacts/${c.id}`)} />
        </article>
      )}
      <input type="search" data-testid="contacts-search" placeholder={t('search')} aria-label={t('search')} value={q}
        onInput={(e) => setQ(e.currentTarget.value)} />
      {error && <p class="notice error" role="alert">{error}</p>}
      {items === null ? <p aria-busy="true">{t('loading')}</p> : items.length === 0 ? <p class="muted">{t('noContacts')}</p> : (
        <table class="striped contacts">
          <thead>
            <tr><th>{t('name')}</th><th>{t('client')}</th><th>{t('phones')}</th><th>{t('email')}</th></tr>
          </thead>
          <tbody>
            {items.map((c) => (
              <tr key={c.id} data-testid="contact-row" data-contact-id={c.id} class="clickable" onClick={() => navigate(`/contacts/${c.id}`)}>
                <td><a href={`#/contacts/${c.id}`}>{c.name}</a></td>
                <td>{clients[c.clientId]?.name ?? ''}</td>
                <td>{c.phones.map((p) => (p.e164 ? phoneText(p.e164) : p.number)).join(', ')}</td>
                <td>{c.email ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {next && <button class="secondary" onClick={() => void load(q, next)}>{t('more')}</button>}
    </section>
  );
}
