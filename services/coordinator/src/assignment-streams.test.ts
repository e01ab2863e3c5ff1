import { describe, expect, it } from 'vitest';
import type { Assignment } from '@virtsim/fleet-proto';
import { AssignmentStreams, type AssignmentCall } from './assignment-streams.ts';
import { FleetState } from './fleet.ts';

// Pure logic: the real FleetState on a test clock, and in-process stand-ins for gRPC streams.

class FakeCall implements AssignmentCall {
  readonly sent: Assignment[] = [];
  ended = false;
  private cancelled: (() => void) | undefined;
  write(a: Assignment): void {
    this.sent.push(a);
  }
  end(): void {
    this.ended = true;
  }
  on(_event: 'cancelled', listener: () => void): void {
    this.cancelled = listener;
  }
  /** The client went away. */
  cancel(): void {
    this.cancelled?.();
  }
}

function setup() {
  let now = 0;
  const fleet = new FleetState({ slotCount: 8, ttlMs: 1_000, settleMs: 0, now: () => now });
  const streams = new AssignmentStreams(fleet);
  fleet.onEpoch(() => streams.epochChanged());
  return { fleet, streams, advance: (ms: number) => (now += ms) };
}

describe('AssignmentStreams', () => {
  it('sends a new stream the current assignment, then each change of it, and nothing for an epoch that leaves it as it was', () => {
    const { fleet, streams } = setup();
    fleet.join('a', []);
    const a = new FakeCall();
    streams.open('a', a);
    expect(a.sent).toEqual([{ epoch: 1, slots: [0, 1, 2, 3, 4, 5, 6, 7], revoking: [] }]);

    // b joins: a is asked to give half back.
    fleet.join('b', []);
    expect(a.sent.at(-1)).toEqual({ epoch: 2, slots: [0, 1, 2, 3], revoking: [4, 5, 6, 7] });
    fleet.acknowledgeRevoke('a', [4, 5, 6, 7]);
    expect(a.sent.at(-1)).toEqual({ epoch: 3, slots: [0, 1, 2, 3], revoking: [] });

    // c joins: a and b each give one back; a's acknowledgement is a new epoch that changes nothing for b.
    const b = new FakeCall();
    streams.open('b', b);
    fleet.join('c', []);
    const sentToB = b.sent.length;
    fleet.acknowledgeRevoke('a', fleet.table.revokingSlotsOf('a'));
    expect(fleet.epoch).toBe(5);
    expect(a.sent.at(-1)?.epoch).toBe(5);
    expect(b.sent.length).toBe(sentToB);
    expect(b.sent.at(-1)?.revoking).toHaveLength(1);
  });

  it('sends to every stream of an agent, and forgets a cancelled one', () => {
    const { fleet, streams } = setup();
    fleet.join('a', []);
    const first = new FakeCall();
    const second = new FakeCall();
    streams.open('a', first);
    streams.open('a', second);
    expect(second.sent).toHaveLength(1);
    first.cancel();
    const sentToFirst = first.sent.length;
    fleet.join('b', []);
    expect(first.sent).toHaveLength(sentToFirst);
    expect(second.sent).toHaveLength(2);
    second.cancel();
    expect(streams.agents).toEqual([]);
  });

  it('ends the streams of an agent that left or expired', () => {
    const { fleet, streams, advance } = setup();
    fleet.join('a', []);
    fleet.join('b', []);
    const a = new FakeCall();
    const b = new FakeCall();
    streams.open('a', a);
    streams.open('b', b);
    fleet.leave('a');
    expect(a.ended).toBe(true);
    expect(b.ended).toBe(false);
    expect(streams.agents).toEqual(['b']);

    advance(1_001);
    expect(fleet.tick()).toEqual(['b']);
    expect(b.ended).toBe(true);
    expect(streams.agents).toEqual([]);
  });

  it('endAll() ends every stream (shutdown)', () => {
    const { fleet, streams } = setup();
    fleet.join('a', []);
    const a = new FakeCall();
    streams.open('a', a);
    streams.endAll();
    expect(a.ended).toBe(true);
    expect(streams.agents).toEqual([]);
  });
});
