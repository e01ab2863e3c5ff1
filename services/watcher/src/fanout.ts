import { slotOf, type ObjectEvent, type SnapshotItem } from '@virtsim/bus';
import { objectKey, type KubeObject, type WatchEventType } from '@virtsim/kube';
import { partitionNode } from './partition.ts';

interface Route {
  kind: string;
  node: string;
  slot: number;
  object: KubeObject;
}

export interface FanoutCounters {
  published(kind: string, type: string): void;
  unrouted(kind: string): void;
}

/**
 * Routes watch events to the slot of each object's node and keeps, per slot, the objects routed
 * there: that index is what snapshots are served from. When an object leaves a node (a VMI after
 * migration), the old slot gets a DELETED so its agent lets go, and the new slot an ADDED.
 */
export class Fanout {
  private readonly routes = new Map<string, Route>();
  private readonly bySlot = new Map<number, Set<string>>();
  private readonly vmis: (ns: string, name: string) => KubeObject | undefined;
  private readonly counters: FanoutCounters;
  /** Publishing is off on a standby watcher: it keeps the index warm for a fast takeover. */
  publish: ((event: ObjectEvent) => void) | null = null;

  constructor(vmis: (ns: string, name: string) => KubeObject | undefined, counters: FanoutCounters) {
    this.vmis = vmis;
    this.counters = counters;
  }

  get size(): number {
    return this.routes.size;
  }

  onEvent(kind: string, type: WatchEventType, object: KubeObject, receivedAt: number): void {
    const key = `${kind}/${objectKey(object)}`;
    const prev = this.routes.get(key);
    if (type === 'DELETED') {
      if (!prev) return;
      this.unindex(key, prev);
      this.emit({ type: 'DELETED', kind, node: prev.node, object, receivedAt });
      return;
    }
    const node = partitionNode(kind, object, this.vmis);
    if (prev && prev.node !== node) {
      this.unindex(key, prev);
      this.emit({ type: 'DELETED', kind, node: prev.node, object, receivedAt });
    }
    if (!node) {
      this.counters.unrouted(kind);
      return;
    }
    const route: Route = { kind, node, slot: slotOf(node), object };
    this.routes.set(key, route);
    let keys = this.bySlot.get(route.slot);
    if (!keys) this.bySlot.set(route.slot, (keys = new Set()));
    keys.add(key);
    this.emit({ type: prev && prev.node === node ? 'MODIFIED' : 'ADDED', kind, node, object, receivedAt });
  }

  /** The current objects of the given slots. */
  *snapshot(slots: number[]): Iterable<SnapshotItem> {
    for (const slot of slots) {
      for (const key of this.bySlot.get(slot) ?? []) {
        const r = this.routes.get(key)!;
        yield { kind: r.kind, node: r.node, object: r.object };
      }
    }
  }

  private unindex(key: string, route: Route): void {
    this.routes.delete(key);
    this.bySlot.get(route.slot)?.delete(key);
  }

  private emit(event: ObjectEvent): void {
    if (!this.publish) return;
    this.publish(event);
    this.counters.published(event.kind, event.type);
  }
}
