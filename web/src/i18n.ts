// The page's language and its strings (web/src/messages: English and Russian). The language is the user's
// own (User.language), switched in the page header and saved with PATCH /api/v1/auth/me. `{name}`
// placeholders are filled by t().
import type { Language } from './types.js';
import { en, type MessageKey } from './messages/en.js';
import { ru } from './messages/ru.js';

export type { MessageKey };

const dictionaries: Record<Language, Record<MessageKey, string>> = { en, ru };

/** The browser's language, as far as we speak it: the login page's, and the demo users' own. */
export function browserLanguage(): Language {
  return navigator.language.toLowerCase().startsWith('ru') ? 'ru' : 'en';
}

let current: Language = browserLanguage();

export function setLanguage(lang: Language): void {
  current = lang;
  document.documentElement.lang = lang;
}

export function language(): Language {
  return current;
}

/** The message in the current language, with {placeholders} filled. */
export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  const s = dictionaries[current][key];
  return s.replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m));
}

/** Keys built from data (`disposition_${d}`), checked against the dictionary. */
export function tKey(prefix: string, value: string, params: Record<string, string | number> = {}): string {
  const key = `${prefix}${value}`;
  return key in en ? t(key as MessageKey, params) : value;
}
