// Forms to create and edit a client (name, kind, turnover, owner) and a contact (name, e-mail, numbers,
// client), on the contacts page and the contact card. The service decides (src/contacts/context.ts); the
// forms only offer what it would allow, so nobody is shown a button that ends in 403:
//   - a manager changes their own clients and those clients' contacts; a client they create is theirs,
//     and they cannot give it to someone else (no owner field);
//   - supervisors and admins change every client and contact, and choose any owner.
// A refusal is shown under the field the service names ("phones/0/number: ..."), in the page's language.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import { errorText, isSupervisor, useUser } from '../app.js';
import { t } from '../i18n.js';
import type { Client, Contact, Manager, User } from '../types.js';
import { useManagers } from '../managers.js';
import { personLabel, usePbxes } from '../pbxes.js';

/** Whether the user may change this client and its contacts (the service's assertSeesClient). */
export function mayEditClient(user: User, client: Pick<Client, 'ownerId'> | null): boolean {
  if (isSupervisor(user)) return true;
  return !!client && client.ownerId === user.id;
}

/** Only supervisors and admins choose a client's owner (assertMayAssignOwner). */
export const mayChooseOwner = (user: User): boolean => isSupervisor(user);

const CURRENCIES = ['RUB', 'USD', 'EUR', 'KZT', 'BYN', 'CNY'];

export interface FormError {
  /** The field the service named: name, turnover, currency, ownerId, email, clientId, phones/0/number... */
  field: string | null;
  text: string;
}

/** The service's refusal as words under a field. */
export function formError(e: unknown): FormError {
  if (!(e instanceof ApiError)) return { field: null, text: errorText(e) };
  if (e.code === 'CTI_ERR_BAD_TEXT') {
    const field = typeof e.details['field'] === 'string' ? e.details['field'] : null;
    return { field, text: e.message };
  }
  // "phones/0/number: 'abc' is not a phone number", "body: body/name must NOT have fewer than 1 characters"
  const m = /^(?:body: )?(?:body\/)?([A-Za-z]+(?:\/\d+\/[A-Za-z]+)?)(?::| )\s*(.*)$/s.exec(e.message);
  const field = m?.[1] ?? null;
  const reason = m?.[2] ?? e.message;
  if (e.status === 403) {
    return { field: field === 'ownerId' ? 'ownerId' : null, text: field === 'ownerId' ? t('formErrorOwner') : t('forbidden') };
  }
  if (e.status !== 400 || !field) return { field: null, text: errorText(e) };
  const tooLong = /at most (\d+) characters|more than (\d+) characters/.exec(reason);
  if (tooLong) return { field, text: t('formErrorTooLong', { max: tooLong[1] ?? tooLong[2] ?? '' }) };
  if (/required|must not be empty|fewer than 1/.test(reason)) return { field, text: t('formErrorRequired') };
  if (/^phones\/\d+\/number$/.test(field)) {
    const value = /^'(.*)' is not a phone number$/s.exec(reason)?.[1];
    return { field, text: value !== undefined ? t('formErrorPhone', { value }) : t('formErrorPhoneGeneric') };
  }
  if (field === 'email') return { field, text: t('formErrorEmail') };
  if (field === 'turnover') return { field, text: t('formErrorTurnover') };
  if (field === 'currency') return { field, text: t('formErrorCurrency') };
  return { field, text: errorText(e) };
}

function FieldError({ error, field }: { error: FormError | null; field: string }) {
  if (!error || error.field !== field) return null;
  return <small class="field-error" role="alert" data-testid={`form-error-${field.replace(/\//g, '-')}`}>{error.text}</small>;
}

function GeneralError({ error, fields }: { error: FormError | null; fields: readonly string[] }) {
  if (!error || (error.field && fields.some((f) => error.field === f || error.field!.startsWith(`${f}/`)))) return null;
  return <p class="notice error" role="alert" data-testid="form-error">{error.text}</p>;
}

const invalid = (error: FormError | null, field: string) => (error?.field === field ? true : undefined);

