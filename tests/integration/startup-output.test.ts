// What `cti serve` prints while it starts and attaches to the PBX: log lines only (one JSON object per
// line), none printed twice, and nothing the libraries print on their own (swagger-client, under
// ari-client, prints an array with a deprecation notice on every ARI connect). The service runs as a
// child process, attached to the sandbox Asterisk as the `cti` user.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSandboxEnv } from '../support/sandbox.js';
import { freePort } from '../support/ports.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('start-up output', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('prints each log line once, as JSON, and no bare arrays or other library output', { timeout: 60_000 }, async () => {
    const sb = loadSandboxEnv();
    dir = mkdtempSync(join(tmpdir(), 'cti-startup-'));
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'], HOME: process.env['HOME'],
      CTI_DB_FILE: join(dir, 'cti.sqlite'), CTI_HTTP_PORT: String(port), CTI_LOG_LEVEL: 'info',
      CTI_AMI_HOST: sb.CTI_AMI_HOST, CTI_AMI_PORT: sb.CTI_AMI_PORT, CTI_AMI_USER: sb.CTI_AMI_USER, CTI_AMI_SECRET: sb.CTI_AMI_SECRET,
      CTI_ARI_URL: sb.CTI_ARI_URL, CTI_ARI_USER: sb.CTI_ARI_USER, CTI_ARI_PASSWORD: sb.CTI_ARI_PASSWORD,
      // As on a fresh PBX: no CDR file yet (Asterisk writes it with the first call), no routing rules file.
      CTI_CEL_FILE: join(dir, 'cdr', 'cti.csv'), CTI_RECORDINGS_DIR: join(dir, 'rec'), CTI_ROUTING_FILE: join(dir, 'routing.json'),
      CTI_WEB_DIR: join(dir, 'no-web'),
    };
    const proc = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/server.ts')], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => { out += d.toString('utf8'); });
    proc.stderr.on('data', (d: Buffer) => { out += d.toString('utf8'); });
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    try {
      // Up: AMI and ARI connected (the ARI websocket too), then a moment for what follows a connect.
      const until = Date.now() + 30_000;
      for (;;) {
        const r = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null);
        if (r?.status === 200) break;
        if (Date.now() > until || proc.exitCode !== null) throw new Error(`the service did not come up:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 1500));
    } finally {
      proc.kill('SIGTERM');
      await exited;
    }

    const lines = out.split('\n').filter((l) => l.trim() !== '');
    const parsed = lines.map((l) => { try { return JSON.parse(l) as unknown; } catch { return l; } });
    // Every line is one log record: a JSON object (not an array, not a library's console.log).
    expect(parsed.filter((p) => typeof p !== 'object' || p === null || Array.isArray(p)), out).toEqual([]);
    const records = parsed as { msg: string; time: number; level: number }[];
    expect(records.map((r) => r.msg)).toEqual(expect.arrayContaining(['AMI connected', 'ARI connected']));
    // None twice: the same record apart from its time.
    const seen = new Map<string, number>();
    for (const r of records) {
      const key = JSON.stringify({ ...r, time: undefined });
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    expect([...seen].filter(([, n]) => n > 1).map(([k]) => k), out).toEqual([]);
  });
});
