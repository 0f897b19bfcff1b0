import { defineConfig } from 'vitest/config';

// Tiers (../shared/STYLE.md): unit (pure logic, fakes allowed), service (app.inject, fresh SQLite),
// integration (the real sandbox Asterisk: `cti pbx up` first), e2e (real Chromium driving the built web app
// against the real service and the sandbox Asterisk: `npm run build` and `cti pbx up` first).
export default defineConfig({
  test: {
    // Integration and e2e tests share one PBX: files run one after another.
    fileParallelism: false,
    projects: [
      { test: { name: 'unit', include: ['tests/unit/**/*.test.ts'], environment: 'node' } },
      // Service tests build the app, some spawn the CLI or the service: 5 s is too tight on a busy 2-core
      // machine (a timeout here is no speed target; bench/ measures speed).
      {
        test: {
          name: 'service', include: ['tests/service/**/*.test.ts'], environment: 'node', testTimeout: 30_000, hookTimeout: 30_000,
          // The CLI tests run dist/: built once for the tier (tests/support/build-service.ts).
          globalSetup: ['tests/support/build-service.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          sequence: { concurrent: false },
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 180_000,
          sequence: { concurrent: false },
        },
      },
      {
        // The browser phone (WebRTC): the sandbox in a network namespace, vitest under `ip netns exec`
        // (scripts/test.sh; tests/softphone/browser-phone.test.ts says how by hand).
        test: {
          name: 'softphone',
          include: ['tests/softphone/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          sequence: { concurrent: false },
        },
      },
    ],
  },
});