export function ClientForm({ client, onSaved, onCancel }: { client?: Client; onSaved: (c: Client) => void; onCancel: () => void }) {
  const user = useUser();
  const chooseOwner = mayChooseOwner(user);
  const managers = useManagers(chooseOwner);
  const pbxList = usePbxes();
  const [name, setName] = useState(client?.name ?? '');
  const [kind, setKind] = useState<Client['kind']>(client?.kind ?? 'company');
  // "250000.00" as the service keeps it reads "250000" in the field (whole amounts are the usual ones).
  const [turnover, setTurnover] = useState(client?.turnover?.replace(/[.,]00$/, '') ?? '');
  const [currency, setCurrency] = useState(client?.currency ?? 'RUB');
  const [ownerId, setOwnerId] = useState(client ? client.ownerId ?? '' : chooseOwner ? '' : user.id);
  const [error, setError] = useState<FormError | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    const body: Record<string, unknown> = {
      name: name.trim(), kind,
      turnover: turnover.trim() === '' ? null : turnover.trim(),
      currency: turnover.trim() === '' ? (client?.currency ? null : undefined) : currency,
    };
    if (body['currency'] === undefined) delete body['currency'];
    // A manager's new client is theirs by the service's rule; only a supervisor sends an owner.
    if (chooseOwner && (!client || (client.ownerId ?? '') !== ownerId)) body['ownerId'] = ownerId || null;
    try {
      const saved = client
        ? await api.patch<Client>(`/api/v1/clients/${encodeURIComponent(client.id)}`, body)
        : await api.post<Client>('/api/v1/clients', body);
      setError(null);
      onSaved(saved);
    } catch (err) {
      setError(formError(err));
    } finally {
      setBusy(false);
    }
  }

  const ownerName = (id: string) => managers.find((m) => m.id === id);
  return (
    // A refusal stays until the user changes something: then it is theirs to try again.
    <form class="edit-form" data-testid="client-form" onSubmit={(e) => void submit(e)} onInput={() => error && setError(null)} noValidate>
      <h3>{client ? t('editClient') : t('newClient')}</h3>
      <label>
        {t('name')}
        <input data-testid="client-form-name" required value={name} aria-invalid={invalid(error, 'name')} onInput={(e) => setName(e.currentTarget.value)} />
      </label>
      <FieldError error={error} field="name" />
      <div class="grid">
        <label>
          {t('clientKind')}
          <select data-testid="client-form-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as Client['kind'])}>
            <option value="company">{t('kind_company')}</option>
            <option value="person">{t('kind_person')}</option>
          </select>
        </label>
        <label>
          {t('turnoverPerMonth')}
          <input data-testid="client-form-turnover" inputMode="decimal" placeholder="250 000" value={turnover} aria-invalid={invalid(error, 'turnover')}
            onInput={(e) => setTurnover(e.currentTarget.value)} />
        </label>
        <label>
          {t('currency')}
          <select data-testid="client-form-currency" value={currency} aria-invalid={invalid(error, 'currency')} onChange={(e) => setCurrency(e.currentTarget.value)}>
            {[...new Set([...CURRENCIES, currency])].map((c) => <option key={c} value={c}>{c}</option>)}
          </select>
        </label>
      </div>
      <FieldError error={error} field="turnover" />
      <FieldError error={error} field="currency" />
      {chooseOwner ? (
        <label>
          {t('ownerManager')}
          <select data-testid="client-form-owner" value={ownerId} aria-invalid={invalid(error, 'ownerId')} onChange={(e) => setOwnerId(e.currentTarget.value)}>
            <option value="">{t('ownerNobody')}</option>
            {ownerId && !ownerName(ownerId) && <option value={ownerId}>{ownerId}</option>}
            {managers.map((m: Manager) => <option key={m.id} value={m.id}>{personLabel(pbxList, m)}</option>)}
          </select>
        </label>
      ) : (
        <p class="owner-fixed" data-testid="client-form-owner-fixed">
          <small class="muted">{t('ownerManager')}</small><br />
          {t('ownerYou', { name: user.name })} <small class="muted">{t('ownerOnlySupervisor')}</small>
        </p>
      )}
      <FieldError error={error} field="ownerId" />
      <GeneralError error={error} fields={['name', 'turnover', 'currency', 'ownerId']} />
      <div class="form-buttons">
        <button type="submit" data-testid="client-form-save" aria-busy={busy ? 'true' : undefined} disabled={busy}>{client ? t('save') : t('createClient')}</button>
        <button type="button" class="secondary outline" onClick={onCancel}>{t('cancel')}</button>
      </div>
    </form>
  );
}

interface PhoneDraft {
  number: string;
  label: string;
}

/** The clients the user may put a contact under (a manager: their own), by name. */
function useClients(): Client[] | null {
  const [list, setList] = useState<Client[] | null>(null);
  useEffect(() => {
    api.get<{ items: Client[] }>('/api/v1/clients', { limit: 500 }).then((r) => setList(r.items)).catch(() => setList([]));
  }, []);
  return list;
}

