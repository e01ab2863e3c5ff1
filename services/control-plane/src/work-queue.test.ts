import { describe, expect, it } from 'vitest';
import { createLogger } from '@virtsim/telemetry';
import { WorkQueue } from './work-queue.ts';

const log = createLogger('test');
log.level = 'silent';

describe('WorkQueue (client-go semantics)', () => {
  it('queues a key once and never runs it on two workers at the same time', async () => {
    const running = new Set<string>();
    const runs: string[] = [];
    let overlap = false;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const q = new WorkQueue({
      name: 't',
      concurrency: 4,
      log,
      reconcile: async (k) => {
        if (running.has(k)) overlap = true;
        running.add(k);
        runs.push(k);
        if (runs.length === 1) await gate;
        running.delete(k);
      },
    });
    q.add('a');
    q.add('a'); // a is running now: marked dirty, not run beside it
    q.add('b');
    q.add('b'); // b is still queued: deduplicated
    release();
    await q.idle();
    expect(overlap).toBe(false);
    expect(runs.filter((k) => k === 'a')).toHaveLength(2);
    expect(runs.filter((k) => k === 'b').length).toBeGreaterThanOrEqual(1);
    await q.stop();
  });

  it('held, queues keys but runs none until released', async () => {
    const runs: string[] = [];
    const q = new WorkQueue({ name: 't', concurrency: 4, log, held: true, reconcile: async (k) => void runs.push(k) });
    q.add('a');
    q.add('b');
    q.add('a');
    await new Promise<void>((r) => setImmediate(r));
    expect(runs).toEqual([]);
    expect(q.depth).toBe(2);
    q.release();
    await q.idle();
    expect(runs).toEqual(['a', 'b']);
    await q.stop();
  });

  it('retries a failing key until it succeeds', async () => {
    let attempts = 0;
    let done!: () => void;
    const succeeded = new Promise<void>((r) => (done = r));
    const q = new WorkQueue({
      name: 't',
      concurrency: 1,
      log,
      reconcile: async () => {
        if (++attempts < 3) throw new Error('transient');
        done();
      },
    });
    q.add('k');
    await succeeded;
    expect(attempts).toBe(3);
    await q.stop();
  });

  it('runs queued keys FIFO without a rank, and lowest rank first (FIFO among equals) with one', async () => {
    const order = async (rank?: (k: string) => number) => {
      const runs: string[] = [];
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const q = new WorkQueue({
        name: 't',
        concurrency: 1,
        log,
        rank,
        reconcile: async (k) => {
          runs.push(k);
          if (k === 'busy') await gate;
        },
      });
      q.add('busy'); // holds the one worker while the others queue
      for (const k of ['new-3', 'old-1', 'new-2', 'old-2']) q.add(k);
      release();
      await q.idle();
      await q.stop();
      return runs;
    };
    expect(await order()).toEqual(['busy', 'new-3', 'old-1', 'new-2', 'old-2']);
    expect(await order((k) => (k.startsWith('old') ? 1 : k === 'busy' ? 0 : 2))).toEqual(['busy', 'old-1', 'old-2', 'new-3', 'new-2']);
  });
});
