// The calls tables' words (web/src/messages) and the calls CSV's headers (src/calls/csv.ts): the call's
// result (answered, busy...) and the wrap-up's outcome are different things and must not share a word,
// and the CSV says what the page says.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { CALLS_CSV_DISPOSITIONS, CALLS_CSV_HEADERS } from '../../src/calls/csv.js';

type I18n = typeof import('../../web/src/i18n.js');
let i18n: I18n;

beforeAll(async () => {
  // i18n.ts reads the browser's language when loaded.
  vi.stubGlobal('navigator', { language: 'en' });
  vi.stubGlobal('document', { documentElement: {} });
  i18n = await import('../../web/src/i18n.js');
});

describe.each(['ru', 'en'] as const)('calls words in %s', (lang) => {
  it('the result column, its filter, the ring time and the wrap-up outcome are distinct words', () => {
    i18n.setLanguage(lang);
    const { t } = i18n;
    const words = [t('disposition'), t('ring'), t('talk'), t('wrapupLabel'), t('outcome')];
    expect(new Set(words.map((w) => w.toLowerCase())).size).toBe(words.length);
    // The filter's "any" reads as the column, not as the wrap-up.
    expect(t('disposition_any').toLowerCase()).toContain(t('disposition').toLowerCase());
    expect(t('disposition_any').toLowerCase()).not.toContain(t('outcome').toLowerCase());
    expect(t('ring').toLowerCase()).not.toMatch(/звонил/);
  });

  it('the CSV headers and values use the page words', () => {
    i18n.setLanguage(lang);
    const { t, tKey } = i18n;
    const h = CALLS_CSV_HEADERS[lang];
    expect(h[4]).toBe(t('disposition'));
    expect(h[5]).toBe(`${t('ring')}, ${lang === 'ru' ? 'с' : 's'}`);
    expect(h[6]).toBe(`${t('talk')}, ${lang === 'ru' ? 'с' : 's'}`);
    expect([t('outcome'), t('wrapupLabel')]).toContain(h[7]);
    for (const d of ['answered', 'no_answer', 'busy', 'failed']) expect(CALLS_CSV_DISPOSITIONS[lang][d]).toBe(tKey('disposition_', d));
  });
});
