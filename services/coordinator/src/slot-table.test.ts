import { describe, expect, it } from 'vitest';
import { SlotTable } from './slot-table.ts';
import { FleetState } from './fleet.ts';

/** Rebalances, then acknowledges every revoke, until the table is stable; returns the slots moved. */
function settle(table: SlotTable, members: string[]): number {
  const before = table.moves;
  for (let round = 0; round < 10; round++) {
    const r = table.rebalance(members);
    if (r.assigned.length === 0 && r.revoked.length === 0 && table.revokingSlots().length === 0) break;
    for (const m of members) table.acknowledgeRevoke(m, table.revokingSlotsOf(m));
  }
  return table.moves - before;
}

function counts(table: SlotTable, members: string[]): number[] {
  return members.map((m) => table.ownedCount(m));
}

function owners(table: SlotTable): Map<number, string | null> {
  return new Map(table.owners().map((o, s) => [s, o]));
}

describe('slot table', () => {
  it('balances 1024 slots within one slot over any number of agents', () => {
    for (const k of [1, 2, 3, 5, 7, 64, 100]) {
      const t = new SlotTable(1024);
      const members = Array.from({ length: k }, (_, i) => `agent-${i}`);
      settle(t, members);
      const c = counts(t, members);
      expect(Math.max(...c) - Math.min(...c)).toBeLessThanOrEqual(1);
      expect(c.reduce((a, b) => a + b, 0)).toBe(1024);
      expect(t.unownedCount()).toBe(0);
    }
  });

  it('moves only the theoretical minimum on 1→2→3→4→3→2 agents, and keeps every other slot in place', () => {
    const t = new SlotTable(1024);
    settle(t, ['a']);
    const steps: Array<{ members: string[]; leaving?: string }> = [
      { members: ['a', 'b'] },
      { members: ['a', 'b', 'c'] },
      { members: ['a', 'b', 'c', 'd'] },
      { members: ['a', 'b', 'c'], leaving: 'd' },
      { members: ['a', 'c'], leaving: 'b' },
    ];
    for (const step of steps) {
      const before = owners(t);
      const leaverSlots = step.leaving ? t.ownedCount(step.leaving) : 0;
      if (step.leaving) t.releaseAll(step.leaving);
      const moved = settle(t, step.members);
      // Lower bound: on a join the newcomer must receive floor(1024/k) slots; on a leave, exactly
      // the leaver's slots must find a new owner.
      const minimum = step.leaving ? leaverSlots : Math.floor(1024 / step.members.length);
      expect(moved).toBe(minimum);
      const after = owners(t);
      let changed = 0;
      for (const [slot, o] of before) if (after.get(slot) !== o) changed++;
      expect(changed).toBe(minimum);
      const c = counts(t, step.members);
      expect(Math.max(...c) - Math.min(...c)).toBeLessThanOrEqual(1);
    }
  });

  it('never gives a revoked slot to a new owner before the old owner acknowledges', () => {
    const t = new SlotTable(16);
    settle(t, ['a']);
    const r = t.rebalance(['a', 'b']);
    expect(r.revoked).toHaveLength(8);
    expect(r.assigned).toHaveLength(0);
    const revoked = r.revoked.map((x) => x.slot);
    // Until acknowledged, the slots stay a's and rebalancing again changes nothing.
    expect(revoked.every((s) => t.ownerOf(s) === 'a' && t.isRevoking(s))).toBe(true);
    expect(t.rebalance(['a', 'b'])).toEqual({ assigned: [], revoked: [] });
    expect(t.activeSlotsOf('b')).toEqual([]);
    // b cannot claim them either.
    expect(t.claim('b', revoked)).toEqual([]);
    t.acknowledgeRevoke('a', revoked.slice(0, 3));
    const r2 = t.rebalance(['a', 'b']);
    expect(r2.assigned.map((x) => x.slot).sort((x, y) => x - y)).toEqual(revoked.slice(0, 3).sort((x, y) => x - y));
    expect(t.ownedCount('a')).toBe(13);
  });

  it('accepts claims of free slots only, without counting them as moves', () => {
    const t = new SlotTable(8);
    expect(t.claim('a', [0, 1, 2])).toEqual([0, 1, 2]);
    expect(t.claim('b', [2, 3])).toEqual([3]);
    expect(t.moves).toBe(0);
    settle(t, ['a', 'b']);
    expect(t.activeSlotsOf('a').slice(0, 3)).toEqual([0, 1, 2]);
    expect(t.activeSlotsOf('b')).toContain(3);
  });
});

describe('slot table under random membership changes', () => {
  it('stays balanced and moves the minimum after every change (1,000 seeded random steps)', () => {
    // Deterministic PRNG (mulberry32) so a failure reproduces.
    let seed = 0x5eed;
    const rand = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const t = new SlotTable(1024);
    let members: string[] = [];
    let next = 0;
    for (let step = 0; step < 1_000; step++) {
      const before = t.owners();
      let minimum: number;
      // At least one agent stays, so that every step is a handover between agents.
      if (members.length <= 1 || (members.length < 40 && rand() < 0.5)) {
        const id = `agent-${next++}`;
        members = [...members, id].sort();
        const k = members.length;
        // The newcomer needs floor(1024/k) slots; the rest stays where it is (previous table was balanced).
        minimum = members.length === 1 ? 0 : Math.floor(1024 / k);
      } else {
        const gone = members[Math.floor(rand() * members.length)];
        members = members.filter((m) => m !== gone);
        minimum = t.ownedCount(gone);
        t.releaseAll(gone);
      }
      const moved = settle(t, members);
      // The move counter agrees with the slots whose owner actually changed, and both are the minimum.
      const after = t.owners();
      const changed = before.filter((o, s) => o !== null && after[s] !== o).length;
      expect(moved).toBe(changed);
      expect(changed).toBe(minimum);
      const c = counts(t, members);
      expect(Math.max(...c) - Math.min(...c)).toBeLessThanOrEqual(1);
      expect(t.unownedCount()).toBe(0);
    }
  });
});

