// Recordings written by MixMonitor (dialplan/extensions_cti.conf): <linkedid>.wav in the recordings dir.
// Duration comes from the WAV header (RIFF: fmt byte rate, data chunk size), no external tool needed.
import { openSync, readSync, closeSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

/** The file as seen from here: the same name under CTI_RECORDINGS_DIR (Asterisk may see another root). */
export function localRecordingPath(recordingsDir: string, asteriskPath: string): string {
  return join(recordingsDir, basename(asteriskPath));
}

/** Duration in ms of a PCM WAV file, or null when missing or not a WAV file. */
export function wavDurationMs(file: string): number | null {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    const size = statSync(file).size;
    const head = Buffer.alloc(Math.min(size, 4096));
    readSync(fd, head, 0, head.length, 0);
    if (head.length < 12 || head.toString('ascii', 0, 4) !== 'RIFF' || head.toString('ascii', 8, 12) !== 'WAVE') return null;
    let off = 12;
    let byteRate = 0;
    while (off + 8 <= head.length) {
      const id = head.toString('ascii', off, off + 4);
      const len = head.readUInt32LE(off + 4);
      if (id === 'fmt ' && off + 16 <= head.length) byteRate = head.readUInt32LE(off + 16);
      if (id === 'data') {
        if (!byteRate) return null;
        // MixMonitor fixes the header sizes on close; while writing, trust the file size instead.
        const dataLen = Math.min(len, size - off - 8) || size - off - 8;
        return Math.round((dataLen / byteRate) * 1000);
      }
      off += 8 + len + (len % 2);
    }
    return null;
  } finally {
    closeSync(fd);
  }
}
