import { defineConfig } from 'vitest/config';
import { findReferenceDir, REFERENCE_TEST_FILES } from './packages/testkit/src/reference.ts';

// Tests that compare against the reference data (not in a plain clone) are left out without it,
// in one line; CI sets VIRTSIM_REQUIRE_REFERENCE=1, so there a missing folder fails the run.
const withoutReference = findReferenceDir() ? [] : REFERENCE_TEST_FILES;
if (withoutReference.length) {
  if (process.env.VIRTSIM_REQUIRE_REFERENCE === '1') throw new Error('VIRTSIM_REQUIRE_REFERENCE=1 but the reference data is missing: set VIRTSIM_REFERENCE_DIR or put shared/reference beside the repo');
  process.stderr.write(`reference data not found (VIRTSIM_REFERENCE_DIR or ../shared/reference): skipping ${withoutReference.length} test files that compare against it: ${withoutReference.join(', ')}\n`);
}

// One run covers unit tests beside the code and end-to-end tests under test/.
// The summary reporter prints the plain "N passed, N failed" line CI reads.
export default defineConfig({
  test: {
    include: ['packages/**/*.test.ts', 'services/**/*.test.ts', 'stages/**/*.test.ts', 'test/**/*.test.ts', 'loadtest/**/*.test.ts'],
    exclude: ['**/node_modules/**', ...withoutReference],
    reporters: ['default', './scripts/vitest-summary-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
