// The capture harness of sandbox/capture-scenarios.ts (our dialplan) and sandbox/capture-freepbx.ts (the
// FreePBX profile): places each call shape on the running sandbox and writes its fixture files, the same
// way for both. Per shape, into `out`:
//   <name>.ami      raw bytes the least-rights `cti` AMI user received (connect/login until the last Hangup + 1 s)
//   <name>.cdr.csv  the shape's rows of the test oracle's CDR file (CTI_CDR_FILE, verbatim lines)
//   <name>.cel.csv  the shape's rows of the CEL file (CTI_CEL_FILE, verbatim lines)
//   plus any `tails` of other files the profile keeps, and whatever `after` writes.
// The sandbox user's stream of the same shape goes to .pbx/run/<tag>-<name>.sandbox.ami for reference
// (not a fixture: it has the dialplan's events).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  closeSandbox, coreShowChannels, loadSandboxEnv, RawAmiCapture, readCdr, sandboxDir, waitForCdr, waitUntil, type CdrRow, type Phone,
} from '../tests/support/sandbox.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A recording's length in seconds by soxi, or 'unreadable'. */
export function soxDuration(file: string): string {
  try { return execFileSync('soxi', ['-D', file], { encoding: 'utf8' }).trim(); } catch { return 'unreadable'; }
}

/** Another file whose new lines go to <name>.<suffix>, those of the shape's linkedids only when `mine` says. */
export interface Tail {
  file: string;
  suffix: string;
  mine?: (line: string, linkedids: string[]) => boolean;
}

export interface CaptureOptions {
  out: string;
  /** The sandbox user's stream: .pbx/run/<tag>-<name>.sandbox.ami. */
  tag: string;
  shapes: Record<string, () => Promise<void>>;
  phones: Phone[];
  tails?: Tail[];
  /** Printed with each CDR row after the common columns. */
  cdrExtra?: (r: CdrRow) => string;
  /** After the files are written: the shape's own additions (recordings) and summary lines. */
  after?: (name: string, c: { t0: number; linkedids: string[] }) => void;
}

const lines = (f: string): string[] => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean) : []);
const writeLines = (f: string, l: string[]): void => writeFileSync(f, l.map((x) => `${x}\n`).join(''));

async function run(o: CaptureOptions, name: string, fn: () => Promise<void>): Promise<void> {
  const env = loadSandboxEnv();
  console.log(`\n=== ${name}`);
  for (const p of o.phones) p.clearEvents();
  const busy = (await coreShowChannels()).length;
  if (busy) throw new Error(`${busy} channels still up before ${name}`);
  const tails: Tail[] = [
    // CDR rows start with the linkedid; CEL rows have it as the 4th field (the linkedid the channel had
    // at the event: a transfer joins two).
    { file: env.CTI_CDR_FILE, suffix: 'cdr.csv', mine: (l, ids) => ids.some((id) => l.startsWith(`"${id}"`)) },
    { file: env.CTI_CEL_FILE, suffix: 'cel.csv', mine: (l, ids) => ids.some((id) => l.includes(`","${id}","`)) },
    ...(o.tails ?? []),
  ];
  const before = tails.map((t) => lines(t.file).length);
  const cti = new RawAmiCapture(env.CTI_AMI_USER, env.CTI_AMI_SECRET);
  const sbx = new RawAmiCapture(env.CTI_SANDBOX_AMI_USER, env.CTI_SANDBOX_AMI_SECRET);
  await Promise.all([cti.start(), sbx.start()]);
  cti.mark(); sbx.mark();
  const t0 = Date.now();
  await fn();
  await waitUntil(() => cti.allHungUp(), 60_000, 'all channels hung up');
  await sleep(1000);
  const raw = cti.stop();
  writeFileSync(path.join(o.out, `${name}.ami`), raw);
  writeFileSync(path.join(sandboxDir(), 'run', `${o.tag}-${name}.sandbox.ami`), sbx.stop());
  const linkedids = [...cti.linkedids];
  // A channel that joins another call (pickup, parking retrieval) may have no CDR row of its own linkedid.
  const settled = await Promise.allSettled(linkedids.map((l, i) => waitForCdr(l, i === 0 ? 15_000 : 4_000)));
  if (!settled.some((r) => r.status === 'fulfilled')) throw new Error(`no CDR rows for ${linkedids.join(' ')}`);
  tails.forEach((t, i) => {
    const added = lines(t.file).slice(before[i]);
    writeLines(path.join(o.out, `${name}.${t.suffix}`), t.mine ? added.filter((l) => t.mine!(l, linkedids)) : added);
  });
  console.log(`took ${((Date.now() - t0) / 1000).toFixed(1)} s; ${raw.length} bytes AMI (cti); linkedids ${linkedids.join(' ')}`);
  for (const r of readCdr().filter((x) => linkedids.includes(x.linkedid))) {
    console.log(`  CDR ${r.channel} -> ${r.dstchannel || '-'} src=${r.src} dst=${r.dst} ctx=${r.dcontext} app=${r.lastapp} dur=${r.duration} bill=${r.billsec} ${r.disposition}${o.cdrExtra ? ` ${o.cdrExtra(r)}` : ''}`);
  }
  o.after?.(name, { t0, linkedids });
}

/** Captures the shapes named on the command line (default: all), one after another, then closes the sandbox's connections. */
export function capture(o: CaptureOptions): void {
  const main = async (): Promise<void> => {
    mkdirSync(o.out, { recursive: true });
    await Promise.all(o.phones.map((p) => p.open()));
    const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(o.shapes);
    for (const n of names) {
      const fn = o.shapes[n];
      if (!fn) throw new Error(`unknown shape ${n} (have ${Object.keys(o.shapes).join(', ')})`);
      await run(o, n, fn);
      await sleep(500);
    }
    for (const p of o.phones) p.close();
    await closeSandbox();
  };
  main().catch(async (e: unknown) => {
    console.error(e);
    await closeSandbox();
    process.exit(1);
  });
}
