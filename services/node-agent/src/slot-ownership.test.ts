import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { pino } from 'pino';
import { slotOf, type DecodedEvent, type EventType, type SnapshotItem } from '@virtsim/bus';
import type { KubeObject } from '@virtsim/kube';
import { waitFor } from '@virtsim/testkit/wait';
import { NodePool } from './node-pool.ts';
import { SlotOwnership, type SlotFeed, type SlotNodes, type SlotObjects } from './slot-ownership.ts';
import { entryKey } from './stage-runner.ts';

// Pure slot-move logic, against in-process fakes of the bus (subscriptions, snapshots answered
// by the test), the stage runner (objects held per slot) and the writer (node registrations and
// Leases). The real parts are covered by test/fleet.

/** The bus: records subscriptions; each snapshot waits until the test answers or fails it. */
class FakeBus implements SlotFeed {
  readonly subscribed = new Set<number>();
  readonly calls: string[] = [];
  readonly snapshots: Array<{ slots: number[]; answer(items: SnapshotItem[]): void; fail(err: Error): void }> = [];
  subscribe(slots: number[]): void {
    this.calls.push(`subscribe ${slots}`);
    for (const s of slots) this.subscribed.add(s);
  }
  unsubscribe(slots: number[]): void {
    this.calls.push(`unsubscribe ${slots}`);
    for (const s of slots) this.subscribed.delete(s);
  }
  snapshot(slots: number[]): Promise<SnapshotItem[]> {
    this.calls.push(`snapshot ${slots}`);
    return new Promise((answer, fail) => this.snapshots.push({ slots, answer, fail }));
  }
  /** The snapshot asked for last, once it has been asked for. */
  async nextSnapshot(count: number) {
    await waitFor(`snapshot request #${count}`, () => this.snapshots.length >= count);
    return this.snapshots[count - 1];
  }
}

/** The stage runner: the objects held per slot, and what was done to them, in order. */
class FakeObjects implements SlotObjects {
  readonly held = new Map<string, { kind: string; obj: KubeObject; slot: number; seenAt: number }>();
  readonly actions: string[] = [];
  readonly dropped: number[] = [];
  play(ev: DecodedEvent): void {
    this.actions.push(`play ${ev.type} ${ev.kind}/${ev.object.metadata.name}`);
    this.observe(ev.kind, ev.object as KubeObject, ev.slot, false);
  }
  observe(kind: string, obj: KubeObject, slot: number, log = true): void {
    if (log) this.actions.push(`observe ${kind}/${obj.metadata.name}`);
    this.held.set(entryKey(kind, obj), { kind, obj, slot, seenAt: Date.now() });
  }
  forget(kind: string, obj: KubeObject): void {
    this.actions.push(`forget ${kind}/${obj.metadata.name}`);
    this.held.delete(entryKey(kind, obj));
  }
  staleIn(slots: Set<number>, before: number, present: Set<string>) {
    return [...this.held].filter(([key, e]) => slots.has(e.slot) && e.seenAt < before && !present.has(key)).map(([, e]) => ({ kind: e.kind, obj: e.obj }));
  }
  async dropSlots(slots: Set<number>): Promise<void> {
    this.dropped.push(...slots);
    for (const [key, e] of this.held) if (slots.has(e.slot)) this.held.delete(key);
  }
}

/** The writer: node registrations and Lease calls, in order. */
class FakeWriter implements SlotNodes {
  readonly calls: string[] = [];
  readonly leases = new Set<string>();
  async register(nodes: string[]): Promise<void> {
    this.calls.push(`register ${nodes}`);
  }
  own(nodes: string[]): void {
    this.calls.push(`own ${nodes}`);
    for (const n of nodes) this.leases.add(n);
  }
  async release(nodes: string[]): Promise<void> {
    this.calls.push(`release ${nodes}`);
    for (const n of nodes) this.leases.delete(n);
  }
  forget(nodes: string[]): void {
    this.calls.push(`forget ${nodes}`);
    for (const n of nodes) this.leases.delete(n);
  }
}

const pool = new NodePool({ name: 'test', count: 20 });
// Two pool nodes on different slots, and a node on slot A that is not in the pool.
const nodeA = 'virtsim-node-00000';
const slotA = slotOf(nodeA);
const nodeB = pool.nodesOfSlots(Array.from({ length: 1024 }, (_, s) => s)).find((n) => slotOf(n) !== slotA)!;
const slotB = slotOf(nodeB);

function object(kind: string, name: string, node: string, rv = '1'): KubeObject {
  return kind === 'Node' ? { kind, metadata: { name, resourceVersion: rv } } : { kind, metadata: { name, namespace: 'default', resourceVersion: rv }, spec: { nodeName: node } };
}
function event(type: EventType, kind: string, name: string, node: string, rv = '2'): DecodedEvent {
  return { type, kind, node, object: object(kind, name, node, rv), receivedAt: Date.now(), slot: slotOf(node), resourceVersion: rv, traceContext: ROOT_CONTEXT };
}
const item = (kind: string, name: string, node: string): SnapshotItem => ({ kind, node, object: object(kind, name, node) });
const assignment = (slots: number[], lost = false) => ({ epoch: 1, slots, revoking: [], lost });

