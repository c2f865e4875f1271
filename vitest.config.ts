import { defineConfig } from 'vitest/config';

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
