// cel_custom's file (dialplan/cel_custom_cti.conf), read from a byte offset: the CEL records Asterisk
// wrote since, each with the offset of its first byte, so a reader can come back to a record later.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { parseCelLine, UNUSED_RECORD } from './cel.js';
import { RECORD_START, splitRecords } from './dsv.js';
import type { CelChunk, CelSource } from './cel-source.js';

/** A chunk of the file: the records in file order; nextOffset leaves a partial last line for later. */
export interface CelFileChunk extends CelChunk {
  size: number;
}

/**
 * null: no such file (yet). `from` past the end (the file was rotated) reads from the start. `timeZone`:
 * the PBX's, for eventtimes written as its wall clock (cel.conf `dateformat`, FreePBX's `%F %T`).
 * Records of events the interpreter does not read (STREAM_BEGIN, DTMF: `events = ALL`) are left out.
 */
export function readCelFile(file: string, from: number, timeZone = 'UTC'): CelFileChunk | null {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return null;
  }
  const start = from > size ? 0 : from;
  const buf = Buffer.alloc(size - start);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, buf.length, start);
  } finally {
    closeSync(fd);
  }
  const lastNl = buf.lastIndexOf(0x0a); // a partial last line: Asterisk is writing it
  const records: CelFileChunk['records'] = [];
  if (lastNl < 0) return { records, nextOffset: start, size };
  let offset = start;
  for (const rec of splitRecords(buf.subarray(0, lastNl).toString('utf8'))) {
    const at = offset;
    offset += Buffer.byteLength(rec) + 1;
    if (rec.trim() === '') continue;
    const event = RECORD_START.test(rec) ? parseCelLine(rec, timeZone) : null;
    if (event !== UNUSED_RECORD) records.push({ offset: at, event });
  }
  return { records, nextOffset: start + lastNl + 1, size };
}

/** The file as a CelSource: positions are byte offsets (kept under the key they always had). */
export function fileCelSource(file: string, timeZone = 'UTC'): CelSource {
  return {
    where: `CEL file ${file} (CTI_CEL_FILE)`,
    positionKey: 'cdr.offset',
    read: (from) => Promise.resolve(readCelFile(file, from, timeZone)),
    close: () => Promise.resolve(),
  };
}
