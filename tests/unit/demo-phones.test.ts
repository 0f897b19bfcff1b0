// The demo's managers pick up (src/demo/phones.ts), against a stand-in for a baresip phone's control port
// (ctrl_tcp: netstring JSON commands in, call events out, as baresip 1.0 writes them). A manager answers
// a ringing call after its ring time, lets a second call ring while in one, and never answers a call that
// stopped ringing (answered elsewhere in a group, or the caller gave up).
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DemoPickup } from '../../src/demo/phones.js';

interface FakePhone {
  port: number;
  /** The commands the demo sent, in order. */
  commands: string[];
  event: (type: string, id: string) => void;
  close: () => Promise<void>;
}

async function fakePhone(): Promise<FakePhone> {
  const commands: string[] = [];
  let sock: net.Socket | null = null;
  let buf = '';
  const server = net.createServer((s) => {
    sock = s;
    s.on('data', (d) => {
      buf += d.toString();
      for (let m = /^(\d+):/.exec(buf); m && buf.length >= m[0].length + Number(m[1]) + 1; m = /^(\d+):/.exec(buf)) {
        const json = JSON.parse(buf.slice(m[0].length, m[0].length + Number(m[1]))) as { command: string; params: string };
        commands.push(json.params ? `${json.command} ${json.params}` : json.command);
        buf = buf.slice(m[0].length + Number(m[1]) + 1);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    commands,
    event: (type, id) => {
      const json = JSON.stringify({ event: true, type, class: 'call', direction: 'incoming', id });
      sock!.write(`${Buffer.byteLength(json)}:${json},`);
    },
    close: () => new Promise((r) => { sock?.destroy(); server.close(() => r()); }),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const RING_MS = 60;
let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function setup() {
  const phone = await fakePhone();
  const pickup = new DemoPickup(() => RING_MS);
  await pickup.start([{ ext: '101', port: phone.port }]);
  cleanup.push(() => phone.close(), () => pickup.stop());
  await sleep(20);
  return phone;
}

describe('the demo picks up its phones', () => {
  it('switches the phone to manual answer and answers a ringing call after the ring time', async () => {
    const phone = await setup();
    expect(phone.commands).toEqual(['answermode manual']);
    phone.event('CALL_INCOMING', 'a');
    await sleep(RING_MS / 2);
    expect(phone.commands, 'still ringing').toEqual(['answermode manual']);
    await sleep(RING_MS);
    expect(phone.commands).toEqual(['answermode manual', 'accept']);
  });

  it('lets a second call ring while the manager is in a call, and answers the next one once free', async () => {
    const phone = await setup();
    phone.event('CALL_INCOMING', 'a');
    await sleep(RING_MS + 30);
    phone.event('CALL_ESTABLISHED', 'a');
    phone.event('CALL_INCOMING', 'b');
    await sleep(RING_MS * 2);
    expect(phone.commands.filter((c) => c === 'accept')).toHaveLength(1);
    phone.event('CALL_CLOSED', 'b');
    phone.event('CALL_CLOSED', 'a');
    phone.event('CALL_INCOMING', 'c');
    await sleep(RING_MS + 30);
    expect(phone.commands.filter((c) => c === 'accept')).toHaveLength(2);
  });

  it('does not answer a call that stopped ringing (answered by another phone of the group)', async () => {
    const phone = await setup();
    phone.event('CALL_INCOMING', 'a');
    await sleep(RING_MS / 3);
    phone.event('CALL_CLOSED', 'a');
    await sleep(RING_MS * 2);
    expect(phone.commands).toEqual(['answermode manual']);
  });

  it('puts the phone back to auto-answer when the demo stops', async () => {
    const phone = await fakePhone();
    cleanup.push(() => phone.close());
    const pickup = new DemoPickup(() => RING_MS);
    await pickup.start([{ ext: '101', port: phone.port }]);
    await sleep(20);
    phone.event('CALL_INCOMING', 'a');
    await pickup.stop();
    await sleep(RING_MS * 2);
    expect(phone.commands).toEqual(['answermode manual', 'answermode auto']);
  });
});
