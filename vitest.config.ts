import { defineConfig } from 'vitest/config';

// One run covers unit tests beside the code and end-to-end tests under test/.
// The summary reporter prints the plain "N passed, N failed" line CI reads.
export default defineConfig({
  test: {
    include: ['packages/**/*.test.ts', 'services/**/*.test.ts', 'stages/**/*.test.ts', 'test/**/*.test.ts', 'loadtest/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    reporters: ['default', './scripts/vitest-summary-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
