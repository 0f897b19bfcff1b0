// How the Stasis application hands its decision back, against a fake ARI client that records the REST
// calls: a channel variable for our own dialplan, a global CTI_ROUTE_<channel id> when the dialplan asks
// for it (Stasis' 4th argument `global`, the FreePBX custom destination), and that global deleted again
// when the channel can no longer read it.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { AriClient } from 'ari-client';
import { createLogger } from '../../src/lib/logger.js';
import type { AriConnection } from '../../src/pbx/ari-client.js';
import { StasisApp, type RouteReply } from '../../src/pbx/stasis.js';

const REPLY: RouteReply = { first: { dial: 'PJSIP/102', ringSeconds: 5, routedBy: 'owner' }, then: { dial: 'PJSIP/101', ringSeconds: 10, routedBy: 'default' } };
const ROUTE = 'PJSIP/102|5|owner|PJSIP/101|10|default';

function fakeAri(opts: { continueFails?: boolean } = {}) {
  const calls: [string, Record<string, unknown>][] = [];
  const events = new EventEmitter();
  const rec = (name: string, fail = false) => async (p: Record<string, unknown>) => {
    calls.push([name, p]);
    if (fail) throw new Error('{"message":"Channel not found"}');
  };
  const client = {
    on: (ev: string, cb: (...a: any[]) => void) => events.on(ev, cb),
    removeAllListeners: () => undefined, start: () => undefined, stop: () => undefined,
    asterisk: { getInfo: async () => ({}), setGlobalVar: rec('setGlobalVar') },
    channels: { list: async () => [], setChannelVar: rec('setChannelVar'), continueInDialplan: rec('continueInDialplan', opts.continueFails) },
  } as unknown as AriClient;
  const conn = new EventEmitter() as unknown as AriConnection;
  return { calls, client, conn, events };
}

async function routeOne(args: string[], opts: { continueFails?: boolean } = {}) {
  const f = fakeAri(opts);
  const app = new StasisApp(f.conn, 'cti', createLogger('silent'));
  app.onRoute(async () => REPLY);
  (f.conn as unknown as EventEmitter).emit('ready', f.client);
  f.events.emit('StasisStart', { args }, { id: 'chan-1', caller: { number: '+79160000001' } });
  await new Promise((r) => setTimeout(r, 20));
  return f.calls;
}

describe('the Stasis application hands its decision back', () => {
  it('as the channel variable CTI_ROUTE by default (our own dialplan)', async () => {
    expect(await routeOne(['inbound', '74950000000', ''])).toEqual([
      ['setChannelVar', { channelId: 'chan-1', variable: 'CTI_ROUTE', value: ROUTE }],
      ['continueInDialplan', { channelId: 'chan-1' }],
    ]);
  });

  it('as the global CTI_ROUTE_<channel id> when the dialplan asks for it, never touching the channel', async () => {
    expect(await routeOne(['inbound', '8005550700', '', 'global'])).toEqual([
      ['setGlobalVar', { variable: 'CTI_ROUTE_chan-1', value: ROUTE }],
      ['continueInDialplan', { channelId: 'chan-1' }],
    ]);
  });

  it('deletes that global again when the channel has left (the PBX stopped waiting, the caller hung up)', async () => {
    expect(await routeOne(['inbound', '8005550700', '', 'global'], { continueFails: true })).toEqual([
      ['setGlobalVar', { variable: 'CTI_ROUTE_chan-1', value: ROUTE }],
      ['continueInDialplan', { channelId: 'chan-1' }],
      ['setGlobalVar', { variable: 'CTI_ROUTE_chan-1' }],
    ]);
  });
});
