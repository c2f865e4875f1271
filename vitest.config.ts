import { defineConfig } from 'vitest/config';

// Supported Node: ≥ 20.19 (package.json engines; README). The AWS SDK warns on every Node < 22 that its
// releases after January 2027 will need 22 — the lockfile pins one that runs on 20: no noise in tests.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export default defineConfig({
  test: {
    include: [
      'sdk/**/*.test.ts',
      'functions/**/*.test.ts',
      'infra/**/*.test.ts',
      'test/**/*.test.ts',
      'examples/**/*.test.ts',
      'scripts/**/*.test.ts',
    ],
    exclude: ['**/node_modules/**', '**/*.soak.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default', './test/reporters/summary.ts'],
    // One DynamoDB Local for the whole run, started on first use (test/support/dynamodb.ts).
    globalSetup: ['test/setup/dynamodb.global.ts'],
  },
});
