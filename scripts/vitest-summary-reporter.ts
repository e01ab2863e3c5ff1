import type { Reporter, TestModule } from 'vitest/node';

// CI does not parse vitest's own summary; it reads a plain "N passed, N failed" line.
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    for (const mod of testModules) {
      let testsFailed = 0;
      for (const t of mod.children.allTests()) {
        const s = t.result().state;
        if (s === 'passed') passed++;
        else if (s === 'failed') testsFailed++;
        else skipped++;
      }
      // A file that failed outside its tests (import error, failing beforeAll) counts as a failure.
      failed += mod.state() === 'failed' && testsFailed === 0 ? 1 : testsFailed;
    }
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
