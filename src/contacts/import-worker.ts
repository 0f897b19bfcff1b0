// Worker thread of a CSV import: reads and checks rows (import-rows.ts) off the main thread, which
// only writes them. Protocol (all messages small, the file itself never held whole):
//   worker -> main: { type: 'pull' } for the next chunk of the input (not for a file: the worker reads
//                   that itself); the header event; each batch event as { kind: 'json', json };
//                   { kind: 'done' } or { kind: 'fatal', message, code }.
//   main -> worker: { type: 'chunk', data } or { type: 'end' }; { type: 'ack' } after each batch written.
// The worker stays at most AHEAD batches ahead of the writer, so memory stays flat.
import { createReadStream } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { CtiError } from '../lib/errors.js';
import { readCsv } from './import-rows.js';

export interface WorkerInit {
  region: string;
  users: [string, string][];
  batchSize: number;
  /** The file to read; null: the main thread feeds the input. */
  file: string | null;
}

const port = parentPort!;
const init = workerData as WorkerInit;
// Batches posted and not yet written (the one being written counts): with 2 the two threads, about as
// busy as each other, kept waiting for one another whenever the machine's other work delayed either.
const AHEAD = 4;

const chunks: (Buffer | null)[] = [];
let chunkArrived: (() => void) | null = null;
let outstanding = 0;
let acked: (() => void) | null = null;
port.on('message', (m: { type: 'chunk'; data: Uint8Array } | { type: 'end' } | { type: 'ack' }) => {
  if (m.type === 'ack') {
    outstanding--;
    acked?.();
    return;
  }
  chunks.push(m.type === 'chunk' ? Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength) : null);
  chunkArrived?.();
});

async function* fromFile(path: string): AsyncIterable<Buffer> {
  try {
    for await (const c of createReadStream(path)) yield c as Buffer;
  } catch (err) {
    throw new Error(`reading the file: ${(err as Error).message}`);
  }
}

async function* input(): AsyncIterable<Buffer> {
  if (init.file !== null) return yield* fromFile(init.file);
  for (;;) {
    port.postMessage({ type: 'pull' });
    while (chunks.length === 0) await new Promise<void>((r) => (chunkArrived = r));
    const c = chunks.shift()!;
    if (c === null) return;
    yield c;
  }
}

try {
  for await (const ev of readCsv(input(), { region: init.region, userIds: new Map(init.users), batchSize: init.batchSize })) {
    // A batch goes as one JSON string: V8 clones a string with one copy, and the main thread (the writer,
    // the busier of the two) parses JSON faster than it deserializes as many objects.
    port.postMessage(ev.kind === 'batch' ? { kind: 'json', json: JSON.stringify(ev) } : ev);
    if (ev.kind === 'batch') {
      outstanding++;
      while (outstanding >= AHEAD) await new Promise<void>((r) => (acked = r));
    }
  }
  port.postMessage({ kind: 'done' });
} catch (err) {
  port.postMessage({ kind: 'fatal', message: err instanceof Error ? err.message : String(err), code: err instanceof CtiError ? err.code : null });
}
