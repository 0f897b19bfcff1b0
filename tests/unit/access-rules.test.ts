// The small rules behind revocation and the socket Origin check (issue 10): which Origin may open a
// socket, the public address's default, and what `--expires` / `expiresAt` accept.
import { describe, expect, it } from 'vitest';
import { loadServiceConfig, publicUrl } from '../../src/config/config.js';
import { originAllowed } from '../../src/realtime/hub.js';
import { parseExpiry } from '../../src/users/tokens.js';

const minimal = { CTI_AMI_USER: 'cti', CTI_AMI_SECRET: 's', CTI_ARI_USER: 'cti', CTI_ARI_PASSWORD: 'p' };
const NOW = Date.parse('2026-12-01T10:00:00Z');

describe('the public address (CTI_PUBLIC_URL)', () => {
  it('defaults to the HTTP host and port, a wildcard host as 127.0.0.1', () => {
    expect(publicUrl(loadServiceConfig(minimal))).toBe('http://127.0.0.1:3000');
    expect(publicUrl(loadServiceConfig({ ...minimal, CTI_HTTP_HOST: '0.0.0.0', CTI_HTTP_PORT: '8080' }))).toBe('http://127.0.0.1:8080');
    expect(publicUrl(loadServiceConfig({ ...minimal, CTI_HTTP_HOST: '::1' }))).toBe('http://[::1]:3000');
    expect(publicUrl(loadServiceConfig({ ...minimal, CTI_PUBLIC_URL: 'https://crm.example.com/' }))).toBe('https://crm.example.com');
  });

  it.each(['crm.example.com', 'ftp://crm.example.com', 'not a url'])('rejects %s, naming the variable', (v) => {
    expect(() => loadServiceConfig({ ...minimal, CTI_PUBLIC_URL: v })).toThrow(/CTI_PUBLIC_URL:/);
  });
});

describe('the Origin of a socket', () => {
  const pub = 'https://crm.example.com';
  it.each([
    [undefined, true], // a non-browser client or a same-origin polling GET: the cookie still decides
    ['https://crm.example.com', true],
    ['https://CRM.example.com:443', true],
    ['http://crm.example.com', false],
    ['https://crm.example.com:8443', false],
    ['https://crm.example.com.evil.example', false],
    ['https://evil.example', false],
    ['null', false],
    ['', false],
  ])('%s: %s', (origin, ok) => {
    expect(originAllowed(origin, pub)).toBe(ok);
  });

  it('takes the loopback names for one another on the same scheme and port, nothing else', () => {
    const demo = 'http://127.0.0.1:3000';
    expect(originAllowed('http://localhost:3000', demo)).toBe(true);
    expect(originAllowed('http://[::1]:3000', demo)).toBe(true);
    expect(originAllowed('http://localhost:3001', demo)).toBe(false);
    expect(originAllowed('https://localhost:3000', demo)).toBe(false);
    expect(originAllowed('http://localhost:3000', 'https://crm.example.com')).toBe(false);
  });
});

describe('token expiry', () => {
  it('takes days, hours, an ISO date (midnight UTC) or date-time', () => {
    expect(parseExpiry('30d', NOW)).toBe(NOW + 30 * 86_400_000);
    expect(parseExpiry('12h', NOW)).toBe(NOW + 12 * 3_600_000);
    expect(parseExpiry('2027-01-01', NOW)).toBe(Date.parse('2027-01-01T00:00:00Z'));
    expect(parseExpiry('2026-12-01T13:30:00+03:00', NOW + 1)).toBe(Date.parse('2026-12-01T10:30:00Z'));
  });

  it.each(['0d', 'soon', '30', '2026-11-30', '2026-12-01T10:00:00Z', '2027-13-01'])('refuses %s, naming the field', (s) => {
    expect(() => parseExpiry(s, NOW, '--expires')).toThrow(/^--expires: /);
  });
});