describe('fleet state (membership + table + epoch)', () => {
  function fleet(opts: { ttlMs?: number; settleMs?: number } = {}) {
    let now = 1_000_000;
    const f = new FleetState({ slotCount: 64, ttlMs: opts.ttlMs ?? 1_000, settleMs: opts.settleMs ?? 0, now: () => now });
    return { f, advance: (ms: number) => (now += ms) };
  }

  it('increments the epoch on every change and only then', () => {
    const { f } = fleet();
    const epochs: number[] = [];
    f.onEpoch((c) => epochs.push(c.epoch));
    f.join('a', []);
    expect(f.epoch).toBe(1);
    expect(f.assignmentOf('a').slots).toHaveLength(64);
    f.heartbeat('a');
    f.tick();
    expect(f.epoch).toBe(1);
    f.join('b', []);
    expect(f.epoch).toBe(2);
    expect(f.assignmentOf('a').revoking).toHaveLength(32);
    f.acknowledgeRevoke('a', f.assignmentOf('a').revoking);
    expect(f.epoch).toBe(3);
    expect(f.assignmentOf('b').slots).toHaveLength(32);
    expect(epochs).toEqual([1, 2, 3]);
  });

  it("moves a silent agent's slots only after its membership expired (fencing)", () => {
    const { f, advance } = fleet({ ttlMs: 1_000 });
    f.join('a', []);
    f.join('b', []);
    f.acknowledgeRevoke('a', f.assignmentOf('a').revoking);
    const bSlots = f.assignmentOf('b').slots;
    expect(bSlots).toHaveLength(32);
    // b goes silent; a keeps heartbeating.
    for (let t = 0; t < 1_000; t += 200) {
      advance(200);
      f.heartbeat('a');
      expect(f.tick()).toEqual([]);
      expect(bSlots.every((s) => f.table.ownerOf(s) === 'b')).toBe(true);
    }
    advance(200);
    f.heartbeat('a');
    expect(f.tick()).toEqual(['b']);
    expect(bSlots.every((s) => f.table.ownerOf(s) === 'a')).toBe(true);
    expect(f.heartbeat('b')).toBeUndefined();
  });

  it('a restarted coordinator rebuilds the table from claims without moving a slot', () => {
    const { f: old } = fleet();
    for (const id of ['a', 'b', 'c']) old.join(id, []);
    for (const id of ['a', 'b', 'c']) old.acknowledgeRevoke(id, old.assignmentOf(id).revoking);
    for (const id of ['a', 'b', 'c']) old.acknowledgeRevoke(id, old.assignmentOf(id).revoking);
    const table = old.table.owners();
    expect(table.every((o) => o !== null)).toBe(true);

    const { f: fresh, advance } = fleet({ ttlMs: 1_000, settleMs: 1_000 });
    // c re-joins first with nothing: during the settle period it gets no free slot.
    fresh.join('c', old.assignmentOf('c').slots);
    fresh.join('a', old.assignmentOf('a').slots);
    advance(500);
    fresh.join('b', old.assignmentOf('b').slots);
    expect(fresh.table.owners()).toEqual(table);
    advance(600);
    for (const id of ['a', 'b', 'c']) fresh.heartbeat(id);
    fresh.tick();
    expect(fresh.settling).toBe(false);
    expect(fresh.table.owners()).toEqual(table);
    expect(fresh.table.moves).toBe(0);
  });

  it('after the settle period, free slots of agents that never came back are assigned', () => {
    const { f, advance } = fleet({ ttlMs: 1_000, settleMs: 1_000 });
    f.join('a', [0, 1, 2, 3]);
    expect(f.assignmentOf('a').slots).toEqual([0, 1, 2, 3]);
    advance(1_001);
    f.heartbeat('a');
    f.tick();
    expect(f.assignmentOf('a').slots).toHaveLength(64);
  });

  it('a re-joining agent keeps what it claims and frees what it no longer holds', () => {
    const { f } = fleet();
    f.join('a', []);
    f.join('b', []);
    f.acknowledgeRevoke('a', f.assignmentOf('a').revoking);
    const aSlots = f.assignmentOf('a').slots;
    // a restarted and holds only half of its slots now: the rest go to b... and come back by rebalance.
    f.join('a', aSlots.slice(0, 16));
    expect(f.table.ownedCount('a') + f.table.ownedCount('b')).toBe(64);
    expect(aSlots.slice(0, 16).every((s) => f.table.ownerOf(s) === 'a')).toBe(true);
    const c = [f.table.ownedCount('a'), f.table.ownedCount('b')];
    expect(Math.abs(c[0] - c[1])).toBeLessThanOrEqual(1);
  });
});
