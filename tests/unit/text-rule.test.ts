// The one text rule (src/lib/text.ts) and how the login limiter counts addresses (src/users/login-limiter.ts).
import { describe, expect, it } from 'vitest';
import { cleanIdentifier, cleanText } from '../../src/lib/text.js';
import { addressKey } from '../../src/users/login-limiter.js';

describe('the text rule', () => {
  it('names: trimmed and NFC; control, bidi override or isolate, lone surrogate refused with their fault', () => {
    expect(cleanText('  Андре\u0438\u0306\n')).toEqual({ ok: true, value: 'Андрей' });
    expect(cleanText('Zoe\u0308')).toEqual({ ok: true, value: 'Zoë' });
    expect(cleanText('a\u200Db')).toEqual({ ok: true, value: 'a\u200Db' }); // a joiner is part of some scripts and emoji
    expect(cleanText('a\u200Fb')).toMatchObject({ ok: true }); // a right-to-left mark overrides nothing
    for (const [s, fault] of [
      ['a\nb', 'control'], ['a\tb', 'control'], ['a\u0000', 'control'], ['a\u0085b', 'control'], ['a\u2028b', 'control'],
      ['a\u202Ab', 'bidi'], ['a\u202Eb', 'bidi'], ['a\u2066b', 'bidi'], ['a\u2069b', 'bidi'],
      ['a\uD800', 'surrogate'], ['\uDC00a', 'surrogate'], ['a\uDBFF\uDBFFb', 'surrogate'],
    ] as const) expect(cleanText(s), JSON.stringify(s)).toMatchObject({ ok: false, fault });
    expect(cleanText('😀')).toEqual({ ok: true, value: '😀' }); // a surrogate pair is one character
  });

  it('notes keep line breaks and tabs, nothing else', () => {
    expect(cleanText('line 1\r\nline 2\tx', 'note')).toEqual({ ok: true, value: 'line 1\r\nline 2\tx' });
    expect(cleanText('bell\u0007', 'note')).toMatchObject({ ok: false, fault: 'control' });
    expect(cleanText('x\u202Ey', 'note')).toMatchObject({ ok: false, fault: 'bidi', reason: expect.stringContaining('U+202E') });
  });

  it('identifiers of other systems are checked but not normalised', () => {
    expect(cleanIdentifier(' e\u0301 ')).toEqual({ ok: true, value: 'e\u0301' });
    expect(cleanIdentifier('x\u202Ey')).toMatchObject({ ok: false, fault: 'bidi' });
  });
});

describe('login limiter addresses', () => {
  it('IPv4 as it is, IPv4-mapped IPv6 as IPv4, IPv6 by its /64', () => {
    expect(addressKey('10.0.0.1')).toBe('10.0.0.1');
    expect(addressKey('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });
});
