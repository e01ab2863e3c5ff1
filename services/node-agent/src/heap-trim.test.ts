import { afterEach, describe, expect, it, vi } from 'vitest';
import { HeapTrimmer, trimHeap } from './heap-trim.ts';

const g = globalThis as { gc?: unknown };
const original = g.gc;
afterEach(() => {
  g.gc = original;
});

describe('trimHeap', () => {
  it('runs one compacting major GC when gc is exposed', () => {
    const gc = vi.fn();
    g.gc = gc;
    expect(trimHeap()).toBe(true);
    expect(gc).toHaveBeenCalledExactlyOnceWith({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  });

  it('does nothing without --expose-gc', () => {
    g.gc = undefined;
    expect(trimHeap()).toBe(false);
  });
});

describe('HeapTrimmer', () => {
  it('trims at each delay after a move, starts over on the next move, and stops', () => {
    vi.useFakeTimers();
    try {
      const gc = vi.fn();
      g.gc = gc;
      const trimmed = vi.fn();
      const t = new HeapTrimmer(trimmed, [0, 100, 300]);
      t.afterMove();
      vi.advanceTimersByTime(150);
      expect(gc).toHaveBeenCalledTimes(2);
      t.afterMove();
      vi.advanceTimersByTime(1000);
      expect(gc).toHaveBeenCalledTimes(5);
      expect(trimmed).toHaveBeenCalledTimes(5);
      t.afterMove();
      t.stop();
      vi.advanceTimersByTime(1000);
      expect(gc).toHaveBeenCalledTimes(5);
    } finally {
      vi.useRealTimers();
    }
  });
});
