// Routing rules (GET/PUT /api/v1/routing/rules): supervisors read them, admins change them, in a form
// or as the JSON the service keeps in CTI_ROUTING_FILE (both edit the same rules). Every check is the
// service's: the form asks POST .../rules/check as it is edited and shows each problem at its field's
// path; a save the service refuses does the same and saves nothing.
import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, api } from '../api.js';
import { errorText, useUser } from '../app.js';
import { MAIN_PBX, pbxName, usePbxes } from '../pbxes.js';
import { language, t, type MessageKey } from '../i18n.js';
import {
  addTier, formFromJson, formPaths, fromRules, moveTier, problemsFor, removeTier, toRules,
  type RoutingPhone, type RoutingRules, type RulesForm, type RulesProblem, type TargetForm, type TargetKind,
} from '../routing-form.js';

const CURRENCIES = ['RUB', 'EUR', 'USD', 'KZT', 'BYN', 'CNY'];
const CHECK_DELAY_MS = 400;

type Checked = { problems: RulesProblem[]; keys: string[] };

/** The service's problem in the page's language; its own (English) message when we have no words for it. */
export function problemText(p: RulesProblem): string {
  const last = p.path.split('.').pop() ?? '';
  const isGroup = /\.group$/.test(p.path);
  const isMember = /\.group\.\d+$/.test(p.path);
  const n = (v: number | undefined) => (v === undefined ? '' : v.toLocaleString(language() === 'ru' ? 'ru-RU' : 'en-GB'));
  switch (p.code) {
    case 'required': return t(/target$|Target$/i.test(last) ? 'routingErrTargetRequired' : 'routingErrRequired');
    case 'type': return t('routingErrNumber');
    case 'not_integer': return t('routingErrInteger');
    case 'too_small':
      if (isGroup) return t('routingErrGroupEmpty');
      return t('routingErrMin', { min: n(p.min) });
    case 'too_big':
      if (isGroup) return t('routingErrGroupMax', { max: n(p.max) });
      if (p.path === 'tiers') return t('routingErrTiersMax', { max: n(p.max) });
      return t('routingErrMax', { max: n(p.max) });
    case 'format': {
      const key: Record<string, MessageKey> = { extension: 'routingErrExtension', queue: 'routingErrQueue', name: 'routingErrTierName', currency: 'routingErrCurrency' };
      const k = isMember ? 'routingErrExtension' : key[last];
      return k ? t(k) : p.message;
    }
    case 'unknown_key': return t('routingErrUnknownKey', { key: p.path });
    case 'target': return t('routingErrTarget');
    case 'duplicate_name': return t('routingErrDuplicateName');
    case 'threshold_order': return t('routingErrThresholdOrder', { min: n(p.min) });
    case 'unknown_extension': return t('routingWarnUnknownExtension', { extension: p.value ?? '' });
    case 'unknown_pbx': return t('routingWarnUnknownPbx', { pbx: p.value ?? '' });
    default: return p.message;
  }
}

/** `empty`: what to say instead of a format problem when the field is empty ("choose a phone"). */
function Problems({ at, problems, empty }: { at: string; problems: RulesProblem[]; empty?: string }) {
  const mine = problems.filter((p) => p.path === at);
  if (!mine.length) return null;
  return (
    <>
      {mine.map((p) => (
        <small key={p.path + p.code} class={p.severity === 'error' ? 'routing-problem error' : 'routing-problem warn'} data-testid="routing-problem" data-path={p.path}>
          {empty && (p.code === 'format' || p.code === 'too_small') ? empty : problemText(p)}
        </small>
      ))}
    </>
  );
}

const invalid = (at: string, problems: RulesProblem[]) => (problems.some((p) => p.path === at && p.severity === 'error') ? 'true' : undefined);

/** A labelled number input with its unit and its problems under it. */
function NumberField(props: {
  at: string; label: string; unit?: string; value: string; problems: RulesProblem[]; onInput: (v: string) => void; wide?: boolean; hint?: string;
}) {
  return (
    <label class="routing-field" data-field={props.at}>
      <span>{props.label}</span>
      <span class="routing-unit">
        <input data-testid={`routing-${props.at}`} inputMode="decimal" class={props.wide ? 'routing-money' : 'routing-number'} value={props.value}
          aria-invalid={invalid(props.at, props.problems)} onInput={(e) => props.onInput(e.currentTarget.value)} />
        {props.unit && <span class="muted">{props.unit}</span>}
      </span>
      {props.hint && <small class="muted">{props.hint}</small>}
      <Problems at={props.at} problems={props.problems} />
    </label>
  );
}

