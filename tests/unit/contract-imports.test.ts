// The socket contract (src/contract) is bundled into the browser and loaded by the service: it may
// import only its own files. Its tsconfig.json (npm run typecheck) already refuses the DOM, Node and
// files from elsewhere in the repository; a package that ships plain types would slip past it, so here
// every module specifier in the folder is read with TypeScript's own pre-processor.
import { readdirSync, readFileSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const dir = new URL('../../src/contract/', import.meta.url);

describe('the socket contract', () => {
  it('imports nothing but its own files: no package, no Node module, nothing from the service or web/', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
    expect(files).toContain('index.ts');
    const foreign = files.flatMap((f) => ts.preProcessFile(readFileSync(new URL(f, dir), 'utf8'), true, true).importedFiles
      .map((i) => i.fileName)
      .filter((spec) => !/^\.\/[a-z-]+\.js$/.test(spec))
      .map((spec) => `${f}: ${spec}`));
    expect(foreign).toEqual([]);
  });
});
