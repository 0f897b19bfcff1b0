// The report page's quick periods and dates (web/src/reports-model.ts): weeks Monday to Sunday, months
// and the month before across a year's end, "today" in the company's zone rather than the browser's.
import { describe, expect, it } from 'vitest';
import { dayAfter, fillPeriods, quickRange, todayIn } from '../../web/src/reports-model.js';

describe('report periods', () => {
  it('this week runs Monday to Sunday, whatever day today is', () => {
    expect(quickRange('thisWeek', '2026-11-22')).toEqual({ from: '2026-11-16', to: '2026-11-22' }); // a Sunday
    expect(quickRange('thisWeek', '2026-11-16')).toEqual({ from: '2026-11-16', to: '2026-11-22' }); // a Monday
    expect(quickRange('thisWeek', '2026-12-31')).toEqual({ from: '2026-12-28', to: '2027-01-03' }); // across the year
  });

  it('this month and last month, with their lengths, across a year and a leap February', () => {
    expect(quickRange('today', '2026-11-22')).toEqual({ from: '2026-11-22', to: '2026-11-22' });
    expect(quickRange('thisMonth', '2026-11-22')).toEqual({ from: '2026-11-01', to: '2026-11-30' });
    expect(quickRange('lastMonth', '2026-11-22')).toEqual({ from: '2026-10-01', to: '2026-10-31' });
    expect(quickRange('lastMonth', '2027-01-05')).toEqual({ from: '2026-12-01', to: '2026-12-31' });
    expect(quickRange('thisMonth', '2028-02-10')).toEqual({ from: '2028-02-01', to: '2028-02-29' });
    expect(quickRange('lastMonth', '2026-03-31')).toEqual({ from: '2026-02-01', to: '2026-02-28' });
  });

  it("the API's exclusive end is the day after, across months and years", () => {
    expect(dayAfter('2026-11-30')).toBe('2026-12-01');
    expect(dayAfter('2026-12-31')).toBe('2027-01-01');
    expect(dayAfter('2028-02-28')).toBe('2028-02-29');
  });

  it("today is the company's date: already tomorrow in Moscow while still today in New York", () => {
    const now = new Date('2026-11-20T22:30:00Z');
    expect(todayIn('Europe/Moscow', now)).toBe('2026-11-21');
    expect(todayIn('America/New_York', now)).toBe('2026-11-20');
    expect(todayIn('UTC', now)).toBe('2026-11-20');
  });
});

describe('chart axes: every period between the first and the last', () => {
  it('fills the hours, days, weeks and months no call fell in', () => {
    expect(fillPeriods(['2026-11-22T12:00', '2026-11-22T10:00'])).toEqual(['2026-11-22T10:00', '2026-11-22T11:00', '2026-11-22T12:00']);
    expect(fillPeriods(['2026-11-30T23:00', '2026-12-01T01:00'])).toEqual(['2026-11-30T23:00', '2026-12-01T00:00', '2026-12-01T01:00']);
    expect(fillPeriods(['2026-12-30', '2027-01-02'])).toEqual(['2026-12-30', '2026-12-31', '2027-01-01', '2027-01-02']);
    expect(fillPeriods(['2026-W52', '2027-W02'])).toEqual(['2026-W52', '2026-W53', '2027-W01', '2027-W02']); // 2026 has 53 ISO weeks
    expect(fillPeriods(['2025-W52', '2026-W01'])).toEqual(['2025-W52', '2026-W01']);
    expect(fillPeriods(['2026-11', '2027-02'])).toEqual(['2026-11', '2026-12', '2027-01', '2027-02']);
    expect(fillPeriods(['2026-11-20'])).toEqual(['2026-11-20']);
    expect(fillPeriods([])).toEqual([]);
  });
});
