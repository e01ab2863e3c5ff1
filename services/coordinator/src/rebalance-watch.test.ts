import { describe, expect, it } from 'vitest';
import { FleetState } from './fleet.ts';
import { RebalanceWatch } from './rebalance-watch.ts';

function setup() {
  let now = 0;
  const fleet = new FleetState({ slotCount: 8, ttlMs: 1_000, settleMs: 0, now: () => now });
  const observed: number[] = [];
  const warnings: Array<Record<string, unknown>> = [];
  const watch = new RebalanceWatch({ fleet, histogram: { observe: (v: number) => void observed.push(v) }, log: { warn: (o: object) => void warnings.push(o as Record<string, unknown>) } as never, now: () => now });
  fleet.onEpoch((c) => watch.epoch(c));
  return { fleet, watch, observed, warnings, advance: (ms: number) => (now += ms) };
}

describe('RebalanceWatch', () => {
  it('times a rebalance from the first revoke until the table is complete again', () => {
    const { fleet, watch, observed, advance } = setup();
    fleet.join('a', []);
    expect(watch.busy).toBe(false);
    fleet.join('b', []);
    expect(watch.busy).toBe(true);
    advance(250);
    fleet.acknowledgeRevoke('a', fleet.table.revokingSlotsOf('a'));
    expect(watch.busy).toBe(false);
    expect(observed).toEqual([0.25]);
  });

  it('warns once per TTL about a revoke nobody acknowledges, naming the agent it waits on', () => {
    const { fleet, watch, warnings, advance } = setup();
    fleet.join('a', []);
    fleet.join('b', []);
    advance(900);
    watch.check();
    expect(warnings).toEqual([]);
    advance(200);
    watch.check();
    expect(warnings).toEqual([{ sinceMs: 1_100, revoking: 4, unowned: 0, waitingOn: ['a'] }]);
    advance(500);
    watch.check();
    expect(warnings).toHaveLength(1);
    advance(600);
    watch.check();
    expect(warnings).toHaveLength(2);
  });
});
