import type { Logger } from 'pino';
import { slotOf, type DecodedEvent, type SnapshotItem } from '@virtsim/bus';
import type { SlotAssignment } from '@virtsim/fleet-proto';
import type { KubeObject } from '@virtsim/kube';
import type { NodePool } from './node-pool.ts';
import { entryKey } from './stage-runner.ts';

/** The bus side of owning slots: their event subscriptions and their snapshots. */
export interface SlotFeed {
  subscribe(slots: number[]): void;
  unsubscribe(slots: number[]): void;
  /** The current objects of `slots`; rejects when the snapshot cannot be had now. */
  snapshot(slots: number[]): Promise<SnapshotItem[]>;
}

/** What the agent does with the objects of its slots (in the agent: the stage runner and the pod address book). */
export interface SlotObjects {
  /** An event of an owned slot whose snapshot is merged. */
  play(ev: DecodedEvent): void;
  /** The current version of an object of an owned slot, read from a snapshot. */
  observe(kind: string, obj: KubeObject, slot: number): void;
  /** An object deleted while no event said so (found out by a snapshot). */
  forget(kind: string, obj: KubeObject): void;
  /** Objects held of `slots`, absent from `present` (entry keys) and not seen since `before` (ms). */
  staleIn(slots: Set<number>, before: number, present: Set<string>): Array<{ kind: string; obj: KubeObject }>;
  /** Stops all work on the objects of `slots`; resolves when none of their writes is in flight. */
  dropSlots(slots: Set<number>): Promise<void>;
}

/** The API side of the nodes of owned slots: registration and Leases (in the agent: the writer and the LeaseKeeper). */
export interface SlotNodes {
  /** Registers those of `nodes` that do not exist yet. */
  register(nodes: string[]): Promise<void>;
  /** Starts heartbeating the nodes' Leases. */
  own(nodes: string[]): void;
  /** Stops heartbeating and hands the Leases back, so the next owner need not wait for expiry. */
  release(nodes: string[]): Promise<void>;
  /** Stops heartbeating without a write (fenced: the slots may be someone else's already). */
  forget(nodes: string[]): void;
}

export interface SlotOwnershipOptions {
  pool: NodePool;
  feed: SlotFeed;
  objects: SlotObjects;
  nodes: SlotNodes;
  log: Logger;
  /** Counts an event that is not acted on (reason `slot_not_owned`). */
  onIgnored?: (reason: string) => void;
  /** Wait before a failed snapshot is asked for again (default 1 s). */
  snapshotRetryMs?: number;
}

/**
 * Which slots the agent acts on, and the moves between them: a gained slot is subscribed, then
 * read from a snapshot, and only then played (its events meanwhile are held: the informer's rule
 * of no action before the first sync, so a pod or VMI is never played before its node is known);
 * a lost slot is unsubscribed and its work stopped before the change is reported done (the
 * coordinator client acknowledges the revoke only then: never two owners).
 */
export class SlotOwnership {
  private readonly opts: SlotOwnershipOptions;
  private readonly owned = new Set<number>();
  /** Gained slots whose snapshot is not merged yet, with their events held meanwhile. */
  private readonly syncing = new Map<number, DecodedEvent[]>();

  constructor(opts: SlotOwnershipOptions) {
    this.opts = opts;
  }

  get size(): number {
    return this.owned.size;
  }

  /** The owned slots, ascending. */
  get slots(): number[] {
    return [...this.owned].sort((x, y) => x - y);
  }

  has(slot: number): boolean {
    return this.owned.has(slot);
  }

  /** An event from the bus: played if its slot is owned and synced, held while it syncs, else ignored. */
  onEvent(ev: DecodedEvent): void {
    if (!this.owned.has(ev.slot)) return void this.opts.onIgnored?.('slot_not_owned');
    const waiting = this.syncing.get(ev.slot);
    if (waiting) return void waiting.push(ev);
    this.opts.objects.play(ev);
  }

