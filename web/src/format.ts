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

// --- dates, one format per language (issue 11, item 10): ru 20.11.2026, en 20/11/2026 (day first, as en-GB
// writes it: the service's users are in Europe). Shown dates and typed ones use the same pattern, so a
// Russian page never shows mm/dd/yyyy, whatever the browser's own locale (which <input type="date"> follows).

const DATE_PATTERN = { ru: { sep: '.', hint: 'дд.мм.гггг' }, en: { sep: '/', hint: 'dd/mm/yyyy' } } as const;

/** "2026-11-20" -> "20.11.2026" (ru) / "20/11/2026" (en). Anything else is returned as it is. */
export function dayText(ymd: string | null | undefined): string {
  if (!ymd) return t('none');
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(ymd);
  if (!m) return ymd;
  const sep = DATE_PATTERN[language()].sep;
  return `${m[3]}${sep}${m[2]}${sep}${m[1]}`;
}

/** What a date field asks for: "дд.мм.гггг" / "dd/mm/yyyy". */
export function dayHint(): string {
  return DATE_PATTERN[language()].hint;
}

/**
 * A typed date -> "YYYY-MM-DD", or null when it is not a real day. Day first, month, then a four-digit
 * year; any of . / - or a space between them (20.11.2026, 20/11/2026, 20-11-2026), and an ISO date too.
 */
export function parseDay(text: string): string | null {
  const s = text.trim();
  let y: number, mo: number, d: number;
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(s);
  const dmy = /^(\d{1,2})[./\-\s](\d{1,2})[./\-\s](\d{4})$/.exec(s);
  if (iso) [y, mo, d] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
  else if (dmy) [d, mo, y] = [Number(dmy[1]), Number(dmy[2]), Number(dmy[3])];
  else return null;
  const at = new Date(Date.UTC(y, mo - 1, d));
  if (y < 1970 || at.getUTCFullYear() !== y || at.getUTCMonth() !== mo - 1 || at.getUTCDate() !== d) return null;
  return `${y}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** A typed time: "9:05", "09.05" -> "09:05" (24-hour), or null. */
export function parseTime(text: string): string | null {
  const m = /^(\d{1,2})[:.](\d{2})$/.exec(text.trim());
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) return null;
  return `${m[1]!.padStart(2, '0')}:${m[2]}`;
}

/**
 * A report period as the API labels it, in the page's language: an hour "2026-11-20T09:00" ->
 * "20.11.2026, 09:00", a day -> "20.11.2026", a week "2026-W47" -> "нед. 47, 2026" / "week 47, 2026",
 * a month "2026-11" -> "ноябрь 2026" / "November 2026".
 */
export function periodText(label: string): string {
  const hour = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})$/.exec(label);
  if (hour) return `${dayText(hour[1])}, ${hour[2]}`; // as dateTime() writes it
  if (/^\d{4}-\d{2}-\d{2}$/.test(label)) return dayText(label);
  const week = /^(\d{4})-W(\d{2})$/.exec(label);
  if (week) return t('periodWeek', { week: Number(week[2]), year: week[1]! });
  const month = /^(\d{4})-(\d{2})$/.exec(label);
  if (month) {
    const name = new Intl.DateTimeFormat(locale(), { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(Date.UTC(Number(month[1]), Number(month[2]) - 1, 1));
    // Russian's standalone month is lower-case in a date ("ноябрь 2026 г."): capitalised, without "г.".
    return (name.charAt(0).toUpperCase() + name.slice(1)).replace(/\s*г\.$/, '');
  }
  return label;
}
