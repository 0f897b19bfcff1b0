import { describe, expect, it } from 'vitest';
import { normaliseExternal, parsePhone, toE164 } from '../../src/lib/phone.js';
import { formatAmount, parseAmount } from '../../src/lib/money.js';
import { splitPhonesCell } from '../../src/contacts/fields.js';

describe('phone numbers', () => {
  // [as written, E.164, extension]
  it.each([
    ['+7 916 123-45-67', '+79161234567', null],
    ['8 (916) 123 45 67', '+79161234567', null],
    ['89161234567', '+79161234567', null],
    ['9161234567', '+79161234567', null],
    ['79161234567', '+79161234567', null],
    ['+79161234567', '+79161234567', null],
    ['0079161234567', '+79161234567', null],
    ['00 7 916 123 45 67', '+79161234567', null],
    ['+7 (916) 123-45-67', '+79161234567', null],
    ['8-916-123-45-67', '+79161234567', null],
    ['8.916.123.45.67', '+79161234567', null],
    ['8(916)1234567', '+79161234567', null],
    ['+7/916/1234567', '+79161234567', null],
    ['  +7 916 1234567  ', '+79161234567', null],
    ['+7\u00a0916\u00a0123-45-67', '+79161234567', null],
    ['tel:+79161234567', '+79161234567', null],
    ['+7 916 123-45-67, доб. 123', '+79161234567', '123'],
    ['8 (495) 123-45-67 доб 5', '+74951234567', '5'],
    ['+7 495 123-45-67 добавочный 77', '+74951234567', '77'],
    ['89161234567x123', '+79161234567', '123'],
    ['8 (916) 123-45-67 x 12', '+79161234567', '12'],
    ['+7 495 123-45-67 ext. 12', '+74951234567', '12'],
    ['+7 495 123 45 67 extension 9', '+74951234567', '9'],
    ['+74951234567;ext=12', '+74951234567', '12'],
    ['+7 916 123 45 67 #12', '+79161234567', '12'],
    ['(495) 123-45-67', '+74951234567', null],
    ['4951234567', '+74951234567', null],
    ['74951234567', '+74951234567', null],
    ['8 800 555 35 35', '+78005553535', null],
    ['810 44 20 7946 0958', '+442079460958', null],
    ['+44 20 7946 0958', '+442079460958', null],
    ['0044 20 7946 0958', '+442079460958', null],
    ['+1 (415) 555-2671', '+14155552671', null],
    ['+380 44 123 4567', '+380441234567', null],
    ['+49 30 123456', '+4930123456', null],
    ['+375 29 123-45-67', '+375291234567', null],
  ])('%s -> %s (extension %s)', (raw, e164, ext) => {
    expect(parsePhone(raw, 'RU')).toEqual({ e164, extension: ext });
    expect(toE164(raw, 'RU')).toBe(e164);
  });

  it('reads national forms in the configured region', () => {
    expect(toE164('020 7946 0958', 'GB')).toBe('+442079460958');
    expect(toE164('(415) 555-2671', 'US')).toBe('+14155552671');
    expect(toE164('8 (916) 123 45 67', 'GB')).toBeNull();
  });

  it.each([
    '', ' ', 'anonymous', 'Anonymous', 'unknown', '<unknown>', 'restricted', 'abc', '9161234567a', 'x123', 'доб. 123',
    '+', '++79161234567', '+ ', '123', '101', '1'.repeat(40), '9'.repeat(19), '٩١٦١٢٣٤٥٦٧', '+7 9１6 1234567', '۹۱۶۱۲۳۴۵۶۷',
    '0', '00', '000000000', '89161234567#', '8-800-FLOWERS', '+7 916 123-45-67 / +7 916 765-43-21', 'null', 'undefined',
    '+7 916 123 45', '+7 999 999 99 99 99', '9161234567123',
  ])('never invents a number from %j', (raw) => {
    expect(() => parsePhone(raw, 'RU')).not.toThrow();
    expect(parsePhone(raw, 'RU')).toBeNull();
    expect(toE164(raw, 'RU')).toBeNull();
  });

  it.each([null, undefined, 42, {}, [], 'x'.repeat(10_000)])('takes anything without throwing: %j', (raw) => {
    expect(parsePhone(raw, 'RU')).toBeNull();
  });

  it('does not throw on a region libphonenumber does not know', () => {
    expect(() => parsePhone('9161234567', 'ZZ')).not.toThrow();
    expect(parsePhone('+79161234567', 'ZZ')?.e164).toBe('+79161234567');
  });

  it('keeps what does not parse as digits for display', () => {
    expect(normaliseExternal('15551230001', 'RU')).toBe('15551230001');
    expect(normaliseExternal('<unknown>', 'RU')).toBeNull();
    expect(normaliseExternal('101', 'RU')).toBe('101');
    expect(normaliseExternal('8 (916) 123-45-67', 'RU')).toBe('+79161234567');
  });

  it('splits the CSV phones cell into labelled numbers', () => {
    expect(splitPhonesCell('mobile:8 (916) 123-45-67| office : +7 495 123-45-67, доб. 12 |+79031234567|tel:+79031112233')).toEqual([
      { label: 'mobile', number: '8 (916) 123-45-67' },
      { label: 'office ', number: ' +7 495 123-45-67, доб. 12' },
      { number: '+79031234567' },
      { number: 'tel:+79031112233' },
    ]);
  });
});

describe('money', () => {
  it.each([
    ['200000', 'RUB', 20_000_000],
    ['200 000,50', 'RUB', 20_000_050],
    ['200\u00a0000.5', 'RUB', 20_000_050],
    [2000, 'RUB', 200_000],
    ['1500', 'JPY', 1500],
    ['1.250', 'BHD', 1250],
  ] as const)('%s %s -> %d minor units', (amount, currency, minor) => {
    expect(parseAmount(amount, currency)).toBe(minor);
    expect(parseAmount(formatAmount(minor, currency), currency)).toBe(minor);
  });

  it.each([['-5', 'RUB'], ['1.234', 'RUB'], ['1.5', 'JPY'], ['abc', 'RUB'], ['1e9', 'RUB'], ['1,000.00', 'RUB']] as const)('rejects %s %s', (amount, currency) => {
    expect(typeof parseAmount(amount, currency)).toBe('string');
  });
});