describe('SlotOwnership', () => {
  let bus: FakeBus;
  let objects: FakeObjects;
  let writer: FakeWriter;
  let ignored: string[];
  let ownership: SlotOwnership;

  beforeEach(() => {
    bus = new FakeBus();
    objects = new FakeObjects();
    writer = new FakeWriter();
    ignored = [];
    const log = pino({ level: 'silent' });
    ownership = new SlotOwnership({ pool, feed: bus, objects, nodes: writer, log, onIgnored: (r) => ignored.push(r), snapshotRetryMs: 10 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('subscribes a gained slot before asking for its snapshot, and holds its events until the snapshot is merged', async () => {
    const applied = ownership.apply(assignment([slotA]));
    const snap = await bus.nextSnapshot(1);
    expect(bus.calls).toEqual([`subscribe ${slotA}`, `snapshot ${slotA}`]);
    expect(ownership.slots).toEqual([slotA]);

    // Published between the subscription and the snapshot: held, not played before its node is known.
    ownership.onEvent(event('MODIFIED', 'Pod', 'p1', nodeA));
    expect(objects.actions).toEqual([]);

    snap.answer([item('Node', nodeA, nodeA), item('Pod', 'p1', nodeA)]);
    await applied;
    expect(objects.actions).toEqual([`observe Node/${nodeA}`, 'observe Pod/p1', 'play MODIFIED Pod/p1']);
    // Then the slot's nodes are registered and heartbeated.
    const nodes = pool.nodesOfSlots([slotA]);
    expect(writer.calls).toEqual([`register ${nodes}`, `own ${nodes}`]);

    // Synced now: the next event is played at once.
    ownership.onEvent(event('MODIFIED', 'Pod', 'p1', nodeA, '3'));
    expect(objects.actions.at(-1)).toBe('play MODIFIED Pod/p1');
    expect(ignored).toEqual([]);
  });

  it('ignores and counts events of slots it does not own', async () => {
    const applied = ownership.apply(assignment([slotA]));
    (await bus.nextSnapshot(1)).answer([]);
    await applied;
    ownership.onEvent(event('ADDED', 'Pod', 'elsewhere', nodeB));
    expect(ignored).toEqual(['slot_not_owned']);
    expect(objects.actions).toEqual([]);
  });

  it('takes from a snapshot only objects of owned slots and pool nodes', async () => {
    const applied = ownership.apply(assignment([slotA]));
    (await bus.nextSnapshot(1)).answer([item('Pod', 'mine', nodeA), item('Pod', 'other-slot', nodeB), item('Pod', 'foreign', 'not-a-pool-node')]);
    await applied;
    expect(objects.actions).toEqual(['observe Pod/mine']);
  });

  it('forgets objects a resync no longer lists, but not ones seen after the resync was asked for', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_000_000);
    const applied = ownership.apply(assignment([slotA]));
    (await bus.nextSnapshot(1)).answer([item('Pod', 'deleted-meanwhile', nodeA), item('Pod', 'kept', nodeA)]);
    await applied;

    vi.setSystemTime(1_001_000);
    const resynced = ownership.resync();
    const snap = await bus.nextSnapshot(2);
    expect(snap.slots).toEqual([slotA]);
    vi.setSystemTime(1_002_000);
    ownership.onEvent(event('ADDED', 'Pod', 'created-meanwhile', nodeA));
    snap.answer([item('Pod', 'kept', nodeA)]);
    expect(await resynced).toBe(true);

    expect(objects.actions.slice(2)).toEqual(['play ADDED Pod/created-meanwhile', 'observe Pod/kept', 'forget Pod/deleted-meanwhile']);
    expect([...objects.held.values()].map((e) => e.obj.metadata.name).sort()).toEqual(['created-meanwhile', 'kept']);
  });

  it('stops a lost slot before the assignment is done: unsubscribed, its work dropped, its Leases handed back', async () => {
    const applied = ownership.apply(assignment([slotA, slotB]));
    (await bus.nextSnapshot(1)).answer([]);
    await applied;
    writer.calls.length = 0;

    const { gained, lost } = await ownership.apply(assignment([slotB]));
    expect({ gained, lost }).toEqual({ gained: [], lost: [slotA] });
    expect(bus.subscribed).toEqual(new Set([slotB]));
    expect(objects.dropped).toEqual([slotA]);
    expect(writer.calls).toEqual([`release ${pool.nodesOfSlots([slotA])}`]);
    ownership.onEvent(event('MODIFIED', 'Pod', 'late', nodeA));
    expect(ignored).toEqual(['slot_not_owned']);
  });

  it('fenced (coordinator lost), it stops every slot and leaves the Leases to expire without a write', async () => {
    const applied = ownership.apply(assignment([slotA]));
    (await bus.nextSnapshot(1)).answer([]);
    await applied;
    writer.calls.length = 0;

    await ownership.apply(assignment([], true));
    expect(ownership.slots).toEqual([]);
    expect(bus.subscribed.size).toBe(0);
    expect(writer.calls).toEqual([`forget ${pool.nodesOfSlots([slotA])}`]);
  });

  it('plays held events after a failed snapshot and asks again for the slots still owned', async () => {
    const applied = ownership.apply(assignment([slotA, slotB]));
    const first = await bus.nextSnapshot(1);
    ownership.onEvent(event('ADDED', 'Pod', 'p1', nodeA));
    first.fail(new Error('no watcher answered'));
    await applied;
    expect(objects.actions).toEqual(['play ADDED Pod/p1']);

    // Slot B is lost before the retry: only A is asked for again.
    await ownership.apply(assignment([slotA]));
    const retry = await bus.nextSnapshot(2);
    expect(retry.slots).toEqual([slotA]);
    retry.answer([item('Pod', 'p2', nodeA)]);
    await waitFor('retried snapshot merged', () => objects.actions.includes('observe Pod/p2'));
  });

  it('stop() drops every slot at once: later events are ignored', async () => {
    const applied = ownership.apply(assignment([slotA]));
    (await bus.nextSnapshot(1)).answer([]);
    await applied;
    ownership.stop();
    expect(ownership.size).toBe(0);
    ownership.onEvent(event('MODIFIED', 'Pod', 'p1', nodeA));
    expect(ignored).toEqual(['slot_not_owned']);
  });
});
