import { describe, expect, it } from 'vitest';
import { ConfigError, loadServiceConfig, loadBaseConfig } from '../../src/config/config.js';

const minimal = { CTI_AMI_USER: 'cti', CTI_AMI_SECRET: 's', CTI_ARI_USER: 'cti', CTI_ARI_PASSWORD: 'p' };

describe('configuration', () => {
  it('applies defaults and freezes the result', () => {
    const c = loadServiceConfig(minimal);
    expect(c.CTI_HTTP_HOST).toBe('127.0.0.1');
    expect(c.CTI_HTTP_PORT).toBe(3000);
    expect(c.CTI_DEFAULT_REGION).toBe('RU');
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('the PBX on another host: the event log from a postgres:// URL, the recordings over https:// with all three TLS files', () => {
    const c = loadServiceConfig({ ...minimal, CTI_PBX_CEL_DATABASE_URL: 'postgres://cti_cel:s@db.example:5432/asterisk' });
    expect(c.CTI_PBX_CEL_TABLE).toBe('cel');
    expect(() => loadServiceConfig({ ...minimal, CTI_PBX_CEL_DATABASE_URL: 'mysql://x' })).toThrow(/CTI_PBX_CEL_DATABASE_URL/);
    expect(() => loadServiceConfig({ ...minimal, CTI_PBX_CEL_TABLE: 'cel; DROP TABLE calls' })).toThrow(/CTI_PBX_CEL_TABLE/);
    expect(() => loadServiceConfig({ ...minimal, CTI_PBX_RECORDINGS_URL: 'http://pbx.example/recordings/' })).toThrow(/CTI_PBX_RECORDINGS_URL: an https/);
    try {
      loadServiceConfig({ ...minimal, CTI_PBX_RECORDINGS_URL: 'https://pbx.example/recordings/', CTI_PBX_RECORDINGS_CA: '/nonexistent/ca.pem' });
      expect.unreachable();
    } catch (e) {
      const msg = (e as Error).message;
      expect(msg).toContain('CTI_PBX_RECORDINGS_CA: a file this service can read');
      for (const v of ['CTI_PBX_RECORDINGS_CERT', 'CTI_PBX_RECORDINGS_KEY']) expect(msg).toContain(`${v}: is required with CTI_PBX_RECORDINGS_URL`);
    }
  });

  it('names every missing variable', () => {
    try {
      loadServiceConfig({});
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const msg = (e as Error).message;
      for (const v of ['CTI_AMI_USER', 'CTI_AMI_SECRET']) expect(msg).toContain(`${v}: is required`);
    }
  });

  it('ARI is optional, both or neither: without it the service only observes (an AMI user alone)', () => {
    const observe = loadServiceConfig({ CTI_AMI_USER: 'cti', CTI_AMI_SECRET: 's' });
    expect([observe.CTI_ARI_USER, observe.CTI_ARI_PASSWORD]).toEqual([undefined, undefined]);
    expect(loadServiceConfig({ ...minimal, CTI_ARI_USER: '', CTI_ARI_PASSWORD: '' }).CTI_ARI_USER).toBeUndefined();
    for (const half of [{ CTI_ARI_USER: 'cti' }, { CTI_ARI_PASSWORD: 'p' }]) {
      const missing = 'CTI_ARI_USER' in half ? 'CTI_ARI_PASSWORD' : 'CTI_ARI_USER';
      expect(() => loadServiceConfig({ CTI_AMI_USER: 'cti', CTI_AMI_SECRET: 's', ...half })).toThrow(`${missing}: set CTI_ARI_USER and CTI_ARI_PASSWORD both`);
    }
  });

  it.each([
    ['CTI_HTTP_PORT', '70000'],
    ['CTI_AMI_PORT', 'abc'],
    ['CTI_ARI_URL', 'not a url'],
    ['CTI_DEFAULT_REGION', 'russia'],
    ['CTI_EXTENSION_PATTERN', '(['],
    ['CTI_LOG_LEVEL', 'loud'],
    ['CTI_PUBLIC_URL', 'cti.example.com'],
    ['CTI_PUBLIC_URL', 'ftp://cti.example.com'],
    ['CTI_PUBLIC_URL', 'https://cti.example.com/?x=1'],
  ])('rejects a bad %s, naming it', (name, value) => {
    expect(() => loadServiceConfig({ ...minimal, [name]: value })).toThrow(new RegExp(`${name}:`));
  });

  it('reads CTI_TRUST_PROXY as false (the default), true, or proxy addresses and CIDRs; anything else stops it, naming the variable', () => {
    expect(loadServiceConfig(minimal).CTI_TRUST_PROXY).toBe(false);
    expect(loadServiceConfig({ ...minimal, CTI_TRUST_PROXY: 'true' }).CTI_TRUST_PROXY).toBe(true);
    expect(loadServiceConfig({ ...minimal, CTI_TRUST_PROXY: '10.0.0.5, 192.168.0.0/16,fd00::/8' }).CTI_TRUST_PROXY).toEqual(['10.0.0.5', '192.168.0.0/16', 'fd00::/8']);
    for (const bad of ['yes', '2', '10.0.0.0/33', 'proxy.example.com', '10.0.0.1/8/1', ',']) {
      expect(() => loadServiceConfig({ ...minimal, CTI_TRUST_PROXY: bad }), bad).toThrow(/CTI_TRUST_PROXY:/);
    }
    expect(loadServiceConfig(minimal)).toMatchObject({ CTI_LOGIN_MAX_FAILURES: 5, CTI_LOGIN_ADDRESS_MAX_FAILURES: 100 });
    expect(() => loadServiceConfig({ ...minimal, CTI_LOGIN_MAX_FAILURES: '0' })).toThrow(/CTI_LOGIN_MAX_FAILURES:/);
  });

  it("reads CTI_CLICK_TO_CALL_RING_S (the manager's own phone's ring time for click-to-call): 30 s unless set, 5 to 120 s", () => {
    expect(loadServiceConfig(minimal).CTI_CLICK_TO_CALL_RING_S).toBe(30);
    expect(loadServiceConfig({ ...minimal, CTI_CLICK_TO_CALL_RING_S: '8' }).CTI_CLICK_TO_CALL_RING_S).toBe(8);
    for (const bad of ['0', '4', '121', '7.5', 'soon']) {
      expect(() => loadServiceConfig({ ...minimal, CTI_CLICK_TO_CALL_RING_S: bad }), bad).toThrow(/CTI_CLICK_TO_CALL_RING_S:/);
    }
  });

  it('CTI_PUBLIC_URL: the origin users reach us at, by default the HTTP host and port, without a trailing slash', () => {
    expect(loadServiceConfig(minimal).CTI_PUBLIC_URL).toBe('http://127.0.0.1:3000');
    expect(loadServiceConfig({ ...minimal, CTI_HTTP_HOST: '::1', CTI_HTTP_PORT: '8080' }).CTI_PUBLIC_URL).toBe('http://[::1]:8080');
    expect(loadServiceConfig({ ...minimal, CTI_PUBLIC_URL: 'https://cti.example.com/' }).CTI_PUBLIC_URL).toBe('https://cti.example.com');
    expect(loadServiceConfig({ ...minimal, CTI_PUBLIC_URL: 'https://example.com:8443/cti/' }).CTI_PUBLIC_URL).toBe('https://example.com:8443/cti');
  });

  it('needs only storage settings for commands that do not talk to the PBX', () => {
    expect(loadBaseConfig({}).CTI_DB_FILE).toBe('./data/cti.sqlite');
  });
});
