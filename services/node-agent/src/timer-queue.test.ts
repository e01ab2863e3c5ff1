import { describe, expect, it } from 'vitest';
import { waitFor } from '@virtsim/testkit/wait';
import { TimerQueue } from './timer-queue.ts';

describe('TimerQueue', () => {
  it('fires keys in due order, once, and a reschedule replaces the pending one', async () => {
    const fired: string[] = [];
    const q = new TimerQueue((k) => fired.push(k));
    const now = Date.now();
    q.schedule('c', now + 30);
    q.schedule('a', now + 10);
    q.schedule('b', now + 20);
    q.schedule('a', now + 40); // replaces a@10
    q.schedule('gone', now + 5);
    q.cancel('gone');
    expect(q.size).toBe(3);
    await waitFor('all due keys fired', () => fired.length === 3);
    expect(fired).toEqual(['b', 'c', 'a']);
    expect(q.size).toBe(0);
  });

  it('keeps order across many random schedules', async () => {
    const fired: number[] = [];
    const q = new TimerQueue((k) => fired.push(Number(k)));
    const base = Date.now() + 5;
    const ats = Array.from({ length: 2000 }, () => base + Math.floor(Math.random() * 20));
    ats.forEach((at, i) => q.schedule(String(i), at));
    await waitFor('2000 fired', () => fired.length === 2000);
    const firedAts = fired.map((i) => ats[i]!);
    expect([...firedAts].sort((x, y) => x - y)).toEqual(firedAts);
  });

  it('with a granularity, keys due within one slot fire together in one wake-up, in due order', async () => {
    const batches: string[][] = [];
    let current: string[] | null = null;
    const q = new TimerQueue(
      (k) => {
        if (!current) {
          current = [];
          batches.push(current);
          queueMicrotask(() => (current = null));
        }
        current.push(k);
      },
      { granularityMs: 1000 },
    );
    const slot = Math.ceil((Date.now() + 1) / 1000) * 1000;
    q.schedule('b', slot - 1);
    q.schedule('a', slot - 2);
    await waitFor('both fired', () => batches.flat().length === 2);
    expect(batches).toEqual([['a', 'b']]);
  });
});