function phoneLabel(p: RoutingPhone): string {
  return `${p.name} · ${p.extension}`;
}

/** Where a call goes: a person's phone (chosen from the users' phones), several phones at once, or a queue. */
function TargetPicker({ at, value, phones, problems, onChange, label, readOnly }: {
  at: string; value: TargetForm; phones: RoutingPhone[]; problems: RulesProblem[]; onChange: (t: TargetForm) => void; label: string; readOnly: boolean;
}) {
  const known = new Set(phones.map((p) => p.extension));
  // "Other extension" is chosen, or the extension is no user's phone: it is typed.
  const [chooseOther, setOther] = useState(false);
  const other = chooseOther || (value.extension !== '' && !known.has(value.extension));
  const [adding, setAdding] = useState('');
  const groupMembers = [...phones.map((p) => p.extension), ...value.group.filter((e) => !known.has(e))];
  const nameOf = (ext: string) => phones.find((p) => p.extension === ext);
  function addToGroup() {
    const ext = adding.trim();
    if (ext && !value.group.includes(ext)) onChange({ ...value, group: [...value.group, ext] });
    setAdding('');
  }
  return (
    <div class="routing-target" data-field={at}>
      <select aria-label={label} data-testid={`routing-${at}-kind`} value={value.kind}
        onChange={(e) => onChange({ ...value, kind: e.currentTarget.value as TargetKind })}>
        <option value="extension">{t('routingTargetExtension')}</option>
        <option value="group">{t('routingTargetGroup')}</option>
        <option value="queue">{t('routingTargetQueue')}</option>
      </select>
      {value.kind === 'extension' && (
        <div class="routing-target-value">
          <select aria-label={t('routingTargetExtension')} data-testid={`routing-${at}-extension`} value={other ? '__other' : value.extension}
            aria-invalid={invalid(`${at}.extension`, problems)}
            onChange={(e) => {
              const v = e.currentTarget.value;
              if (v === '__other') setOther(true);
              else { setOther(false); onChange({ ...value, extension: v }); }
            }}>
            {value.extension === '' && !other && <option value="">{t('routingChoosePhone')}</option>}
            {phones.map((p) => <option key={p.extension} value={p.extension}>{phoneLabel(p)}</option>)}
            <option value="__other">{t('routingOtherExtension')}</option>
          </select>
          {other && (
            <input aria-label={t('routingExtensionNumber')} data-testid={`routing-${at}-extension-other`} class="routing-number" inputMode="numeric"
              placeholder="105" value={value.extension} aria-invalid={invalid(`${at}.extension`, problems)}
              onInput={(e) => onChange({ ...value, extension: e.currentTarget.value })} />
          )}
          <Problems at={`${at}.extension`} problems={problems} empty={value.extension.trim() ? undefined : t('routingErrTargetRequired')} />
        </div>
      )}
      {value.kind === 'group' && (
        <div class="routing-target-value">
          <div class="routing-group" role="group" aria-label={t('routingTargetGroup')}>
            {groupMembers.map((ext) => {
              const i = value.group.indexOf(ext);
              const p = nameOf(ext);
              return (
                <label key={ext} class="routing-member">
                  <input type="checkbox" checked={i >= 0} data-testid={`routing-${at}-member`} value={ext}
                    onChange={(e) => onChange({ ...value, group: e.currentTarget.checked ? [...value.group, ext] : value.group.filter((g) => g !== ext) })} />
                  {p ? phoneLabel(p) : ext}
                </label>
              );
            })}
          </div>
          {value.group.map((_, i) => <Problems key={i} at={`${at}.group.${i}`} problems={problems} />)}
          {!readOnly && <span class="routing-unit">
            <input aria-label={t('routingAddExtension')} class="routing-add" inputMode="numeric" placeholder={t('routingAddExtension')} value={adding}
              onInput={(e) => setAdding(e.currentTarget.value)} onKeyDown={(e) => { if (e.key === 'Enter') { e.preventDefault(); addToGroup(); } }} />
            <button type="button" class="small secondary outline" onClick={addToGroup}>{t('routingAdd')}</button>
          </span>}
          <Problems at={`${at}.group`} problems={problems} />
        </div>
      )}
      {value.kind === 'queue' && (
        <div class="routing-target-value">
          <input aria-label={t('routingQueueName')} data-testid={`routing-${at}-queue`} placeholder="sales" value={value.queue}
            aria-invalid={invalid(`${at}.queue`, problems)} onInput={(e) => onChange({ ...value, queue: e.currentTarget.value })} />
          <small class="muted">{t('routingQueueHint')}</small>
          <Problems at={`${at}.queue`} problems={problems} empty={value.queue.trim() ? undefined : t('routingErrQueueRequired')} />
        </div>
      )}
      <Problems at={at} problems={problems} />
    </div>
  );
}

