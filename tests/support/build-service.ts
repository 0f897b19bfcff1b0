// globalSetup of the service tier: the CLI tests run the built CLI (bin/cti.js -> dist/), so the service
// half of `npm run build` runs once here, before any service test file starts. Not in each file's
// beforeAll: the files run in parallel, and one file's CLI could load a dist/ file another file's tsc is
// halfway through writing (and three builds cost three times as long). scripts/test.sh builds the whole
// project (scripts/setup.sh) just before it runs the fast tiers three times, and says so with
// CTI_TEST_BUILT=1: the same build is not made three times more.
import { execFile } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export default async function buildService(): Promise<void> {
  if (process.env['CTI_TEST_BUILT'] === '1') return;
  await promisify(execFile)(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root });
}
