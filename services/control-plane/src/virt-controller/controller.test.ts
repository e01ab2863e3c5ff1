import { describe, expect, it } from 'vitest';
import type { KubeObject, WatchEventType } from '@virtsim/kube';
import { createLogger } from '@virtsim/telemetry';
import { waitFor } from '@virtsim/testkit/wait';
import type { ControllerContext } from '../context.ts';
import { ConflictError } from '../writes.ts';
import { Controller, type PrimaryCache } from './controller.ts';

// Pure logic: an in-process cache of primary objects and a controller that records its syncs.

const log = createLogger('test');
log.level = 'silent';

class FakeCache implements PrimaryCache {
  readonly objects = new Map<string, KubeObject>();
  private readonly listeners: Array<(t: WatchEventType, o: KubeObject) => void> = [];
  onChange(l: (t: WatchEventType, o: KubeObject) => void): void {
    this.listeners.push(l);
  }
  get(key: string): KubeObject | undefined {
    return this.objects.get(key);
  }
  values(): IterableIterator<KubeObject> {
    return this.objects.values();
  }
  put(name: string, rv: string): void {
    const obj = { metadata: { name, namespace: 'ns', resourceVersion: rv } };
    this.objects.set(`ns/${name}`, obj);
    for (const l of this.listeners) l('MODIFIED', obj);
  }
  remove(name: string): void {
    const obj = this.objects.get(`ns/${name}`)!;
    this.objects.delete(`ns/${name}`);
    for (const l of this.listeners) l('DELETED', obj);
  }
}

class RecordingController extends Controller {
  readonly synced: string[] = [];
  /** When each sync began (performance.now()). */
  readonly times: number[] = [];
  /** Errors the next syncs throw, in order. */
  readonly failures: Error[] = [];
  constructor(cache: FakeCache) {
    super({ log } as ControllerContext, { name: 'test', concurrency: 2, primary: cache });
  }
  protected async sync(obj: KubeObject): Promise<void> {
    this.times.push(performance.now());
    this.synced.push(`${obj.metadata.name}@${obj.metadata.resourceVersion}`);
    const err = this.failures.shift();
    if (err) throw err;
  }
}

describe('Controller (the virt-controller stand-ins\' base)', () => {
  it('start() syncs every cached object, and a change syncs it again from the cache', async () => {
    const cache = new FakeCache();
    cache.objects.set('ns/a', { metadata: { name: 'a', namespace: 'ns', resourceVersion: '1' } });
    cache.objects.set('ns/b', { metadata: { name: 'b', namespace: 'ns', resourceVersion: '1' } });
    const c = new RecordingController(cache);
    c.start();
    await waitFor('both synced', () => c.synced.length === 2);
    cache.put('a', '2');
    await waitFor('a synced again', () => c.synced.includes('a@2'));
    expect(c.synced.sort()).toEqual(['a@1', 'a@2', 'b@1']);
    await c.stop();
  });

  it('reconciles nothing before start() (the caches may still be listing), then each changed key once', async () => {
    const cache = new FakeCache();
    const c = new RecordingController(cache);
    cache.put('a', '1');
    cache.put('a', '2');
    cache.put('b', '1');
    // Changes seen while the other caches list are queued, not reconciled: give the queue a chance to run.
    await new Promise<void>((r) => setImmediate(r));
    expect(c.synced).toEqual([]);
    c.start();
    await waitFor('both synced', () => c.synced.length === 2);
    expect(c.synced.sort()).toEqual(['a@2', 'b@1']);
    await c.stop();
  });

  it('tries a key again after a write conflict, from the version the cache has then', async () => {
    const cache = new FakeCache();
    const c = new RecordingController(cache);
    c.start();
    c.failures.push(new ConflictError('stale'));
    cache.put('a', '1');
    await waitFor('first sync', () => c.synced.length === 1);
    // The watch brings the newer version meanwhile; the retry reads it.
    cache.objects.set('ns/a', { metadata: { name: 'a', namespace: 'ns', resourceVersion: '2' } });
    await waitFor('retried', () => c.synced.includes('a@2'));
    expect(c.synced).toEqual(['a@1', 'a@2']);
    await c.stop();
  });

  it('backs off a key whose cache stays stale (every write conflicts), and plans it at once when the watch brings a newer version', async () => {
    const cache = new FakeCache();
    const c = new RecordingController(cache);
    const times = c.times;
    c.start();
    for (let i = 0; i < 12; i++) c.failures.push(new ConflictError('stale'));
    cache.put('a', '1');
    await waitFor('six tries', () => times.length >= 6);
    // 10 + 20 + 40 + 80 + 160 ms at least between the first try and the sixth (a flat 50 ms retry: 250 ms).
    expect(times[5]! - times[0]!).toBeGreaterThanOrEqual(305);
    c.failures.length = 0;
    cache.put('a', '2');
    await waitFor('the newer version synced', () => c.synced.includes('a@2'));
    expect(c.synced.filter((s) => s === 'a@2')).toHaveLength(1);
    await c.stop();
  });

  it('retries a key whose sync failed otherwise (the queue backs off), and skips a key no longer cached', async () => {
    const cache = new FakeCache();
    const c = new RecordingController(cache);
    c.start();
    c.failures.push(new Error('API down'));
    cache.put('a', '1');
    await waitFor('retried after the failure', () => c.synced.length === 2);
    cache.objects.set('ns/gone', { metadata: { name: 'gone', namespace: 'ns', resourceVersion: '1' } });
    cache.remove('gone');
    cache.put('b', '1');
    await waitFor('b synced', () => c.synced.includes('b@1'));
    expect(c.synced).toEqual(['a@1', 'a@1', 'b@1']);
    await c.stop();
  });
});
