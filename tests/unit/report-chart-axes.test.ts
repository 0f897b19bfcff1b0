// The report charts' axes (web/src/reports-model.ts): talk time in seconds with clock-friendly steps, so
// short calls are told apart; call counts in whole steps.
import { describe, expect, it } from 'vitest';
import { countStep, talkStep } from '../../web/src/reports-model.js';

describe('report chart axes', () => {
  it('talk time: a step that tells 0:03 from 0:08 and keeps to a few ticks', () => {
    expect(talkStep(8)).toBe(2); // 0:00 0:02 ... 0:08: 3 s and 8 s stand at different heights
    expect(talkStep(5)).toBe(1);
    expect(talkStep(90)).toBe(15);
    expect(talkStep(3600)).toBe(600);
    expect(talkStep(5 * 3600)).toBe(3600);
    expect(talkStep(200 * 3600)).toBe(36000 * 4);
    for (const max of [1, 7, 59, 61, 599, 3601, 86_400]) expect(max / talkStep(max)).toBeLessThanOrEqual(6);
  });

  it('call counts: step 1 while small, so no 0.5 calls', () => {
    expect(countStep(1)).toBe(1);
    expect(countStep(10)).toBe(1);
    expect(countStep(11)).toBeUndefined();
  });
});
