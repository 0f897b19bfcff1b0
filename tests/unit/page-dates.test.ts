// Dates on the page (web/src/format.ts): one format per language, shown and typed alike (issue 11,
// item 10): ru 20.11.2026, en 20/11/2026, never the browser's mm/dd/yyyy; a typed date that is not a
// real day is refused.
import { beforeAll, describe, expect, it, vi } from 'vitest';

type I18n = typeof import('../../web/src/i18n.js');
type Format = typeof import('../../web/src/format.js');
let i18n: I18n;
let f: Format;

beforeAll(async () => {
  vi.stubGlobal('navigator', { language: 'en-US' });
  vi.stubGlobal('document', { documentElement: {} });
  i18n = await import('../../web/src/i18n.js');
  f = await import('../../web/src/format.js');
});

describe('dates in the page language', () => {
  it('Russian: day.month.year everywhere, the date field asks for the same', () => {
    i18n.setLanguage('ru');
    expect(f.dayText('2026-11-05')).toBe('05.11.2026');
    expect(f.dayHint()).toBe('дд.мм.гггг');
    expect(f.periodText('2026-11-05T09:00')).toBe('05.11.2026, 09:00');
    expect(f.periodText('2026-11-05')).toBe('05.11.2026');
    expect(f.periodText('2026-W47')).toBe('47-я неделя 2026');
    expect(f.periodText('2026-11')).toBe('Ноябрь 2026');
    // The same pattern as a call's time in the tables (dateTime), whatever the browser's locale.
    expect(f.dateTime('2026-11-05T09:00:00Z')).toMatch(/^\d\d\.\d\d\.2026, \d\d:\d\d$/);
  });

  it('English: day/month/year (as en-GB), not the US month first', () => {
    i18n.setLanguage('en');
    expect(f.dayText('2026-11-05')).toBe('05/11/2026');
    expect(f.dayHint()).toBe('dd/mm/yyyy');
    expect(f.periodText('2026-11-05T09:00')).toBe('05/11/2026, 09:00');
    expect(f.periodText('2026-W47')).toBe('week 47, 2026');
    expect(f.periodText('2026-11')).toBe('November 2026');
    expect(f.dateTime('2026-11-05T09:00:00Z')).toMatch(/^\d\d\/\d\d\/2026, \d\d:\d\d$/);
  });

  it('reads a typed date day first, with . / - or a space, or ISO; refuses what is no day', () => {
    expect(f.parseDay('05.11.2026')).toBe('2026-11-05');
    expect(f.parseDay(' 5/11/2026 ')).toBe('2026-11-05');
    expect(f.parseDay('5-11-2026')).toBe('2026-11-05');
    expect(f.parseDay('2026-11-05')).toBe('2026-11-05');
    expect(f.parseDay('29.02.2028')).toBe('2028-02-29');
    for (const bad of ['29.02.2027', '31.11.2026', '11/31/2026', '05.13.2026', '5.11.26', '', 'завтра', '00.11.2026']) expect(f.parseDay(bad), bad).toBeNull();
    // What the page shows reads back as the same day, in both languages.
    for (const lang of ['ru', 'en'] as const) {
      i18n.setLanguage(lang);
      expect(f.parseDay(f.dayText('2026-01-31'))).toBe('2026-01-31');
    }
  });

  it('reads a typed time, 24-hour', () => {
    expect(f.parseTime('9:05')).toBe('09:05');
    expect(f.parseTime(' 14.30 ')).toBe('14:30');
    for (const bad of ['24:00', '12:60', '2 pm', '', '1230']) expect(f.parseTime(bad), bad).toBeNull();
  });
});
