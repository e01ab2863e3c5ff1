import { Informer, objectKey, rvNewer, type KubeClient, type KubeObject, type ResourceRef, type WatchEventType } from '@virtsim/kube';
import type { Logger } from 'pino';

export type Listener = (type: WatchEventType, obj: KubeObject) => void;

/**
 * An informer plus the objects our own writes returned. A controller that just wrote an object
 * must reconcile from that version, not from the older one its watch may still deliver, or it
 * would plan the same transition twice; so `get` returns whichever is newer, and a write answer
 * is dropped once the watch has caught up with it.
 */
export class ObjectCache {
  readonly ref: ResourceRef;
  private readonly informer: Informer;
  private readonly written = new Map<string, KubeObject>();
  private readonly listeners: Listener[] = [];

  /** `retain`: what the cache keeps of each object when its readers need less (listeners still get the whole object). */
  constructor(client: KubeClient, ref: ResourceRef, log: Logger, retain?: (obj: KubeObject) => KubeObject) {
    this.ref = ref;
    this.informer = new Informer(client, {
      resource: ref,
      log,
      retain,
      transform: (o) => {
        if (o.metadata.managedFields) delete o.metadata.managedFields;
        return o;
      },
      onEvent: (type, obj) => this.onEvent(type, obj),
    });
  }

  onChange(l: Listener): void {
    this.listeners.push(l);
  }

  start(): void {
    this.informer.start();
  }

  stop(): Promise<void> {
    return this.informer.stop();
  }

  get synced(): boolean {
    return this.informer.hasSynced;
  }

  get size(): number {
    return this.informer.store.size;
  }

  private onEvent(type: WatchEventType, obj: KubeObject): void {
    const key = objectKey(obj);
    const w = this.written.get(key);
    if (w && (type === 'DELETED' || !rvNewer(w.metadata.resourceVersion, obj.metadata.resourceVersion))) this.written.delete(key);
    for (const l of this.listeners) l(type, obj);
  }

  get(key: string): KubeObject | undefined {
    const o = this.informer.store.get(key);
    const w = this.written.get(key);
    if (!w) return o;
    if (!o) return undefined; // deleted since we wrote it
    return rvNewer(w.metadata.resourceVersion, o.metadata.resourceVersion) ? w : o;
  }

  /** Records the object a write answered with. */
  wrote(obj: unknown): void {
    const o = obj as KubeObject | undefined;
    if (!o?.metadata?.name || !o.metadata.resourceVersion) return;
    const key = objectKey(o);
    const cur = this.informer.store.get(key);
    if (!cur || rvNewer(o.metadata.resourceVersion, cur.metadata.resourceVersion)) this.written.set(key, o);
  }

  /** After a conflict: our answer is stale or wrong, trust the watch. */
  forgetWrite(key: string): void {
    this.written.delete(key);
  }

  values(): IterableIterator<KubeObject> {
    return this.informer.store.values();
  }
}