  /** Applies an assignment of the coordinator; resolves once lost slots are let go and gained ones synced. */
  async apply(a: SlotAssignment): Promise<{ gained: number[]; lost: number[] }> {
    const keep = new Set(a.slots);
    const lost = [...this.owned].filter((s) => !keep.has(s));
    const gained = a.slots.filter((s) => !this.owned.has(s));
    if (lost.length) await this.release(lost, a.lost);
    if (gained.length) await this.gain(gained);
    this.opts.log.info({ epoch: a.epoch, slots: this.owned.size, gained: gained.length, lost: lost.length, revoking: a.revoking.length, fenced: a.lost }, 'assignment applied');
    return { gained, lost };
  }

  private async release(lost: number[], fenced: boolean): Promise<void> {
    for (const s of lost) {
      this.owned.delete(s);
      this.syncing.delete(s);
    }
    this.opts.feed.unsubscribe(lost);
    await this.opts.objects.dropSlots(new Set(lost));
    const nodes = this.opts.pool.nodesOfSlots(lost);
    // Fenced (coordinator lost): our slots may be someone else's already, so no more writes;
    // the leases expire on their own. Otherwise hand them back so the next owner need not wait.
    if (fenced) this.opts.nodes.forget(nodes);
    else await this.opts.nodes.release(nodes);
  }

  private async gain(gained: number[]): Promise<void> {
    for (const s of gained) {
      this.owned.add(s);
      this.syncing.set(s, []);
    }
    // Subscribe first, then snapshot: nothing published in between is missed. What arrives
    // meanwhile is held and played after the snapshot (a failed snapshot is retried in the
    // background; the held events are played all the same).
    this.opts.feed.subscribe(gained);
    await this.resync(gained);
    for (const s of gained) {
      const held = this.syncing.get(s) ?? [];
      this.syncing.delete(s);
      for (const ev of held) if (this.owned.has(ev.slot)) this.opts.objects.play(ev);
    }
    // Nodes of the pool that do not exist yet are registered; their stages start on the event.
    const nodes = this.opts.pool.nodesOfSlots(gained);
    await this.opts.nodes.register(nodes);
    this.opts.nodes.own(nodes);
  }

  /**
   * Reads the current objects of `slots` (default: all owned) and merges them by resourceVersion;
   * false if the snapshot failed (it is asked for again in the background, for the slots still owned).
   */
  async resync(slots: number[] = [...this.owned]): Promise<boolean> {
    if (!slots.length) return true;
    const requestedAt = Date.now();
    let items: SnapshotItem[];
    try {
      items = await this.opts.feed.snapshot(slots);
    } catch (err) {
      this.opts.log.warn({ slots: slots.length, err }, 'snapshot failed; will retry');
      setTimeout(() => void this.resync(slots.filter((s) => this.owned.has(s))), this.opts.snapshotRetryMs ?? 1000).unref();
      return false;
    }
    const taken = this.merge(items, slots, requestedAt);
    this.opts.log.info({ slots: slots.length, objects: taken }, 'snapshot merged');
    return true;
  }

  /** Merges a snapshot of `slots` asked for at `requestedAt`; returns how many objects it took. */
  private merge(items: SnapshotItem[], slots: number[], requestedAt: number): number {
    const { objects, pool } = this.opts;
    const present = new Set<string>();
    let taken = 0;
    for (const it of items) {
      const slot = slotOf(it.node);
      if (!this.owned.has(slot) || !pool.has(it.node)) continue;
      const obj = it.object as KubeObject;
      present.add(entryKey(it.kind, obj));
      objects.observe(it.kind, obj, slot);
      taken++;
    }
    // Objects held but absent from the snapshot, and not seen since we asked, were deleted.
    for (const gone of objects.staleIn(new Set(slots), requestedAt, present)) objects.forget(gone.kind, gone.obj);
    return taken;
  }

  /** Stops acting on every slot at once (shutdown); nothing is released here, the caller hands the leases back. */
  stop(): void {
    this.owned.clear();
    this.syncing.clear();
  }
}
