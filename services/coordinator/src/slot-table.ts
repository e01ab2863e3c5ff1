/**
 * The slot -> agent table: pure logic, no I/O, no clock.
 *
 * Invariants:
 * - A slot has at most one owner. A slot being revoked still belongs to its owner until the owner
 *   acknowledges (release); only then can it be assigned again, so two owners never overlap.
 * - rebalance() is sticky and balanced: every live agent ends with floor(N/k) or ceil(N/k) slots,
 *   an agent keeps every slot it can keep within its quota, and the extra (ceil) quotas go to the
 *   agents holding the most slots already. That keeps moves at the theoretical minimum: only the
 *   slots of departed agents and the surplus of over-quota agents move.
 */

export interface RebalanceResult {
  /** Free slots given to an agent now. */
  assigned: Array<{ slot: number; agent: string }>;
  /** Slots asked back from their live owner (they move after its acknowledgement). */
  revoked: Array<{ slot: number; agent: string }>;
}

export class SlotTable {
  readonly slotCount: number;
  private readonly owner: Array<string | null>;
  /** The last agent that owned each slot (kept after release), to count moves. */
  private readonly lastOwner: Array<string | null>;
  private readonly revoking = new Set<number>();
  /** slots per owner, kept in step with `owner` (revoking slots included). */
  private readonly byAgent = new Map<string, Set<number>>();
  /** Slots that changed hands to a different agent since the table was created. */
  moves = 0;
  /** Set by every mutation; the caller turns it into one epoch increment per operation. */
  dirty = false;

  constructor(slotCount = 1024) {
    this.slotCount = slotCount;
    this.owner = new Array<string | null>(slotCount).fill(null);
    this.lastOwner = new Array<string | null>(slotCount).fill(null);
  }

  ownerOf(slot: number): string | null {
    return this.owner[slot];
  }

  isRevoking(slot: number): boolean {
    return this.revoking.has(slot);
  }

  /** Slots the agent owns and should act on (revoking ones excluded), ascending. */
  activeSlotsOf(agent: string): number[] {
    return [...(this.byAgent.get(agent) ?? [])].filter((s) => !this.revoking.has(s)).sort((a, b) => a - b);
  }

  /** Slots the agent still owns but was asked to give back, ascending. */
  revokingSlotsOf(agent: string): number[] {
    return [...(this.byAgent.get(agent) ?? [])].filter((s) => this.revoking.has(s)).sort((a, b) => a - b);
  }

  /** All slots the agent owns, revoking included. */
  ownedCount(agent: string): number {
    return this.byAgent.get(agent)?.size ?? 0;
  }

  owners(): Array<string | null> {
    return [...this.owner];
  }

  revokingSlots(): number[] {
    return [...this.revoking].sort((a, b) => a - b);
  }

  unownedCount(): number {
    let n = 0;
    for (const o of this.owner) if (o === null) n++;
    return n;
  }

  private setOwner(slot: number, agent: string | null): void {
    const prev = this.owner[slot];
    if (prev === agent) return;
    if (prev !== null) {
      const set = this.byAgent.get(prev)!;
      set.delete(slot);
      if (set.size === 0) this.byAgent.delete(prev);
      this.lastOwner[slot] = prev;
    }
    this.revoking.delete(slot);
    this.owner[slot] = agent;
    if (agent !== null) {
      let set = this.byAgent.get(agent);
      if (!set) this.byAgent.set(agent, (set = new Set()));
      set.add(slot);
      const last = this.lastOwner[slot];
      if (last !== null && last !== agent) this.moves++;
    }
    this.dirty = true;
  }

  /**
   * Records the slots an agent says it is acting on (after a coordinator restart, or a re-join).
   * Only free slots and the agent's own are accepted; a slot owned by another agent stays there.
   * Returns the accepted slots.
   */
  claim(agent: string, slots: Iterable<number>): number[] {
    const accepted: number[] = [];
    for (const slot of slots) {
      if (!Number.isInteger(slot) || slot < 0 || slot >= this.slotCount) continue;
      const o = this.owner[slot];
      if (o === null) {
        // A claim is the agent's own slot coming back (it kept acting on it), not a move.
        this.lastOwner[slot] = agent;
        this.setOwner(slot, agent);
        accepted.push(slot);
      } else if (o === agent) {
        accepted.push(slot);
      }
    }
    return accepted.sort((a, b) => a - b);
  }

  /** Frees the given slots of `agent` (acknowledged revokes, or slots it no longer holds). */
  release(agent: string, slots: Iterable<number>): number[] {
    const freed: number[] = [];
    for (const slot of slots) {
      if (this.owner[slot] === agent) {
        this.setOwner(slot, null);
        freed.push(slot);
      }
    }
    return freed;
  }

  /** Frees every slot of `agent` (it left, or its membership expired). */
  releaseAll(agent: string): number[] {
    return this.release(agent, [...(this.byAgent.get(agent) ?? [])]);
  }

  /** Frees the slots of `agent` that are being revoked and appear in `slots`. */
  acknowledgeRevoke(agent: string, slots: Iterable<number>): number[] {
    return this.release(
      agent,
      [...slots].filter((s) => this.owner[s] === agent && this.revoking.has(s)),
    );
  }

  /**
   * Moves the table toward balance over `members` (the live agents). Free slots are assigned at
   * once; surplus slots of live agents are only marked revoking. Slots owned by agents that are
   * not members are left alone: the caller releases them when their membership has expired.
   */
  rebalance(members: readonly string[]): RebalanceResult {
    const result: RebalanceResult = { assigned: [], revoked: [] };
    const k = members.length;
    if (k === 0) return result;
    const base = Math.floor(this.slotCount / k);
    const extra = this.slotCount % k;
    // Holdings that count toward a quota: revoking slots are already on their way out.
    const holding = new Map(members.map((m) => [m, this.activeSlotsOf(m)]));
    // The ceil quotas go to the agents holding the most, so that fewer slots have to move.
    const order = [...members].sort((a, b) => holding.get(b)!.length - holding.get(a)!.length || (a < b ? -1 : a > b ? 1 : 0));
    const quota = new Map(order.map((m, i) => [m, base + (i < extra ? 1 : 0)]));

    for (const m of order) {
      const slots = holding.get(m)!;
      const surplus = slots.length - quota.get(m)!;
      // Give back the highest-numbered slots: any choice moves the same number of slots.
      for (let i = 0; i < surplus; i++) {
        const slot = slots[slots.length - 1 - i];
        this.revoking.add(slot);
        this.dirty = true;
        result.revoked.push({ slot, agent: m });
      }
    }

    const need = new Map(order.map((m) => [m, Math.max(0, quota.get(m)! - holding.get(m)!.length)]));
    for (let slot = 0; slot < this.slotCount; slot++) {
      if (this.owner[slot] !== null) continue;
      // Prefer the agent that owned this slot last (a re-join), then the one missing the most.
      let best: string | undefined;
      const last = this.lastOwner[slot];
      if (last !== null && (need.get(last) ?? 0) > 0) best = last;
      else {
        for (const m of order) if ((need.get(m) ?? 0) > 0 && (best === undefined || need.get(m)! > need.get(best)!)) best = m;
      }
      if (best === undefined) break;
      need.set(best, need.get(best)! - 1);
      this.setOwner(slot, best);
      result.assigned.push({ slot, agent: best });
    }
    return result;
  }
}
