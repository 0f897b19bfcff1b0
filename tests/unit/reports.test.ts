// Report maths without a database: KPI bands, time-zone segments and labels, which hours the hourly
// aggregates may answer.
import { describe, expect, it } from 'vitest';
import { loadServiceConfig } from '../../src/config/config.js';
import { bandOf, DEFAULT_KPI, loadKpi, parseKpi } from '../../src/reports/kpi.js';
import { planSegment } from '../../src/reports/report.js';
import { isTimeZone, localDateTime, offsetAt, parseBound, segments } from '../../src/lib/timezone.js';

const HOUR = 3_600_000;
const at = (iso: string) => Date.parse(iso);

describe('KPI bands', () => {
  const kpi = parseKpi({ answered: { thresholds: [5, 10, 15], bands: ['red', 'yellow', 'green', 'orange'] } });
  it.each([[1, 'red'], [4, 'red'], [5, 'yellow'], [9.9, 'yellow'], [10, 'green'], [14, 'green'], [15, 'orange'], [400, 'orange']])('answered %s is %s', (v, band) => {
    expect(bandOf(kpi, 'answered', v)).toBe(band);
  });
  it('has no band for a metric without thresholds or without a value', () => {
    expect(bandOf(kpi, 'talkSeconds', 100)).toBeNull();
    expect(bandOf(DEFAULT_KPI, 'answerRate', null)).toBeNull();
  });
  it('gives no band to a count of 0: nothing happened is neither good nor bad', () => {
    expect(bandOf(kpi, 'answered', 0)).toBeNull();
    expect(bandOf(parseKpi({ missed: { thresholds: [1, 3], bands: ['green', 'yellow', 'red'] } }), 'missed', 0)).toBeNull();
  });
  it('bands a rate only when it stands on enough calls (minCalls, 5 by default)', () => {
    expect(bandOf(DEFAULT_KPI, 'answerRate', 1, { callsIn: 1 })).toBeNull(); // 1 of 1 is no KPI
    expect(bandOf(DEFAULT_KPI, 'answerRate', 0, { callsIn: 2 })).toBeNull();
    expect(bandOf(DEFAULT_KPI, 'avgRingSeconds', 30, { answered: 4 })).toBeNull();
    expect(bandOf(DEFAULT_KPI, 'avgRingSeconds', 30, { answered: 5 })).toBe('red');
    const strict = parseKpi({ answerRate: { thresholds: [0.5], bands: ['red', 'green'], minCalls: 1 } });
    expect(bandOf(strict, 'answerRate', 1, { callsIn: 1 })).toBe('green');
  });
  it.each([[1, 'green'], [0.9, 'green'], [0.89, 'yellow'], [0.75, 'yellow'], [0.74, 'red'], [0, 'red']])('the default answer rate bands: %s of 10 calls is %s', (v, band) => {
    expect(bandOf(DEFAULT_KPI, 'answerRate', v, { callsIn: 10 })).toBe(band);
  });
  it('ships config/kpi.json equal to the built-in defaults, with no band on counts', () => {
    expect(loadKpi('config/kpi.json')).toEqual(DEFAULT_KPI);
    for (const m of ['calls', 'answered', 'missed', 'callsIn'] as const) expect(DEFAULT_KPI[m]).toBeUndefined();
  });
  it('refuses a bad file with a message naming the metric', () => {
    expect(() => parseKpi({ answered: { thresholds: [10, 5], bands: ['red', 'yellow', 'green'] } })).toThrow(/answered\/thresholds: .*ascending/);
    expect(() => parseKpi({ answered: { thresholds: [5], bands: ['red'] } })).toThrow(/answered: bands: one more than thresholds/);
    expect(() => parseKpi({ deals: { thresholds: [5], bands: ['red', 'green'] } })).toThrow(/CTI_KPI_FILE/);
    expect(() => parseKpi({ answered: { thresholds: [5], bands: ['red', 'pink'] } })).toThrow(/answered\/bands\/1/);
  });
});

