// How times, durations, money and routing reasons read on the page, in the user's language.
import { language, t, tKey } from './i18n.js';

const locale = () => (language() === 'ru' ? 'ru-RU' : 'en-GB');

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return t('none');
  return new Date(iso).toLocaleString(locale(), { day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** 75 -> "1:15", 3725 -> "1:02:05". */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return t('none');
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** "200000.50" RUB -> "200 000,50 ₽" (ru) / "RUB 200,000.50" (en). */
export function money(amount: string | null | undefined, currency: string | null | undefined): string {
  if (!amount || !currency) return t('none');
  const n = Number(amount);
  try {
    return new Intl.NumberFormat(locale(), { style: 'currency', currency, maximumFractionDigits: 2 }).format(n);
  } catch {
    return `${amount} ${currency}`;
  }
}

/** Why the call came to this manager, from the stored routedBy ('turnover:<tier>', 'owner', ...). */
export function routedBy(reason: string | null | undefined): string {
  if (!reason) return t('none');
  if (reason.startsWith('turnover:')) return t('routed_turnover', { tier: reason.slice('turnover:'.length) });
  const text = tKey('routed_', reason);
  return text === reason ? t('routed_unknown', { reason }) : text;
}

export function dispositionText(d: string | null | undefined, state?: string): string {
  if (state === 'live') return t('disposition_live');
  return d ? tKey('disposition_', d) : t('none');
}

/** A value for <input type="datetime-local"> in local time. */
export function toLocalInput(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/**
 * A stored number (E.164, src/lib/phone.ts) as people read it: a Russian or Kazakh +7 number in groups,
 * "+7 925 355-00-03"; any other number as stored (the web app carries no numbering plans).
 */
export function phoneText(n: string | null | undefined): string {
  if (!n) return t('none');
  const m = /^\+7(\d{3})(\d{3})(\d{2})(\d{2})$/.exec(n);
  return m ? `+7 ${m[1]} ${m[2]}-${m[3]}-${m[4]}` : n;
}
