import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Integration, e2e and softphone tests share one PBX: their files run one after another. The fast tiers
// (unit, service: each test on its own app and SQLite file, ports from tests/support/ports.ts) run their
// files side by side on every core; vitest's default would leave one of two cores idle (cores - 1).
// Vitest 3 sets parallelism for a whole run, not per project, so it is chosen from the --project
// options: parallel only when every project asked for is a fast one (`npm run test:fast`, scripts/test.sh).
// Anything else (no --project: the whole suite) stays one file at a time, as before.
const FAST_TIERS = new Set(['unit', 'service']);
function projectsAsked(argv: string[]): string[] {
  const names: string[] = [];
  argv.forEach((a, i) => {
    if (a === '--project') names.push(argv[i + 1] ?? '');
    else if (a.startsWith('--project=')) names.push(a.slice('--project='.length));
  });
  return names;
}
const asked = projectsAsked(process.argv);
const fastOnly = asked.length > 0 && asked.every((n) => FAST_TIERS.has(n));

// Tiers (../shared/STYLE.md): unit (pure logic, fakes allowed), service (app.inject, fresh SQLite),
// integration (the real sandbox Asterisk: `cti pbx up` first; freepbx: the same on the FreePBX-shaped
// profile, `cti pbx up --profile freepbx`), e2e (real Chromium driving the built web app
// against the real service and the sandbox Asterisk: `npm run build` and `cti pbx up` first).
/** A tier on a real sandbox PBX: tests/<name>/, one file and one test at a time, long timeouts. */
function sandboxTier(name: string, o: { globalSetup?: string[]; testTimeout?: number; hookTimeout?: number } = {}) {
  return {
    test: {
      name, include: [`tests/${name}/**/*.test.ts`], environment: 'node' as const,
      testTimeout: o.testTimeout ?? 120_000, hookTimeout: o.hookTimeout ?? 120_000, sequence: { concurrent: false },
      ...(o.globalSetup ? { globalSetup: o.globalSetup } : {}),
    },
  };
}

export default defineConfig({
  test: {
    fileParallelism: fastOnly,
    ...(fastOnly ? { maxWorkers: availableParallelism(), minWorkers: 1 } : {}),
    projects: [
      { test: { name: 'unit', include: ['tests/unit/**/*.test.ts'], environment: 'node' } },
      // Service tests build the app, some spawn the CLI or the service: 5 s is too tight on a busy 2-core
      // machine (a timeout here is no speed target; bench/ measures speed).
      {
        test: {
          name: 'service', include: ['tests/service/**/*.test.ts'], environment: 'node', testTimeout: 30_000, hookTimeout: 30_000,
          // The CLI tests run dist/: built once for the tier (tests/support/build-service.ts). On a PostgreSQL
          // run (CTI_TEST_DATABASE=postgres) the template each test's database is copied from is migrated
          // once (tests/support/pg-template.ts; nothing on SQLite).
          globalSetup: ['tests/support/build-service.ts', 'tests/support/pg-template.ts'],
        },
      },
      // CTI_TEST_DATABASE=postgres: the template each test's database is copied from (no-op on SQLite).
      sandboxTier('integration', { globalSetup: ['tests/support/pg-template.ts'] }),
      // The PBX on another host (docs/remote-pbx.md): the sandbox up with CTI_PBX_REMOTE=1.
      sandboxTier('remote', { globalSetup: ['tests/support/pg-template.ts'] }),
      // Several instances on one PostgreSQL (src/cluster): CTI_TEST_DATABASE=postgres, a sandbox up.
      sandboxTier('cluster', { globalSetup: ['tests/support/build-service.ts', 'tests/support/pg-template.ts'], testTimeout: 180_000, hookTimeout: 60_000 }),
      // Several PBXs (src/pbx/pbxes.ts): one service on both sandboxes, the second's folder in CTI_TEST_PBX2_DIR.
      sandboxTier('pbxes', { globalSetup: ['tests/support/build-service.ts', 'tests/support/pg-template.ts'], testTimeout: 180_000 }),
      sandboxTier('e2e', { testTimeout: 180_000, hookTimeout: 180_000 }),
      // The integration tier on the FreePBX-shaped sandbox (CTI_PBX_PROFILE=freepbx sandbox/pbx.sh up): a
      // dialplan we do not own, observed only, and our routing as its optional custom destination.
      sandboxTier('freepbx'),
      // The browser phone (WebRTC): the sandbox in a network namespace, vitest under `ip netns exec`
      // (scripts/test.sh; tests/softphone/browser-phone.test.ts says how by hand).
      sandboxTier('softphone'),
    ],
  },
});
