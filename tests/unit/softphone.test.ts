// The browser phone's pure parts: SIP passwords derived from the secret, the settings taken from the
// configuration (a bad value stops the service naming it), the endpoint options string.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadServiceConfig } from '../../src/config/config.js';
import { parseEndpointOptions } from '../../src/pbx/softphone-endpoints.js';
import { defaultWsUrl, sipPassword, softphoneSettings } from '../../src/softphone/credentials.js';

const minimal = { CTI_AMI_USER: 'cti', CTI_AMI_SECRET: 's', CTI_ARI_USER: 'cti', CTI_ARI_PASSWORD: 'p' };

describe('browser phone', () => {
  it('derives a stable, URL-safe SIP password per user, rotation and secret', () => {
    const a = sipPassword('secret-one-0123456789', 'user-a', 0);
    expect(a).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(sipPassword('secret-one-0123456789', 'user-a', 0)).toBe(a);
    const others = [
      sipPassword('secret-one-0123456789', 'user-b', 0),
      sipPassword('secret-one-0123456789', 'user-a', 1),
      sipPassword('secret-two-0123456789', 'user-a', 0),
    ];
    expect(new Set([a, ...others]).size).toBe(4);
  });

  it('takes its settings from the configuration, the websocket on the ARI host by default', () => {
    expect(defaultWsUrl('http://127.0.0.1:8088')).toBe('ws://127.0.0.1:8088/ws');
    expect(defaultWsUrl('https://pbx.example.com:8089/')).toBe('wss://pbx.example.com:8089/ws');
    const off = softphoneSettings(loadServiceConfig({ ...minimal, CTI_ARI_URL: 'http://10.0.0.5:8088' }));
    expect(off).toEqual({ secret: null, wsUrl: 'ws://10.0.0.5:8088/ws', domain: '10.0.0.5', iceServers: [] });
    const on = softphoneSettings(loadServiceConfig({
      ...minimal, CTI_SIP_SECRET: '0123456789abcdef0123', CTI_SOFTPHONE_WS_URL: 'wss://pbx.example.com:8089/ws',
      CTI_SOFTPHONE_ICE_SERVERS: '[{"urls":["turn:turn.example.com:3478"],"username":"u","credential":"c"}]',
    }));
    expect(on).toEqual({
      secret: '0123456789abcdef0123', wsUrl: 'wss://pbx.example.com:8089/ws', domain: 'pbx.example.com',
      iceServers: [{ urls: ['turn:turn.example.com:3478'], username: 'u', credential: 'c' }],
    });
  });

  it.each([
    ['CTI_SIP_SECRET', 'short'],
    ['CTI_SOFTPHONE_WS_URL', 'http://pbx.example.com/ws'],
    ['CTI_SOFTPHONE_ICE_SERVERS', '{"urls":"stun:x"}'],
    ['CTI_SOFTPHONE_ICE_SERVERS', 'not json'],
    ['CTI_SOFTPHONE_ENDPOINT', 'allow opus'],
  ])('a bad %s (%s) stops the service, naming it', (name, value) => {
    expect(() => loadServiceConfig({ ...minimal, [name]: value })).toThrow(ConfigError);
    expect(() => loadServiceConfig({ ...minimal, [name]: value })).toThrow(new RegExp(`${name}: `));
  });

  it('reads endpoint options as name=value pairs', () => {
    expect(parseEndpointOptions('media_address=127.0.0.1; bind_rtp_to_media_address=yes;;allow=opus,ulaw')).toEqual({
      media_address: '127.0.0.1', bind_rtp_to_media_address: 'yes', allow: 'opus,ulaw',
    });
    expect(parseEndpointOptions('')).toEqual({});
  });
});
