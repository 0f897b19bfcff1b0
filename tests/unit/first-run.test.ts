// First-run hygiene (README's first lines): how to run a second copy beside another is said where a new
// user looks first: the README's opening block, .env.example and `cti --help`. (That setup leaves the
// clone clean is checked by scripts/test.sh, with git, right after it installs.)
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../support/sandbox.js';

const read = (f: string) => readFileSync(`${PROJECT_ROOT}/${f}`, 'utf8');

describe('a second copy beside another', () => {
  it('the README opening block says which HTTP port and sandbox port offset to give it', () => {
    const opening = read('README.md').split('\n## ')[0]!;
    expect(opening).toMatch(/CTI_HTTP_PORT=\d+ CTI_PBX_PORT_OFFSET=\d+ bash scripts\/demo\.sh/);
    expect(opening).toMatch(/CTI_PBX_PORT_OFFSET=\d+ npm test/);
  });

  it('.env.example lists the offset (and the port) with what they move', () => {
    const env = read('.env.example');
    expect(env).toMatch(/^CTI_HTTP_PORT=3000/m);
    expect(env).toMatch(/^CTI_PBX_PORT_OFFSET=0 +# moves every sandbox port/m);
  });

  it('`cti --help` says it too', () => {
    const help = execFileSync(process.execPath, ['--import', 'tsx', `${PROJECT_ROOT}/src/cli/cti.ts`, '--help'], { encoding: 'utf8' });
    expect(help).toContain('CTI_HTTP_PORT=3100 CTI_PBX_PORT_OFFSET=100 cti demo');
  }, 60_000); // tsx compiles the CLI on the way
});
