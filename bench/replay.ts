// What the benches that replay recorded AMI traffic into the real service share: command-line numbers,
// a clock that worker threads agree on, percentiles, and the service's config for the loopback AMI server.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadServiceConfig, type ServiceConfig } from '../src/config/config.js';

export function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}

/** Epoch ms with sub-ms precision, the same in every thread of the process. */
export const now = (): number => performance.timeOrigin + performance.now();

/** The p-th percentile of sorted `xs`. */
export const pct = (xs: number[], p: number): number => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;

export function summary(label: string, xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const f = (n: number) => n.toFixed(2);
  return `${label}: n=${s.length}  p50 ${f(pct(s, 50))} ms  p90 ${f(pct(s, 90))} ms  p99 ${f(pct(s, 99))} ms  max ${f(s.at(-1) ?? NaN)} ms`;
}

/** The service on a scratch dir, attached to the loopback AMI server (bench/ami-server.ts); no ARI, no CDR. */
export function replayConfig(dir: string, dbFile: string, amiPort: number, extra: Record<string, string> = {}): ServiceConfig {
  return loadServiceConfig(replayEnv(dir, dbFile, amiPort, extra));
}

/** The replay's service settings as environment variables (for an instance in a process of its own). */
export function replayEnv(dir: string, dbFile: string, amiPort: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    CTI_DB_FILE: dbFile, CTI_AMI_PORT: String(amiPort), CTI_AMI_USER: 'bench', CTI_AMI_SECRET: 'bench',
    CTI_ARI_URL: 'http://127.0.0.1:9', CTI_ARI_USER: 'bench', CTI_ARI_PASSWORD: 'bench',
    CTI_RECORDINGS_DIR: dir, CTI_CEL_FILE: join(dir, 'none.csv'), CTI_ROUTING_FILE: join(dir, 'routing.json'), CTI_WEB_DIR: join(dir, 'web'),
    CTI_LOG_LEVEL: 'silent', ...extra,
  };
}

/** A recorded AMI stream (tests/fixtures/ami/*.ami): its event blocks (LF line ends) and each one's Timestamp in s. */
export function recordedEvents(file: string): { blocks: string[]; ts: (block: string) => number; t0: number } {
  const blocks = readFileSync(file, 'utf8').replace(/\r\n/g, '\n').split('\n\n').filter((b) => b.startsWith('Event: '));
  const ts = (b: string) => Number(/^Timestamp: ([0-9.]+)$/m.exec(b)?.[1] ?? 0);
  return { blocks, ts, t0: ts(blocks[0]!) };
}

/**
 * One event block of the recorded inbound call (tests/fixtures/ami/inbound-answered.ami, caller
 * 15551230001 to phone 101) as call `k` of a replay: ringing `ext`, from `number`. Every id is made
 * the call's own: its channels' uniqueids and linkedids (UUIDs, or Asterisk's epoch.sequence), its
 * bridge's (BridgeUniqueid, and bridge_id in CEL's Extra), its Local channel's halves, and its
 * channels' names. Calls that shared a bridge id would be one conversation to the tracker (a
 * conference): joined into one call that grows all run long.
 */
export function ownCall(block: string, k: number, ext: string, number: string): string {
  const seq = (k + 1).toString(16).padStart(8, '0');
  return block
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, (u) => `${u}-${k}`)
    .replace(/^([A-Za-z]*(?:Uniqueid|Linkedid)): ([0-9]+\.[0-9]+)$/gim, (_m, h: string, v: string) => `${h}: ${v}-${k}`)
    .replace(/PJSIP\/101-/g, `PJSIP/${ext}-`)
    .replace(/((?:PJSIP|Local)\/[^\s;,]+)-00000000/g, `$1-${seq}`)
    .replace(/^Device: PJSIP\/101$/gm, `Device: PJSIP/${ext}`)
    .replace(/^(CallerIDNum|ConnectedLineNum|Exten): 101$/gm, `$1: ${ext}`)
    .replace(/15551230001/g, number);
}
