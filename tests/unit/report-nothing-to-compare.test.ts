// A report whose previous period had no calls and no callbacks due says "nothing to compare with"
// instead of painting a fall (web/src/reports-model.ts nothingToCompare; issue 11, item 9).
import { describe, expect, it } from 'vitest';
import { METRICS, nothingToCompare, type Metrics } from '../../web/src/reports-model.js';

function metrics(values: Partial<Record<keyof Metrics, number | null>>): Metrics {
  return Object.fromEntries(METRICS.map((m) => [m, { value: values[m] ?? 0, band: null }])) as Metrics;
}

describe('nothing to compare with', () => {
  it('a previous period with no calls and no callbacks due', () => {
    expect(nothingToCompare({ metrics: metrics({}) })).toBe(true);
    expect(nothingToCompare({ metrics: metrics({ calls: null, callbacksDue: null }) })).toBe(true);
  });

  it('any call, or a callback due, before is a base to compare with', () => {
    expect(nothingToCompare({ metrics: metrics({ calls: 1 }) })).toBe(false);
    expect(nothingToCompare({ metrics: metrics({ callbacksDue: 2 }) })).toBe(false);
  });
});
