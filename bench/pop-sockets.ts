// The browsers of the sandbox benches, in a worker thread (an event loop of their own, so the bench's
// AMI parsing does not delay what they receive): socket.io clients logged in with session cookies, each
// noting when a call:ringing arrives. The main thread (bench/sandbox-load.ts PopSockets) starts it with
// the sockets to open and gets the pops back in batches.
import { parentPort, workerData } from 'node:worker_threads';
import type { ScreenPop } from '../src/contract/index.js';
import { socketFor, type ClientSocket } from '../tests/support/session.js';
import { now } from './replay.js';

export interface SocketSpec { url: string; cookie: string; extension: string; instance: number }
export interface PopSeen { linkedId: string; extension: string; instance: number; at: number }
export type FromSockets = { type: 'ready'; connected: number } | { type: 'pops'; pops: PopSeen[] } | { type: 'closed' };

const specs = workerData as SocketSpec[];
const port = parentPort!;
const sockets: ClientSocket[] = [];
let seen: PopSeen[] = [];

// 50 at a time: a thousand handshakes at once would be a load of their own.
for (let i = 0; i < specs.length; i += 50) {
  sockets.push(...await Promise.all(specs.slice(i, i + 50).map(async (s) => {
    const sock = await socketFor(s.url, s.cookie);
    sock.on('call:ringing', (pop: ScreenPop) => {
      const at = now();
      if (pop.extension === s.extension) seen.push({ linkedId: pop.linkedId, extension: s.extension, instance: s.instance, at });
    });
    return sock;
  })));
}
port.postMessage({ type: 'ready', connected: sockets.filter((s) => s.connected).length } satisfies FromSockets);
const flush = setInterval(() => {
  if (seen.length) port.postMessage({ type: 'pops', pops: seen } satisfies FromSockets);
  seen = [];
}, 200);
port.once('message', () => {
  clearInterval(flush);
  if (seen.length) port.postMessage({ type: 'pops', pops: seen } satisfies FromSockets);
  for (const s of sockets) s.close();
  port.postMessage({ type: 'closed' } satisfies FromSockets);
});
