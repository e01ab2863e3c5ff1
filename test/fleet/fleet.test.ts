import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@virtsim/testkit/wait';
import { createScheduledVmi, listNodes, listPods, listVmis, nodeName, startFleet, type Fleet } from './harness.ts';

const NODES = 30;
const VMIS = 60;

describe('fleet: coordinator + watcher + agents on the embedded API server', () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await startFleet({ agents: 2, nodes: NODES });
  }, 120_000);
  afterAll(async () => fleet?.stop(), 60_000);

  it('registers every pool node and keeps it Ready', async () => {
    await waitFor(`${NODES} nodes Ready`, async () => {
      const nodes = await listNodes(fleet.client);
      const ready = nodes.filter((n) => n.status?.conditions?.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True'));
      return ready.length === NODES;
    }, { timeoutMs: 60_000 });
  });

  it('drives Scheduled VMIs to Running with their launcher pods Running and Ready', async () => {
    for (let i = 0; i < VMIS; i++) await createScheduledVmi(fleet.client, `vmi-${i}`, nodeName(i % NODES));
    const vmis = await waitFor(`${VMIS} VMIs Running`, async () => {
      const v = await listVmis(fleet.client);
      return v.filter((x) => x.status?.phase === 'Running').length === VMIS ? v : undefined;
    }, { timeoutMs: 60_000 });
    for (const v of vmis) {
      const ts = v.status.phaseTransitionTimestamps.map((p: { phase: string }) => p.phase);
      expect(ts).toEqual(['Pending', 'Scheduling', 'Scheduled', 'Running']);
      expect(v.status.interfaces?.[0]?.ipAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    }
    await waitFor('launcher pods Running and Ready', async () => {
      const pods = await listPods(fleet.client);
      return pods.filter((p) => p.status?.phase === 'Running' && p.status.conditions?.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True')).length === VMIS;
    }, { timeoutMs: 30_000 });
  });
});