export function ContactForm({ contact, clientId, currentClient, onSaved, onCancel }: {
  contact?: Contact; clientId?: string;
  /** The contact's client as the card has it: named in the list even past the first 500 clients. */
  currentClient?: Client | null;
  onSaved: (c: Contact) => void; onCancel: () => void;
}) {
  const clients = useClients();
  const [name, setName] = useState(contact?.name ?? '');
  const [email, setEmail] = useState(contact?.email ?? '');
  const [client, setClient] = useState(contact?.clientId ?? clientId ?? '');
  const [phones, setPhones] = useState<PhoneDraft[]>(
    contact?.phones.length ? contact.phones.map((p) => ({ number: p.number, label: p.label ?? '' })) : [{ number: '', label: '' }],
  );
  const [error, setError] = useState<FormError | null>(null);
  const [busy, setBusy] = useState(false);

  const setPhone = (i: number, patch: Partial<PhoneDraft>) => setPhones((list) => list.map((p, j) => (j === i ? { ...p, ...patch } : p)));

  async function submit(e: Event) {
    e.preventDefault();
    if (!client) {
      setError({ field: 'clientId', text: t('formErrorChooseClient') });
      return;
    }
    setBusy(true);
    const given = phones.filter((p) => p.number.trim() !== '');
    const body = {
      name: name.trim(), email: email.trim() === '' ? null : email.trim(), clientId: client,
      phones: given.map((p) => ({ number: p.number.trim(), label: p.label.trim() === '' ? null : p.label.trim() })),
    };
    try {
      const saved = contact
        ? await api.patch<Contact>(`/api/v1/contacts/${encodeURIComponent(contact.id)}`, body)
        : await api.post<Contact>('/api/v1/contacts', body);
      setError(null);
      onSaved(saved);
    } catch (err) {
      const fe = formError(err);
      // The service counts the numbers sent; the form's index counts the lines, empty ones included.
      const m = fe.field ? /^phones\/(\d+)\/(number|label)$/.exec(fe.field) : null;
      if (m) fe.field = `phones/${phones.indexOf(given[Number(m[1])]!)}/${m[2]}`;
      setError(fe);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="edit-form" data-testid="contact-form" onSubmit={(e) => void submit(e)} onInput={() => error && setError(null)} noValidate>
      <h3>{contact ? t('editContact') : t('newContact')}</h3>
      <div class="grid">
        <label>
          {t('contactName')}
          <input data-testid="contact-form-name" required value={name} aria-invalid={invalid(error, 'name')} onInput={(e) => setName(e.currentTarget.value)} />
          <FieldError error={error} field="name" />
        </label>
        <label>
          {t('email')}
          <input data-testid="contact-form-email" type="email" value={email} aria-invalid={invalid(error, 'email')} onInput={(e) => setEmail(e.currentTarget.value)} />
          <FieldError error={error} field="email" />
        </label>
      </div>
      <label>
        {t('client')}
        <select data-testid="contact-form-client" value={client} aria-invalid={invalid(error, 'clientId')} onChange={(e) => setClient(e.currentTarget.value)}>
          <option value="" disabled>{clients === null ? t('loading') : clients.length ? t('chooseClient') : t('noClientsYet')}</option>
          {client && clients && !clients.some((c) => c.id === client) && <option value={client}>{currentClient?.id === client ? currentClient.name : client}</option>}
          {(clients ?? []).map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
        </select>
      </label>
      <FieldError error={error} field="clientId" />
      <fieldset>
        <legend>{t('phones')}</legend>
        {phones.map((p, i) => (
          <div key={i}>
            <div class="phone-line">
              <input data-testid="contact-form-phone" aria-label={t('formPhoneNumber')} placeholder={t('formPhoneNumber')} value={p.number}
                aria-invalid={invalid(error, `phones/${i}/number`)} onInput={(e) => setPhone(i, { number: e.currentTarget.value })} />
              <input data-testid="contact-form-phone-label" aria-label={t('phoneLabel')} placeholder={t('phoneLabel')} value={p.label}
                aria-invalid={invalid(error, `phones/${i}/label`)} onInput={(e) => setPhone(i, { label: e.currentTarget.value })} />
              {phones.length > 1 && (
                <button type="button" class="secondary outline" title={t('removePhone')} aria-label={t('removePhone')}
                  onClick={() => setPhones((list) => list.filter((_, j) => j !== i))}>×</button>
              )}
            </div>
            <FieldError error={error} field={`phones/${i}/number`} />
            <FieldError error={error} field={`phones/${i}/label`} />
          </div>
        ))}
        <button type="button" class="link-button" data-testid="contact-form-add-phone" onClick={() => setPhones((list) => [...list, { number: '', label: '' }])}>
          + {t('addPhone')}
        </button>
      </fieldset>
      <GeneralError error={error} fields={['name', 'email', 'clientId', 'phones']} />
      <div class="form-buttons">
        <button type="submit" data-testid="contact-form-save" aria-busy={busy ? 'true' : undefined} disabled={busy}>{contact ? t('save') : t('createContactButton')}</button>
        <button type="button" class="secondary outline" onClick={onCancel}>{t('cancel')}</button>
      </div>
    </form>
  );
}