function Section({ title, children, help }: { title: string; help?: string; children: ComponentChildren }) {
  return (
    <fieldset class="routing-section">
      <legend>{title}</legend>
      {help && <p class="muted routing-help">{help}</p>}
      {children}
    </fieldset>
  );
}

function currencyUnit(currency: string): string {
  try {
    const parts = new Intl.NumberFormat(language() === 'ru' ? 'ru-RU' : 'en-GB', { style: 'currency', currency }).formatToParts(0);
    return parts.find((p) => p.type === 'currency')?.value ?? currency;
  } catch {
    return currency;
  }
}

function amount(s: string, currency: string): string {
  const n = Number(s.replace(/[\s\u00a0\u202f]/g, '').replace(',', '.'));
  if (!s.trim() || !Number.isFinite(n)) return s;
  return `${n.toLocaleString(language() === 'ru' ? 'ru-RU' : 'en-GB')} ${currencyUnit(currency)}`;
}

function RulesFormView({ form, setForm, phones, problems, readOnly }: {
  form: RulesForm; setForm: (f: RulesForm) => void; phones: RoutingPhone[]; problems: RulesProblem[]; readOnly: boolean;
}) {
  const set = <K extends keyof RulesForm>(k: K, v: RulesForm[K]) => setForm({ ...form, [k]: v });
  const setTier = (i: number, patch: Partial<RulesForm['tiers'][number]>) => setForm({ ...form, tiers: form.tiers.map((x, j) => (j === i ? { ...x, ...patch } : x)) });
  const unit = currencyUnit(form.currency);
  const sec = t('routingSeconds');
  return (
    <fieldset disabled={readOnly} class="routing-form" data-testid="routing-form">
      <Section title={t('routingPriorTitle')} help={t('routingPriorHelp')}>
        <label class="routing-check">
          <input type="checkbox" role="switch" data-testid="routing-priorManager.enabled" checked={form.priorEnabled} onChange={(e) => set('priorEnabled', e.currentTarget.checked)} />
          {t('routingPriorEnabled')}
        </label>
        <div class="routing-row">
          <NumberField at="priorManager.windowDays" label={t('routingWindowDays')} unit={t('routingDays')} value={form.windowDays} problems={problems} onInput={(v) => set('windowDays', v)} />
          <NumberField at="managerRingSeconds" label={t('routingManagerRing')} unit={sec} value={form.managerRingSeconds} problems={problems} onInput={(v) => set('managerRingSeconds', v)} />
        </div>
        <label class="routing-check">
          <input type="checkbox" role="switch" data-testid="routing-priorManager.useOwner" checked={form.useOwner} onChange={(e) => set('useOwner', e.currentTarget.checked)} />
          {t('routingUseOwner')}
        </label>
      </Section>

      <Section title={t('routingTiersTitle')} help={t('routingTiersHelp')}>
        <label class="routing-field routing-currency">
          <span>{t('routingCurrency')}</span>
          <select data-testid="routing-currency" value={form.currency} aria-invalid={invalid('currency', problems)} onChange={(e) => set('currency', e.currentTarget.value)}>
            {[...new Set([form.currency, ...CURRENCIES])].map((c) => <option key={c} value={c}>{c}</option>)}
          </select>
          <Problems at="currency" problems={problems} />
        </label>
        {form.tiers.length === 0 && <p class="muted" data-testid="routing-no-tiers">{t('routingNoTiers')}</p>}
        <ol class="routing-tiers">
          {form.tiers.map((tier, i) => {
            const next = form.tiers[i + 1];
            return (
              <li key={tier.key} class="routing-tier" data-testid="routing-tier" data-tier={tier.name}>
                <div class="routing-tier-head">
                  <NumberField at={`tiers.${i}.minTurnover`} label={t('routingTierFrom')} unit={unit} wide value={tier.minTurnover} problems={problems}
                    onInput={(v) => setTier(i, { minTurnover: v })} />
                  <div class="routing-field">
                    <span>{t('routingTierTo')}</span>
                    <span class="routing-upto" data-testid="routing-tier-to">{next ? amount(next.minTurnover, form.currency) : t('routingTierAndAbove')}</span>
                  </div>
                  <label class="routing-field">
                    <span>{t('routingTierName')}</span>
                    <input data-testid={`routing-tiers.${i}.name`} class="routing-name" value={tier.name} aria-invalid={invalid(`tiers.${i}.name`, problems)}
                      onInput={(e) => setTier(i, { name: e.currentTarget.value })} />
                    <Problems at={`tiers.${i}.name`} problems={problems} />
                  </label>
                  {!readOnly && (
                    <div class="routing-tier-actions">
                      <button type="button" class="small secondary outline" disabled={i === 0} aria-label={t('routingMoveUp', { name: tier.name })} title={t('routingMoveUp', { name: tier.name })}
                        onClick={() => setForm(moveTier(form, i, -1))}>↑</button>
                      <button type="button" class="small secondary outline" disabled={i === form.tiers.length - 1} aria-label={t('routingMoveDown', { name: tier.name })} title={t('routingMoveDown', { name: tier.name })}
                        onClick={() => setForm(moveTier(form, i, 1))}>↓</button>
                      <button type="button" class="small secondary outline" data-testid="routing-tier-remove" aria-label={t('routingRemoveTier', { name: tier.name })} title={t('routingRemoveTier', { name: tier.name })}
                        onClick={() => setForm(removeTier(form, i))}>✕</button>
                    </div>
                  )}
                </div>
                <div class="routing-field">
                  <span>{t('routingTierTarget')}</span>
                  <TargetPicker at={`tiers.${i}.target`} label={t('routingTierTarget')} value={tier.target} phones={phones} problems={problems} readOnly={readOnly} onChange={(target) => setTier(i, { target })} />
                </div>
                <Problems at={`tiers.${i}`} problems={problems} />
              </li>
            );
          })}
        </ol>
        <Problems at="tiers" problems={problems} />
        {!readOnly && <button type="button" class="small secondary" data-testid="routing-add-tier" onClick={() => setForm(addTier(form))}>{t('routingAddTier')}</button>}
      </Section>

      <Section title={t('routingDefaultTitle')} help={t('routingDefaultHelp')}>
        <TargetPicker at="defaultTarget" label={t('routingDefaultTitle')} value={form.defaultTarget} phones={phones} problems={problems} readOnly={readOnly} onChange={(v) => set('defaultTarget', v)} />
        <NumberField at="targetRingSeconds" label={t('routingTargetRing')} unit={sec} value={form.targetRingSeconds} problems={problems} onInput={(v) => set('targetRingSeconds', v)} />
      </Section>

      <Section title={t('routingServiceTitle')}>
        <NumberField at="deadlineMs" label={t('routingDeadline')} unit={t('routingMs')} hint={t('routingDeadlineHint')} value={form.deadlineMs} problems={problems} onInput={(v) => set('deadlineMs', v)} />
      </Section>
    </fieldset>
  );
}

