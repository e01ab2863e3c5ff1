// The chaos run, compressed for a 2-core CI machine: 400 VMIs on 60 nodes with 3 agents, while an
// agent is killed with -9, another SIGSTOPped past the coordinator TTL, nats-server restarted, the
// watcher leader killed, the coordinator restarted and 10% of writes fail with watches cut. Nothing
// may be lost: every VMI Running, no transition applied twice, no stale or doubly held node Lease.
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createLogger } from '@virtsim/telemetry';
import { CI_PLAN, formatResult, runChaos } from './chaos.ts';

describe('chaos (short)', () => {
  it('loses nothing and replays nothing under overlapping faults', async () => {
    const log = createLogger('chaos');
    log.level = 'warn';
    const r = await runChaos({ vmis: 400, nodes: 60, agents: 3, rate: 8, plan: CI_PLAN, leaseDurationSeconds: 20, settleTimeoutMs: 60_000, log, print: (l) => process.stdout.write(l + '\n') });
    process.stdout.write(formatResult(r) + '\n');
    expect(r.vmisCreated).toBe(400);
    expect(r.notRunning).toEqual([]);
    expect(r.duplicatePhaseTimestamps).toEqual([]);
    expect(r.duplicateStartedEvents).toEqual([]);
    expect(r.launcherPods).toEqual([]);
    expect(r.replayedInWatch).toEqual([]);
    expect(r.staleLeases).toEqual([]);
    expect(r.leaseViolations).toEqual([]);
    // Every scheduled fault happened, and the API fault mode injected some of each kind.
    expect(r.rows.map((x) => x.fault.split(' ')[0])).toEqual(expect.arrayContaining(['API', 'kill', 'SIGSTOP', 'restart']));
    expect(Object.keys(r.apiFaults).length).toBeGreaterThan(1);
    expect(r.lost).toBe(0);
    // The RSS check (rss.ts) is printed, not asserted, here: its fault-free window holds ~100 VMIs
    // over ~12 s, so an agent's slope is one GC step (5-10 MiB), and the nats-server restart alone
    // lifts an agent ~25 MiB: agents ended up to 15% over their expectation in four runs, and with one
    // GC step less in its window agent-2 would have been 22% over. `npm run chaos` (thousands of VMIs in its
    // window) counts rssOver in its verdict.
    expect(r.rss.rows.map((x) => x.process)).toEqual(expect.arrayContaining(['apiserver', 'watcher', 'control-plane', 'coordinator', 'nats-server']));
    rmSync(r.stateDir, { recursive: true, force: true }); // kept when the run fails, for its logs
  }, 240_000);
});
