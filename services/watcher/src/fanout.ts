import { slotOf, type ObjectEvent, type SnapshotItem } from '@virtsim/bus';
import { objectKey, type KubeObject, type WatchEventType } from '@virtsim/kube';
import { partitionNodes } from './partition.ts';
import { retained } from './retained.ts';

interface Route {
  kind: string;
  /** The nodes the object is published to (a migrating VMI: source and target). */
  nodes: string[];
  /** What the watcher's caches keep of the object (see retained): its metadata, for logs. */
  object: KubeObject;
  /** The whole object as JSON without managedFields: what snapshots send. Text takes a third of the memory of the parsed object. */
  json: string;
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

  /**
   * `json`: the object's JSON without managedFields, if at hand (published as is). A DELETED found
   * by a relist carries only what the caches kept: its slots get the last whole version routed.
   */
  onEvent(kind: string, type: WatchEventType, object: KubeObject, receivedAt: number, json?: string): void {
    const key = `${kind}/${objectKey(object)}`;
    const prev = this.routes.get(key);
    const before = prev?.nodes ?? [];
    const nodes = type === 'DELETED' ? [] : partitionNodes(kind, object, this.vmis);
    const leaving = type === 'DELETED' && json === undefined ? prev?.json : json;
    // Slots the object leaves are told to let go (deletion, a VMI that moved node).
    for (const node of before) if (!nodes.includes(node)) this.emit({ type: 'DELETED', kind, node, object, receivedAt, json: leaving });
    if (prev) this.unindex(key, prev);
    if (!nodes.length) {
      if (type !== 'DELETED') this.counters.unrouted(kind);
      return;
    }
    const route: Route = { kind, nodes, object: retained(object), json: json === undefined ? JSON.stringify(object) : ownCopy(json) };
    this.routes.set(key, route);
    for (const node of nodes) {
      const slot = slotOf(node);
      let keys = this.bySlot.get(slot);
      if (!keys) this.bySlot.set(slot, (keys = new Set()));
      keys.add(key);
    }
    for (const node of nodes) this.emit({ type: before.includes(node) ? 'MODIFIED' : 'ADDED', kind, node, object, receivedAt, json: json ?? route.json });
  }

  /** The current objects of the given slots. */
  *snapshot(slots: number[]): Iterable<SnapshotItem> {
    for (const slot of slots) {
      for (const key of this.bySlot.get(slot) ?? []) {
        const r = this.routes.get(key)!;
        for (const node of r.nodes) if (slotOf(node) === slot) yield { kind: r.kind, node, object: r.object, json: r.json };
      }
    }
  }

  private unindex(key: string, route: Route): void {
    this.routes.delete(key);
    for (const node of route.nodes) this.bySlot.get(slotOf(node))?.delete(key);
  }

  private emit(event: ObjectEvent): void {
    if (!this.publish) return;
    this.publish(event);
    this.counters.published(event.kind, event.type);
  }
}

/**
 * A watch line's object text is a slice of the stream's read buffer, and V8 keeps the whole
 * buffer (many events) alive for as long as the slice is. Flattening `' ' + text` copies it into
 * a string of its own; the slice of that copy pins one extra character.
 */
function ownCopy(text: string): string {
  return (' ' + text).slice(1);
}
