// The period a report is compared with (src/reports/report.ts previousPeriod): calendar months with the
// months before, whole days and weeks with as many local days before (across DST), anything else with the
// same length just before.
import { describe, expect, it } from 'vitest';
import { previousPeriod } from '../../src/reports/report.js';
import { localDateTime, parseBound } from '../../src/lib/timezone.js';

/** previousPeriod of [from, to) given as local dates, answered as local date-times. */
function prev(tz: string, from: string, to: string): [string, string] {
  const p = previousPeriod(tz, parseBound(from, tz), parseBound(to, tz));
  return [localDateTime(tz, p.from), localDateTime(tz, p.to)];
}

describe('the previous period', () => {
  it('a calendar month is compared with the month before, whatever their lengths', () => {
    expect(prev('Europe/Moscow', '2026-11-01', '2026-12-01')).toEqual(['2026-10-01 00:00:00', '2026-11-01 00:00:00']); // 30 after 31
    expect(prev('Europe/Moscow', '2026-03-01', '2026-04-01')).toEqual(['2026-02-01 00:00:00', '2026-03-01 00:00:00']); // 31 after 28
    expect(prev('Europe/Moscow', '2028-03-01', '2028-04-01')).toEqual(['2028-02-01 00:00:00', '2028-03-01 00:00:00']); // after a leap 29
    expect(prev('Europe/Moscow', '2026-12-01', '2027-01-01')).toEqual(['2026-11-01 00:00:00', '2026-12-01 00:00:00']);
    expect(prev('Europe/Moscow', '2027-01-01', '2027-02-01')).toEqual(['2026-12-01 00:00:00', '2027-01-01 00:00:00']); // across the year
  });

  it('several months and a year: as many months before', () => {
    expect(prev('Asia/Kolkata', '2026-10-01', '2027-01-01')).toEqual(['2026-07-01 00:00:00', '2026-10-01 00:00:00']);
    expect(prev('Europe/Moscow', '2026-01-01', '2027-01-01')).toEqual(['2025-01-01 00:00:00', '2026-01-01 00:00:00']);
  });

  it('in a zone with DST: local midnights, not a fixed number of hours', () => {
    // April 2026 in Berlin follows March, which has the spring change (a 743-hour month).
    expect(prev('Europe/Berlin', '2026-04-01', '2026-05-01')).toEqual(['2026-03-01 00:00:00', '2026-04-01 00:00:00']);
    // November follows October, which has the autumn change (745 hours).
    expect(prev('Europe/Berlin', '2026-11-01', '2026-12-01')).toEqual(['2026-10-01 00:00:00', '2026-11-01 00:00:00']);
    // A week after the autumn change: the week before it, midnight to midnight (169 hours).
    expect(prev('Europe/Berlin', '2026-11-02', '2026-11-09')).toEqual(['2026-10-26 00:00:00', '2026-11-02 00:00:00']);
    expect(prev('Europe/Berlin', '2026-10-26', '2026-11-02')).toEqual(['2026-10-19 00:00:00', '2026-10-26 00:00:00']);
    // A day after the spring change (23 hours long) is compared with the whole day before.
    expect(prev('America/New_York', '2026-03-09', '2026-03-10')).toEqual(['2026-03-08 00:00:00', '2026-03-09 00:00:00']);
  });

  it('whole days and weeks: as many days before', () => {
    expect(prev('Europe/Moscow', '2026-11-16', '2026-11-23')).toEqual(['2026-11-09 00:00:00', '2026-11-16 00:00:00']);
    expect(prev('Europe/Moscow', '2026-11-22', '2026-11-23')).toEqual(['2026-11-21 00:00:00', '2026-11-22 00:00:00']);
    expect(prev('Europe/Moscow', '2026-11-05', '2026-11-20')).toEqual(['2026-10-21 00:00:00', '2026-11-05 00:00:00']);
    expect(prev('Europe/Moscow', '2026-12-29', '2027-01-05')).toEqual(['2026-12-22 00:00:00', '2026-12-29 00:00:00']);
  });

  it('a range that is not whole days: the same length just before', () => {
    const from = Date.parse('2026-11-20T09:30:00Z');
    const to = Date.parse('2026-11-20T11:00:00Z');
    expect(previousPeriod('Europe/Moscow', from, to)).toEqual({ from: Date.parse('2026-11-20T08:00:00Z'), to: from });
  });
});
