import { describe, expect, it } from 'vitest';
import { FleetState } from './fleet.ts';

// Pure logic on a test clock: when a fresh fleet's slots are first handed out.

function fleetOf(opts: { initialMembers?: number; initialWaitMs?: number }) {
  let now = 0;
  const fleet = new FleetState({ slotCount: 8, ttlMs: 10_000, settleMs: 0, now: () => now, ...opts });
  return { fleet, advance: (ms: number) => (now += ms) };
}

const slotsOf = (fleet: FleetState, id: string) => fleet.assignmentOf(id).slots.length;

describe('FleetState initial members', () => {
  it('without them, the first agent to join takes every slot and the second gets half only through a revoke', () => {
    const { fleet } = fleetOf({});
    fleet.join('a', []);
    expect(slotsOf(fleet, 'a')).toBe(8);
    fleet.join('b', []);
    expect(fleet.assignmentOf('a').revoking).toHaveLength(4);
    expect(slotsOf(fleet, 'b')).toBe(0);
  });

  it('assigns nothing until every expected agent has joined, then splits the slots with nothing to revoke', () => {
    const { fleet } = fleetOf({ initialMembers: 2 });
    fleet.join('a', []);
    expect(slotsOf(fleet, 'a')).toBe(0);
    fleet.join('b', []);
    expect([slotsOf(fleet, 'a'), slotsOf(fleet, 'b')]).toEqual([4, 4]);
    expect(fleet.assignmentOf('a').revoking).toEqual([]);
    // Only the first assignment waits: a third agent is given its share as usual.
    fleet.join('c', []);
    expect(fleet.assignmentOf('a').revoking.length + fleet.assignmentOf('b').revoking.length).toBeGreaterThan(0);
  });

  it('stops waiting for a missing agent after the initial wait, at the next tick', () => {
    const { fleet, advance } = fleetOf({ initialMembers: 3, initialWaitMs: 5_000 });
    fleet.join('a', []);
    advance(4_999);
    fleet.tick();
    expect(slotsOf(fleet, 'a')).toBe(0);
    advance(2);
    fleet.tick();
    expect(slotsOf(fleet, 'a')).toBe(8);
  });
});
