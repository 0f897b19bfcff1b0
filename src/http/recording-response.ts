// Serving an audio file with HTTP Range (RFC 9110 §14), so the browser's <audio> can seek: 206 for one
// satisfiable byte range, 416 for an unsatisfiable one, and the whole file (200) for any Range we do not
// serve: another unit (§14.2: a server MUST ignore a range unit it does not understand), several ranges
// (a multipart/byteranges answer is optional, and no player asks for one) or a malformed header (§14.2
// lets a server ignore an invalid ranges-specifier).
import { createReadStream, statSync } from 'node:fs';
import type { FastifyReply } from 'fastify';
import { CtiError } from '../lib/errors.js';
import type { RemoteAnswer } from '../pbx/remote-recordings.js';

/** null: send the whole file; 'unsatisfiable': 416; else the inclusive byte range to send. */
export type RangeAnswer = { start: number; end: number } | null | 'unsatisfiable';

export function parseRange(header: string | undefined, size: number): RangeAnswer {
  if (!header) return null;
  // ranges-specifier = range-unit "=" range-set (§14.1); the unit is case-insensitive, OWS allowed around.
  const m = /^\s*bytes\s*=\s*(\d*)-(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    // suffix-range: the last N bytes; N = 0 is unsatisfiable (§14.1.1).
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    return size === 0 ? 'unsatisfiable' : { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const last = m[2] === '' ? Infinity : Number(m[2]);
  if (last < start) return null; // invalid int-range (§14.1.1): ignored
  if (start >= size) return 'unsatisfiable'; // first-pos at or past the end (§14.1.1)
  return { start, end: Math.min(last, size - 1) }; // a last-pos past the end is cut to the end (§14.1.2)
}

export function sendAudio(reply: FastifyReply, file: string, rangeHeader: string | undefined, downloadName: string): FastifyReply {
  const size = statSync(file).size;
  const range = parseRange(rangeHeader, size);
  reply.header('Accept-Ranges', 'bytes');
  reply.header('Content-Type', 'audio/wav');
  reply.header('Content-Disposition', `inline; filename="${downloadName}"`);
  if (range === 'unsatisfiable') {
    // §15.5.17: a 416 names the current length.
    reply.header('Content-Range', `bytes */${size}`);
    throw new CtiError('CTI_ERR_RANGE_NOT_SATISFIABLE');
  }
  if (range === null) {
    reply.header('Content-Length', size);
    return reply.send(createReadStream(file));
  }
  reply.code(206);
  reply.header('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
  reply.header('Content-Length', range.end - range.start + 1);
  return reply.send(createReadStream(file, { start: range.start, end: range.end }));
}

/**
 * The one Range this service passes on to the PBX's recordings server: a single "bytes=a-b" (or "a-",
 * "-n") as sendAudio would serve it. Anything else asks for the whole file (200), as sendAudio answers it.
 */
export function relayedRange(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^\s*bytes\s*=\s*(\d*)-(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] !== '' && m[2] !== '' && Number(m[2]) < Number(m[1])) return null;
  return `bytes=${m[1]}-${m[2]}`;
}

/**
 * Relays the PBX's answer to a recording's GET (src/pbx/remote-recordings.ts): its 200 or 206 with its
 * length and range, our own type and name; its 416 as ours; a missing file as no recording; anything
 * else, or no answer at all, as CTI_ERR_RECORDING_UNAVAILABLE (the PBX is the one to look at).
 */
export async function relayAudio(reply: FastifyReply, fetchIt: () => Promise<RemoteAnswer>, downloadName: string): Promise<FastifyReply> {
  let up: RemoteAnswer;
  try {
    up = await fetchIt();
  } catch (err) {
    reply.log.warn({ err }, 'recording: the PBX could not be asked');
    throw new CtiError('CTI_ERR_RECORDING_UNAVAILABLE');
  }
  if (up.status !== 200 && up.status !== 206) {
    up.body.resume();
    if (up.status === 404) throw new CtiError('CTI_ERR_RECORDING_NOT_FOUND');
    if (up.status === 416) {
      if (up.contentRange) reply.header('Content-Range', up.contentRange);
      throw new CtiError('CTI_ERR_RANGE_NOT_SATISFIABLE');
    }
    reply.log.warn({ status: up.status }, "recording: the PBX's recordings server refused");
    throw new CtiError('CTI_ERR_RECORDING_UNAVAILABLE');
  }
  reply.code(up.status);
  reply.header('Accept-Ranges', 'bytes');
  reply.header('Content-Type', 'audio/wav');
  reply.header('Content-Disposition', `inline; filename="${downloadName}"`);
  if (up.contentLength) reply.header('Content-Length', up.contentLength);
  if (up.status === 206 && up.contentRange) reply.header('Content-Range', up.contentRange);
  return reply.send(up.body);
}
