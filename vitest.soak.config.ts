/**
 * `npm run test:soak` — the robustness suites at soak size (`CHIPID_SOAK=1`: more requests, longer
 * outages, 20× the fuzz runs) plus the `*.soak.test.ts` files that are too long or too demanding for
 * CI. Same shared DynamoDB Local set-up as the main config.
 */
import { defineConfig } from 'vitest/config';

// Supported Node: ≥ 20.19 (package.json engines; README). The AWS SDK warns on every Node < 22 that its
// releases after January 2027 will need 22 — the lockfile pins one that runs on 20: no noise in tests.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export default defineConfig({
  test: {
    include: ['test/robustness/**/*.test.ts', 'test/**/*.soak.test.ts'],
    exclude: ['**/node_modules/**'],
    env: { CHIPID_SOAK: '1' },
    testTimeout: 600_000,
    hookTimeout: 300_000,
    pool: 'forks',
    fileParallelism: false,
    reporters: ['default', './test/reporters/summary.ts'],
    globalSetup: ['test/setup/dynamodb.global.ts'],
  },
});
