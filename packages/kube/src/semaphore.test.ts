import { describe, expect, it } from 'vitest';
import { Semaphore } from './semaphore.ts';

describe('Semaphore', () => {
  it('serves urgent waiters before those queued earlier, each kind in order', async () => {
    const sem = new Semaphore(1);
    await sem.acquire();
    const order: string[] = [];
    const wait = (name: string, urgent: boolean) => sem.acquire(urgent).then(() => order.push(name));
    const all = [wait('a', false), wait('b', false), wait('lease-1', true), wait('lease-2', true)];
    expect(sem.queued).toBe(4);
    for (let i = 0; i < 4; i++) {
      sem.release();
      await Promise.resolve();
    }
    await Promise.all(all);
    expect(order).toEqual(['lease-1', 'lease-2', 'a', 'b']);
  });
});
