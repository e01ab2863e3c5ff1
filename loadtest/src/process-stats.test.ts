import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessStats } from './process-stats.ts';

describe('ProcessStats', () => {
  // A second Node process maps the same binary, so each one's share of those pages is smaller than its RSS.
  const other = spawn(process.execPath, ['-e', 'process.stdout.write("ready"); setInterval(() => {}, 1000)'], { stdio: ['ignore', 'pipe', 'ignore'] });
  // Sampled before it has started, it is a few MiB of a half-loaded binary.
  beforeAll(async () => {
    await once(other.stdout!, 'data');
  });
  afterAll(() => {
    other.kill('SIGKILL');
  });

  it('reports RSS and PSS, and PSS divides the pages two Node processes share', () => {
    const stats = new ProcessStats([
      { name: 'self', pid: () => process.pid },
      { name: 'other', pid: () => other.pid },
    ]);
    const s = stats.sample();
    for (const name of ['self', 'other']) {
      const p = s[name]!;
      expect(p.rssMiB).toBeGreaterThan(10);
      expect(p.pssMiB).toBeGreaterThan(0);
      expect(p.pssMiB!).toBeLessThan(p.rssMiB);
    }
  });

  it('skips a process that is gone', () => {
    const stats = new ProcessStats([{ name: 'gone', pid: () => 2 ** 22 + 1 }]);
    expect(stats.sample()).toEqual({});
  });
});