/**
 * The phones the form's targets offer: the rules here are the deployment's, dialled on each PBX that has
 * none of its own; with several PBXs one extension (101) may be a phone on each, offered once (main's).
 */
function formPhones(items: RoutingPhone[]): RoutingPhone[] {
  const byExt = new Map<string, RoutingPhone>();
  for (const p of items) {
    const had = byExt.get(p.extension);
    if (!had || (had.pbx && had.pbx !== MAIN_PBX && (!p.pbx || p.pbx === MAIN_PBX))) byExt.set(p.extension, p);
  }
  return [...byExt.values()];
}

/** Several PBXs with rules of their own (byPbx): the form keeps them as they are; the JSON tab edits them. */
function PerPbxNote({ rules }: { rules: RoutingRules | null }) {
  const pbxList = usePbxes();
  const ids = Object.keys(rules?.byPbx ?? {});
  if (ids.length === 0) return null;
  return <p class="notice" data-testid="routing-by-pbx" data-count={ids.length}>{t('routingByPbx', { n: ids.length, names: ids.map((id) => pbxName(pbxList, id)).join(', ') })}</p>;
}

export function RoutingPage() {
  const user = useUser();
  const canEdit = user.role === 'admin';
  const [saved, setSaved] = useState<RoutingRules | null>(null);
  const [form, setFormState] = useState<RulesForm | null>(null);
  const [phones, setPhones] = useState<RoutingPhone[]>([]);
  const [tab, setTab] = useState<'form' | 'json'>('form');
  const [text, setText] = useState('');
  const [checked, setChecked] = useState<Checked>({ problems: [], keys: [] });
  const [state, setState] = useState<{ ok?: boolean; error?: string; loadError?: string }>({});
  const checkSeq = useRef(0);

  useEffect(() => {
    // The phones first, so a target shows the person on its phone from the start (the rules work without).
    const phonesLoaded = api.get<{ items: RoutingPhone[] }>('/api/v1/routing/phones').then((r) => setPhones(formPhones(r.items))).catch(() => undefined);
    Promise.all([api.get<RoutingRules>('/api/v1/routing/rules'), phonesLoaded])
      .then(([r]) => { setSaved(r); setFormState(fromRules(r)); })
      .catch((e) => setState({ loadError: errorText(e) }));
  }, []);

  /** Asks the service what is wrong with these rules (admins); the newest answer wins. */
  async function check(rules: unknown, keys: string[]): Promise<{ rules: RoutingRules | null; problems: RulesProblem[] } | null> {
    const seq = ++checkSeq.current;
    try {
      const r = await api.post<{ rules: RoutingRules | null; problems: RulesProblem[] }>('/api/v1/routing/rules/check', rules);
      if (seq === checkSeq.current) setChecked({ problems: r.problems, keys });
      return r;
    } catch {
      return null; // the save says it again, with its reason
    }
  }

  // The form is checked by the service as it is edited (and once loaded: an extension no user has is said).
  // The JSON tab's text likewise, whenever it is JSON.
  useEffect(() => {
    if (!canEdit || !form) return;
    let run: () => void;
    if (tab === 'form') {
      run = () => void check(toRules(form), form.tiers.map((x) => x.key));
    } else {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        return;
      }
      run = () => void check(json, []);
    }
    const timer = setTimeout(run, CHECK_DELAY_MS);
    return () => clearTimeout(timer);
  }, [form, tab, text]);

  function setForm(f: RulesForm) {
    setFormState(f);
    setState({});
  }

  const problems = useMemo(() => (form ? problemsFor(checked.problems, checked.keys, form) : []), [checked, form]);
  const shown = form ? formPaths(form) : new Set<string>();
  const elsewhere = tab === 'json' ? checked.problems : problems.filter((p) => !shown.has(p.path));
  const dirty = !!form && !!saved && JSON.stringify(toRules(form)) !== JSON.stringify(saved);

  async function openTab(next: 'form' | 'json') {
    if (next === tab || !form) return;
    if (next === 'json') {
      setText(JSON.stringify(toRules(form), null, 2));
      setTab('json');
      return;
    }
    // Back to the form: the service reads the JSON (defaults filled) or says what keeps it from a form.
    let rules: unknown;
    try {
      rules = JSON.parse(text);
    } catch (err) {
      setState({ error: `JSON: ${err instanceof Error ? err.message : String(err)}` });
      return;
    }
    // Good rules come back with their defaults filled; others go into the form as typed, each problem
    // then shown at its field (the form's own check follows).
    const r = await check(rules, []);
    const f = r?.rules ? fromRules(r.rules) : formFromJson(rules, form);
    if (!f) {
      setState({ error: t('routingJsonNotObject') });
      return;
    }
    setFormState(f);
    setChecked({ problems: r?.problems ?? [], keys: f.tiers.map((x) => x.key) });
    setState({});
    setTab('form');
  }

  async function save(e: Event) {
    e.preventDefault();
    if (!form) return;
    let rules: unknown;
    if (tab === 'json') {
      try {
        rules = JSON.parse(text);
      } catch (err) {
        setState({ error: `JSON: ${err instanceof Error ? err.message : String(err)}` });
        return;
      }
    } else {
      rules = toRules(form);
    }
    const keys = tab === 'form' ? form.tiers.map((x) => x.key) : [];
    checkSeq.current++; // an answer to an older check must not replace what the save says
    try {
      const r = await api.put<RoutingRules>('/api/v1/routing/rules', rules);
      const f = fromRules(r);
      setSaved(r);
      setFormState(f);
      if (tab === 'json') setText(JSON.stringify(r, null, 2));
      setState({ ok: true });
      void check(r, f.tiers.map((x) => x.key)); // warnings (an extension no user has) stay said
    } catch (err) {
      if (err instanceof ApiError && err.status === 400 && Array.isArray(err.details.problems)) {
        setChecked({ problems: err.details.problems as RulesProblem[], keys });
        setState({ error: t('routingNotSaved') });
      } else {
        setState({ error: err instanceof ApiError && err.status === 400 ? err.message : errorText(err) });
      }
    }
  }

  function discard() {
    if (!saved) return;
    const f = fromRules(saved);
    setFormState(f);
    setText(JSON.stringify(saved, null, 2));
    setState({});
  }

  return (
    <section class="routing-page">
      <h2>{t('routingTitle')}</h2>
      <p class="muted">{t('routingHelp')}</p>
      {!canEdit && <p class="notice" data-testid="routing-read-only">{t('routingReadOnly')}</p>}
      <PerPbxNote rules={saved} />
      {state.loadError && <p class="notice error" role="alert">{state.loadError}</p>}
      {!form && !state.loadError && <p aria-busy="true">{t('loading')}</p>}
      {form && (
        <form onSubmit={(e) => void save(e)} noValidate>
          {canEdit && (
            <div class="routing-tabs" role="tablist">
              <button type="button" role="tab" aria-selected={tab === 'form'} data-testid="routing-tab-form" class={tab === 'form' ? 'small' : 'small secondary outline'} onClick={() => void openTab('form')}>{t('routingTabForm')}</button>
              <button type="button" role="tab" aria-selected={tab === 'json'} data-testid="routing-tab-json" class={tab === 'json' ? 'small' : 'small secondary outline'} onClick={() => void openTab('json')}>{t('routingTabJson')}</button>
            </div>
          )}
          {elsewhere.length > 0 && (
            <ul class="notice routing-elsewhere" data-testid="routing-problems">
              {elsewhere.map((p) => <li key={p.path + p.code} class={p.severity === 'error' ? 'error' : 'warn'}><code>{p.path || 'rules'}</code>: {problemText(p)}</li>)}
            </ul>
          )}
          {tab === 'form' ? <RulesFormView form={form} setForm={setForm} phones={phones} problems={problems} readOnly={!canEdit} /> : (
            <>
              <p class="muted">{t('routingJsonHelp')}</p>
              <textarea data-testid="routing-rules" class="code" rows={24} spellcheck={false} value={text}
                onInput={(e) => { setText(e.currentTarget.value); setState({}); }} />
            </>
          )}
          {canEdit && (
            <div class="routing-actions">
              <button type="submit" data-testid="routing-save">{t('save')}</button>
              {(dirty || tab === 'json') && <button type="button" class="secondary outline" data-testid="routing-discard" onClick={discard}>{t('routingDiscard')}</button>}
              {dirty && tab === 'form' && !state.error && <small class="muted" data-testid="routing-unsaved">{t('routingUnsaved')}</small>}
              {state.error && <span class="notice error" role="alert" data-testid="routing-error">{state.error}</span>}
              {state.ok && <span class="notice ok" role="status" data-testid="routing-saved">{t('routingSaved')}</span>}
            </div>
          )}
        </form>
      )}
    </section>
  );
}
