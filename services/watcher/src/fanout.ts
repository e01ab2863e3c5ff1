import { slotOf, type ObjectEvent, type SnapshotItem } from '@virtsim/bus';
import { objectKey, type KubeObject, type WatchEventType } from '@virtsim/kube';
import { partitionNodes } from './partition.ts';
import { JsonPacker } from './json-packer.ts';
import { retained } from './retained.ts';

interface Route {
  key: string;
  kind: string;
  /** The nodes the object is published to (a migrating VMI: source and target). */
  nodes: string[];
  /** What the watcher's caches keep of the object (see retained): its metadata, for logs. */
  object: KubeObject;
  /**
   * The whole object as JSON without managedFields: what snapshots send. Text takes a third of the
   * memory of the parsed object; once the object has settled, it is kept packed (a twentieth).
   */
  json: string | undefined;
  packed: string | undefined;
  /** When this version was routed (ms since the epoch). */
  since: number;
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
  private readonly packer = new JsonPacker();
  /** Routes in the order they were set, from `unpackedFrom` on: those still plain are packed once settled. */
  private readonly unpacked: Route[] = [];
  private unpackedFrom = 0;
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
    const leaving = type === 'DELETED' && json === undefined && prev ? this.jsonOf(prev) : json;
    // Slots the object leaves are told to let go (deletion, a VMI that moved node).
    for (const node of before) if (!nodes.includes(node)) this.emit({ type: 'DELETED', kind, node, object, receivedAt, json: leaving });
    if (prev) {
      this.unindex(key, prev);
      // Replaced: its text need not wait in the packing queue to be let go.
      prev.json = prev.packed = undefined;
    }
    if (!nodes.length) {
      if (type !== 'DELETED') this.counters.unrouted(kind);
      return;
    }
    const text = json === undefined ? JSON.stringify(object) : ownCopy(json);
    const route: Route = { key, kind, nodes, object: retained(object), json: text, packed: undefined, since: receivedAt };
    this.routes.set(key, route);
    this.unpacked.push(route);
    for (const node of nodes) {
      const slot = slotOf(node);
      let keys = this.bySlot.get(slot);
      if (!keys) this.bySlot.set(slot, (keys = new Set()));
      keys.add(key);
    }
    for (const node of nodes) this.emit({ type: before.includes(node) ? 'MODIFIED' : 'ADDED', kind, node, object, receivedAt, json: json ?? text });
  }

  /** The current objects of the given slots. */
  *snapshot(slots: number[]): Iterable<SnapshotItem> {
    for (const slot of slots) {
      for (const key of this.bySlot.get(slot) ?? []) {
        const r = this.routes.get(key)!;
        for (const node of r.nodes) if (slotOf(node) === slot) yield { kind: r.kind, node, object: r.object, json: this.jsonOf(r) };
      }
    }
  }

  /**
   * Packs the JSON of objects unchanged since `settledBefore` (ms since the epoch), oldest first,
   * until `budgetMs` of work is spent: an object still changing is not worth packing, and a burst
   * (the first list) is spread over several calls. Returns how many were packed.
   */
  packSettled(settledBefore: number, budgetMs: number): number {
    const deadline = performance.now() + budgetMs;
    let packed = 0;
    while (this.unpackedFrom < this.unpacked.length && performance.now() < deadline) {
      const r = this.unpacked[this.unpackedFrom];
      if (r.since > settledBefore) break;
      this.unpackedFrom++;
      if (this.routes.get(r.key) !== r || r.json === undefined) continue;
      r.packed = this.packer.pack(r.kind, r.json);
      r.json = undefined;
      packed++;
    }
    // Drop the walked head now and then rather than shifting the array on every route.
    if (this.unpackedFrom > 1024 && this.unpackedFrom * 2 > this.unpacked.length) {
      this.unpacked.splice(0, this.unpackedFrom);
      this.unpackedFrom = 0;
    }
    return packed;
  }

  private jsonOf(r: Route): string {
    return r.json ?? this.packer.unpack(r.kind, r.packed!);
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

/** An object unchanged this long is packed: most VMIs and pods have reached Running by then. */
const PACK_AFTER_MS = 10_000;
const PACK_INTERVAL_MS = 250;
const PACK_BUDGET_MS = 10;

/**
 * Packs the JSON of the fanout's settled objects from now on, a few milliseconds of work at a time
 * so that events are not held up behind it (at 12,000 VMIs, 168 MiB of JSON text: the watcher's
 * live heap went from 262 to 119 MiB). Returns the function that stops it.
 */
export function packSettledObjects(fanout: Fanout): () => void {
  const timer = setInterval(() => fanout.packSettled(Date.now() - PACK_AFTER_MS, PACK_BUDGET_MS), PACK_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * A watch line's object text is a slice of the stream's read buffer, and V8 keeps the whole
 * buffer (many events) alive for as long as the slice is. Flattening `' ' + text` copies it into
 * a string of its own; the slice of that copy pins one extra character.
 */
function ownCopy(text: string): string {
  return (' ' + text).slice(1);
}
