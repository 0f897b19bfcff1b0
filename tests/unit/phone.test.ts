import { describe, expect, it } from 'vitest';
import { normaliseExternal, toE164 } from '../../src/lib/phone.js';

describe('phone numbers', () => {
  it.each([
    ['+7 916 123-45-67', '+79161234567'],
    ['8 (916) 123 45 67', '+79161234567'],
    ['89161234567', '+79161234567'],
    ['9161234567', '+79161234567'],
    ['0079161234567', '+79161234567'],
    ['+44 20 7946 0958', '+442079460958'],
  ])('%s -> %s', (raw, e164) => {
    expect(toE164(raw, 'RU')).toBe(e164);
  });

  it.each(['', 'anonymous', 'unknown', '+', '123', '1'.repeat(40), '٩١٦١٢٣٤٥٦٧'])('does not invent a number from %j', (raw) => {
    expect(() => toE164(raw, 'RU')).not.toThrow();
    const r = toE164(raw, 'RU');
    if (raw === '٩١٦١٢٣٤٥٦٧') expect(r === null || r === '+79161234567').toBe(true);
    else expect(r).toBeNull();
  });

  it('keeps what does not parse as digits for display', () => {
    expect(normaliseExternal('15551230001', 'RU')).toBe('15551230001');
    expect(normaliseExternal('<unknown>', 'RU')).toBeNull();
    expect(normaliseExternal('101', 'RU')).toBe('101');
  });
});
