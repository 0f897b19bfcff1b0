// Recordings written by MixMonitor: <linkedid>.wav in one folder (dialplan/extensions_cti.conf), or
// wherever the PBX's own dialplan files them (FreePBX: dated folders), learned from MixMonitor's start.
// Duration comes from the WAV header (RIFF: fmt byte rate, data chunk size), no external tool needed.
import { openSync, readSync, closeSync, lstatSync, statSync } from 'node:fs';
import { basename, posix, relative, resolve, isAbsolute } from 'node:path';

/**
 * The file as seen from here. MixMonitor writes a relative name below Asterisk's monitor directory
 * (app_mixmonitor: "if the filename is not an absolute path, it is created in the monitor directory";
 * FreePBX's "2026/12/01/in-....wav"), which CTI_RECORDINGS_DIR is taken to be seen from here: the
 * name keeps its folders below `recordingsDir`. An absolute name keeps them below `pbxDir`, where
 * Asterisk writes as it sees it (CTI_PBX_RECORDINGS_DIR). Otherwise only the file name counts (one flat
 * folder: our own dialplan's absolute `<dir>/<linkedid>.wav`). The name comes from MixMonitor's
 * arguments in the event log, which a FreePBX builds partly from the caller's number: a name with a
 * ".." or "." step, an empty step or a NUL is no recording of ours (null), and nothing resolves outside
 * `recordingsDir`. An absolute path outside `pbxDir` keeps only its file name, as without `pbxDir`.
 */
export function localRecordingPath(recordingsDir: string, asteriskPath: string, pbxDir: string | null = null): string | null {
  const parts = recordingParts(asteriskPath, pbxDir);
  if (!parts) return null;
  const file = resolve(recordingsDir, ...parts);
  const inside = relative(resolve(recordingsDir), file);
  return inside === '' || inside.startsWith('..') || isAbsolute(inside) ? null : file;
}

/**
 * The steps of the recording's name below the monitor directory (localRecordingPath's rules), or null for
 * a name that is no recording of ours. The same steps name it on this disk and on the PBX's recordings
 * server (src/pbx/remote-recordings.ts).
 */
export function recordingParts(asteriskPath: string, pbxDir: string | null = null): string[] | null {
  if (asteriskPath.includes('\0') || asteriskPath.trim() === '') return null;
  let rel: string;
  if (!posix.isAbsolute(asteriskPath)) rel = asteriskPath;
  else if (pbxDir) {
    rel = posix.relative(posix.resolve('/', pbxDir), posix.resolve('/', asteriskPath));
    if (rel.startsWith('..') || posix.isAbsolute(rel)) rel = posix.basename(asteriskPath);
  } else rel = posix.basename(asteriskPath);
  const parts = rel.split('/');
  if (rel === '' || parts.some((part) => part === '..' || part === '' || part === '.')) return null;
  return parts;
}

/**
 * A linkedid that can name a file: Asterisk's own ("1795328425.123", "<systemname>-1795328425.123") or
 * the UUID an Originate's ChannelId gave. Anything else (a slash, "..", a NUL) is never looked up.
 */
const LINKEDID_FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * The recording of a call found by the dialplan's naming rule alone (cti-record: MixMonitor into
 * `${CTI_RECORDINGS_DIR}/${CHANNEL(linkedid)}.wav`), for a call whose CtiRecording event we never saw
 * (adopted after a restart, rebuilt from the CDR). The first of `linkedIds` (the call's, then those a
 * transfer merged into it) whose file exists here, as a path under `recordingsDir`; else null. Only
 * linkedids that are plain file names are tried, and the path must stay inside the dir and be a regular
 * file (not a symlink), so nothing read from the CDR or AMI can point the API at another file.
 */
export function findRecording(recordingsDir: string, linkedIds: Iterable<string>): string | null {
  const dir = resolve(recordingsDir);
  for (const id of linkedIds) {
    if (!LINKEDID_FILE_NAME.test(id) || id.includes('..')) continue;
    const file = resolve(dir, `${id}.wav`);
    const rel = relative(dir, file);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || rel !== basename(file)) continue;
    try {
      if (lstatSync(file).isFile()) return file;
    } catch {
      // Not there (yet): MixMonitor opens the file on the first bridged audio (option b).
    }
  }
  return null;
}

/**
 * The recording the naming rule gives a call whose file cannot be looked for here (the PBX on another
 * host: a HEAD to its recordings server confirms it, src/pbx/remote-recordings.ts): the first linkedid
 * that can name a file.
 */
export function namedRecording(linkedIds: Iterable<string>): string | null {
  for (const id of linkedIds) if (LINKEDID_FILE_NAME.test(id) && !id.includes('..')) return `${id}.wav`;
  return null;
}

/** The first bytes of a WAV file that wavDurationFromHead needs (its header, fmt and data chunk starts). */
export const WAV_HEAD_BYTES = 4096;

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
    const head = Buffer.alloc(Math.min(size, WAV_HEAD_BYTES));
    readSync(fd, head, 0, head.length, 0);
    return wavDurationFromHead(head, size);
  } finally {
    closeSync(fd);
  }
}

/** Duration in ms of a PCM WAV file of `size` bytes from its first bytes `head`; null when not a WAV file. */
export function wavDurationFromHead(head: Buffer, size: number): number | null {
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
}
