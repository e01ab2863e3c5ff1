import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEASES, VMIS, collectionPath } from '@virtsim/kube';
import { waitFor } from '@virtsim/testkit/wait';
import {
  Recorder,
  createScheduledVmi,
  currentResourceVersion,
  leaseViolations,
  listVmis,
  nodeName,
  startFleet,
  type Fleet,
} from './harness.ts';

const NODES = 60;

async function allRunning(fleet: Fleet, n: number) {
  return waitFor(`${n} VMIs Running`, async () => {
    const v = await listVmis(fleet.client);
    return v.length === n && v.every((x) => x.status?.phase === 'Running');
  }, { timeoutMs: 90_000 });
}

async function leasesHeldBy(fleet: Fleet, agents: string[]) {
  const leases = await fleet.client.request<{ items: Array<{ metadata: { name: string }; spec: { holderIdentity?: string } }> }>({
    method: 'GET',
    path: collectionPath(LEASES, 'kube-node-lease'),
  });
  const pool = leases.items.filter((l) => l.metadata.name.startsWith('virtsim-node-'));
  return pool.length === NODES && pool.every((l) => agents.includes(l.spec.holderIdentity ?? ''));
}

describe('fleet handover: scale up, scale down, kill -9', () => {
  let fleet: Fleet;
  let vmiRec: Recorder;
  let leaseRec: Recorder;
  let created = 0;
  const createBatch = async (n: number) => {
    const from = created;
    created += n;
    for (let i = from; i < created; i++) await createScheduledVmi(fleet.client, `vmi-${i}`, nodeName(i % NODES));
  };

  beforeAll(async () => {
    fleet = await startFleet({ agents: 3, nodes: NODES, ttlMs: 2000, leaseSeconds: 6 });
    vmiRec = new Recorder(fleet.client, collectionPath(VMIS), await currentResourceVersion(fleet.client, collectionPath(VMIS)));
    leaseRec = new Recorder(fleet.client, collectionPath(LEASES, 'kube-node-lease'), '0');
  }, 120_000);
  afterAll(async () => {
    await vmiRec?.stop();
    await leaseRec?.stop();
    await fleet?.stop();
  }, 60_000);

  it('keeps every VMI moving, each transition applied once, while agents come and go', async () => {
    await waitFor('leases of all nodes held by the 3 agents', () => leasesHeldBy(fleet, ['agent-0', 'agent-1', 'agent-2']), { timeoutMs: 30_000 });
    await createBatch(90);
    await allRunning(fleet, 90);

    // Scale up to 4 while VMIs are being created.
    const up = fleet.addAgent('agent-3');
    await createBatch(60);
    await up;
    await allRunning(fleet, 150);
    await waitFor('leases spread over 4 agents', () => leasesHeldBy(fleet, ['agent-0', 'agent-1', 'agent-2', 'agent-3']), { timeoutMs: 30_000 });

    // Scale down to 2 (graceful stops) while VMIs are being created.
    const down = Promise.all([fleet.agents.get('agent-3')!.stop(), fleet.agents.get('agent-2')!.stop()]);
    fleet.agents.delete('agent-3');
    fleet.agents.delete('agent-2');
    await createBatch(60);
    expect(await down).toEqual([0, 0]);
    await allRunning(fleet, 210);
    await waitFor('leases held by the 2 agents left', () => leasesHeldBy(fleet, ['agent-0', 'agent-1']), { timeoutMs: 30_000 });

    // Each VMI was written exactly once by the fleet: Scheduled -> Running.
    const writes = [...vmiRec.events.entries()].map(([k, evs]) => [k, evs.filter((e) => e.type === 'MODIFIED').length] as const);
    expect(writes).toHaveLength(210);
    expect(writes.filter(([, n]) => n !== 1)).toEqual([]);
    expect(leaseRec.events.size).toBe(NODES);
    expect(leaseViolations(leaseRec)).toEqual([]);
  });

  it('moves the slots of a killed agent after the TTL and takes its leases over after expiry', async () => {
    const victim = fleet.agents.get('agent-1')!;
    await victim.kill();
    fleet.agents.delete('agent-1');
    await createBatch(60);
    await allRunning(fleet, 270);
    await waitFor('every lease taken over by the survivor', () => leasesHeldBy(fleet, ['agent-0']), { timeoutMs: 30_000 });
    expect(leaseViolations(leaseRec)).toEqual([]);
    const writes = [...vmiRec.events.values()].map((evs) => evs.filter((e) => e.type === 'MODIFIED').length);
    expect(writes.filter((n) => n !== 1)).toEqual([]);
  });
});