describe('time zones', () => {
  it('knows IANA names and refuses others (CTI_TIMEZONE stops the start)', () => {
    expect(isTimeZone('Europe/Moscow')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
    const env = { CTI_AMI_USER: 'u', CTI_AMI_SECRET: 's', CTI_ARI_USER: 'u', CTI_ARI_PASSWORD: 'p' };
    expect(loadServiceConfig(env).CTI_TIMEZONE).toBe('Europe/Moscow');
    expect(() => loadServiceConfig({ ...env, CTI_TIMEZONE: 'Moscow' })).toThrow(/CTI_TIMEZONE: an IANA time zone name/);
  });
  it('reads offsets and local dates', () => {
    expect(offsetAt('Europe/Moscow', at('2026-11-20T21:00:00Z'))).toBe(3 * HOUR);
    expect(offsetAt('Asia/Kolkata', at('2026-11-20T21:00:00Z'))).toBe(5.5 * HOUR);
    expect(parseBound('2026-11-20', 'Europe/Moscow')).toBe(at('2026-11-19T21:00:00Z'));
    expect(parseBound('2026-11-01', 'America/New_York')).toBe(at('2026-11-01T04:00:00Z'));
    expect(parseBound('2026-11-02', 'America/New_York')).toBe(at('2026-11-02T05:00:00Z'));
    expect(parseBound('2026-02-30', 'UTC')).toBeNaN();
    expect(parseBound('20.11.2026', 'UTC')).toBeNaN();
    expect(localDateTime('Europe/Moscow', at('2026-11-20T21:30:05Z'))).toBe('2026-11-21 00:30:05');
  });
  it('cuts a range where DST changes the offset', () => {
    const s = segments('America/New_York', at('2026-10-31T04:00:00Z'), at('2026-11-03T05:00:00Z'));
    expect(s).toEqual([
      { from: at('2026-10-31T04:00:00Z'), to: at('2026-11-01T06:00:00Z'), offset: -4 * HOUR },
      { from: at('2026-11-01T06:00:00Z'), to: at('2026-11-03T05:00:00Z'), offset: -5 * HOUR },
    ]);
    expect(segments('Europe/Moscow', 0, 400 * 86_400_000)).toHaveLength(1);
  });
});

describe('what the hourly aggregates answer', () => {
  it('all of a whole-hour zone with bounds on the hour', () => {
    const seg = { from: at('2026-11-19T21:00:00Z'), to: at('2026-11-21T21:00:00Z'), offset: 3 * HOUR };
    expect(planSegment('day', seg)).toEqual({ agg: { from: seg.from, to: seg.to, exclude: [] }, calls: [] });
  });
  it('not the hours a bound or a half-hour midnight cuts', () => {
    const seg = { from: at('2026-11-19T18:30:00Z'), to: at('2026-11-21T18:30:00Z'), offset: 5.5 * HOUR };
    expect(planSegment('day', seg)).toEqual({
      agg: { from: at('2026-11-19T19:00:00Z'), to: at('2026-11-21T18:00:00Z'), exclude: [at('2026-11-20T18:00:00Z')] },
      calls: [
        [at('2026-11-19T18:30:00Z'), at('2026-11-19T19:00:00Z')],
        [at('2026-11-21T18:00:00Z'), at('2026-11-21T18:30:00Z')],
        [at('2026-11-20T18:00:00Z'), at('2026-11-20T19:00:00Z')],
      ],
    });
    expect(planSegment('hour', seg)).toEqual({ agg: null, calls: [[seg.from, seg.to]] });
    expect(planSegment(null, { from: at('2026-11-20T10:15:00Z'), to: at('2026-11-20T10:45:00Z'), offset: 0 })).toEqual({ agg: null, calls: [[at('2026-11-20T10:15:00Z'), at('2026-11-20T10:45:00Z')]] });
  });
});
