import { monotonicNow } from '@virtsim/fleet-proto';
import { Membership } from './membership.ts';
import { SlotTable } from './slot-table.ts';

/** What one agent is told: the slots to act on and the slots to give back. */
export interface AgentAssignment {
  epoch: number;
  slots: number[];
  revoking: number[];
}

/** Emitted once per epoch, after the operation that changed the table. */
export interface EpochChange {
  epoch: number;
  reason: string;
  members: string[];
  /** Slots per member (revoking included). */
  slotsPerAgent: Record<string, number>;
  revoking: number;
  unowned: number;
  moves: number;
  assigned: number;
  revoked: number;
}

export interface FleetOptions {
  slotCount?: number;
  ttlMs: number;
  /**
   * After a (re)start the coordinator only records claims for this long before it assigns free
   * slots: an agent that kept working while the coordinator was away stops at the latest one TTL
   * after its last accepted heartbeat, so waiting one TTL means no free slot still has an active
   * owner that has not re-joined yet. Defaults to ttlMs.
   */
  settleMs?: number;
  /**
   * A fresh fleet of this many agents: nothing is assigned until they have all joined (or
   * initialWaitMs passed), as Kafka's group.initial.rebalance.delay.ms. Otherwise the first agent
   * to join takes every slot, registers every node, and hands half of them over a moment later.
   */
  initialMembers?: number;
  /** The longest wait for initialMembers (default 30 s). */
  initialWaitMs?: number;
  now?: () => number;
}

/**
 * Membership and the slot table together: every operation of the gRPC service, applied as one
 * step that ends with at most one epoch increment. Pure (clock injected), so the fencing rules can
 * be tested without timers.
 */
export class FleetState {
  readonly table: SlotTable;
  readonly membership: Membership;
  readonly ttlMs: number;
  private readonly now: () => number;
  private settleUntil: number;
  /** Waiting for the initial members until then (0: not waiting). */
  private initialUntil: number;
  private readonly initialMembers: number;
  private epochValue = 0;
  private readonly listeners: Array<(change: EpochChange) => void> = [];

  constructor(opts: FleetOptions) {
    this.now = opts.now ?? monotonicNow;
    this.ttlMs = opts.ttlMs;
    this.table = new SlotTable(opts.slotCount ?? 1024);
    this.membership = new Membership(opts.ttlMs, this.now);
    this.settleUntil = this.now() + (opts.settleMs ?? opts.ttlMs);
    this.initialMembers = opts.initialMembers ?? 0;
    this.initialUntil = this.initialMembers > 1 ? this.now() + (opts.initialWaitMs ?? 30_000) : 0;
  }

  get epoch(): number {
    return this.epochValue;
  }

  get settling(): boolean {
    return this.now() < this.settleUntil || this.awaitingInitialMembers();
  }

  private awaitingInitialMembers(): boolean {
    if (!this.initialUntil) return false;
    if (this.membership.ids().length < this.initialMembers && this.now() < this.initialUntil) return true;
    this.initialUntil = 0; // once: later joins rebalance as usual
    return false;
  }

  onEpoch(listener: (change: EpochChange) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Joins (or re-joins) an agent with the slots it says it is acting on. Returns the accepted
   * claims. A re-joining member's slots that it no longer claims are freed: it says it does not
   * act on them.
   */
  join(agentId: string, heldSlots: number[]): { accepted: number[]; epoch: number } {
    if (!agentId) throw new Error('join: agent_id is empty');
    const isNew = this.membership.join(agentId);
    if (!isNew) {
      const held = new Set(heldSlots);
      const owned = [...this.table.activeSlotsOf(agentId), ...this.table.revokingSlotsOf(agentId)];
      this.table.release(agentId, owned.filter((s) => !held.has(s)));
    }
    const accepted = this.table.claim(agentId, heldSlots);
    this.commit(isNew ? `join ${agentId}` : `re-join ${agentId}`);
    return { accepted, epoch: this.epochValue };
  }

  /** Renews the membership; undefined when the agent is not a member. */
  heartbeat(agentId: string): number | undefined {
    return this.membership.heartbeat(agentId) ? this.epochValue : undefined;
  }

  /** The agent stopped acting on all its slots and leaves; they move at once. */
  leave(agentId: string): boolean {
    if (!this.membership.leave(agentId)) return false;
    this.table.releaseAll(agentId);
    this.commit(`leave ${agentId}`);
    return true;
  }

  /** The agent stopped acting on these revoked slots; they go to their next owner. */
  acknowledgeRevoke(agentId: string, slots: number[]): number[] {
    if (!this.membership.has(agentId)) return [];
    const freed = this.table.acknowledgeRevoke(agentId, slots);
    if (freed.length > 0) this.commit(`ack ${agentId} (${freed.length} slots)`);
    return freed;
  }

  /**
   * Periodic step: expires silent members (their slots move only now: fencing) and, once the
   * settle period is over, assigns free slots.
   */
  tick(): string[] {
    const expired = this.membership.expire();
    for (const id of expired) this.table.releaseAll(id);
    this.commit(expired.length > 0 ? `expired ${expired.join(',')}` : 'settled');
    return expired;
  }

  assignmentOf(agentId: string): AgentAssignment {
    return { epoch: this.epochValue, slots: this.table.activeSlotsOf(agentId), revoking: this.table.revokingSlotsOf(agentId) };
  }

  private commit(reason: string): void {
    let assigned = 0;
    let revoked = 0;
    if (!this.settling) {
      const r = this.table.rebalance(this.membership.ids());
      assigned = r.assigned.length;
      revoked = r.revoked.length;
    }
    if (!this.table.dirty) return;
    this.table.dirty = false;
    this.epochValue++;
    const members = this.membership.ids();
    const change: EpochChange = {
      epoch: this.epochValue,
      reason,
      members,
      slotsPerAgent: Object.fromEntries(members.map((m) => [m, this.table.ownedCount(m)])),
      revoking: this.table.revokingSlots().length,
      unowned: this.table.unownedCount(),
      moves: this.table.moves,
      assigned,
      revoked,
    };
    for (const l of this.listeners) l(change);
  }
}
