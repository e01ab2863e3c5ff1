import { afterEach, describe, expect, it, vi } from 'vitest';
import { trimHeap } from './heap-trim.ts';

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
