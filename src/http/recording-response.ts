// Serving an audio file with HTTP Range (RFC 9110 §14): 206 for one satisfiable range, 416 otherwise,
// so the browser's <audio> can seek.
import { createReadStream, statSync } from 'node:fs';
import type { FastifyReply } from 'fastify';
import { CtiError } from '../lib/errors.js';

export function parseRange(header: string | undefined, size: number): { start: number; end: number } | null | 'invalid' {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return 'invalid';
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'invalid';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'invalid';
  return { start, end };
}

export function sendAudio(reply: FastifyReply, file: string, rangeHeader: string | undefined, downloadName: string): FastifyReply {
  const size = statSync(file).size;
  const range = parseRange(rangeHeader, size);
  reply.header('Accept-Ranges', 'bytes');
  reply.header('Content-Type', 'audio/wav');
  reply.header('Content-Disposition', `inline; filename="${downloadName}"`);
  if (range === 'invalid') {
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
