// `virtsim up` stopped and started again on its state dir: the cluster comes back as it was (every
// node, VMI and pod with its UID, nothing replayed or recreated) and the fleet resumes heartbeats.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '@virtsim/testkit/wait';
import { freePort, runUp } from './run-up.ts';
import { KubeClient, LEASES, NODES, PODS, VMIS, collectionPath, type KubeObject } from '@virtsim/kube';

const NODE_COUNT = 8;
const VMI_COUNT = 6;



const list = async (client: KubeClient, path: string) => (await client.request<{ items: KubeObject[] }>({ method: 'GET', path })).items;
const byName = (items: KubeObject[]) => new Map(items.map((o) => [`${o.metadata.namespace ?? ''}/${o.metadata.name}`, o]));
const ready = (n: KubeObject) => n.status?.conditions?.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True');

describe('virtsim up, stopped and started again on its state dir', () => {
  const started: ReturnType<typeof runUp>[] = [];
  afterAll(() => {
    for (const u of started) u.child.kill('SIGKILL');
  });

  it('brings back every node, VMI and pod as they were, recreates nothing and renews the Leases', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'virtsim-restart-'));
    const args = ['--state-dir', stateDir, '--nodes', String(NODE_COUNT), '--agents', '1', '--port', String(await freePort()), '--nats-port', String(await freePort())];
    const first = runUp(args);
    started.push(first);
    await waitFor('virtsim is up', () => first.out().includes('stop        Ctrl-C'), { timeoutMs: 60_000 });
    let client = await KubeClient.fromFile(join(stateDir, 'kubeconfig'));
    for (let i = 0; i < VMI_COUNT; i++) {
      await client.request({
        method: 'POST',
        path: collectionPath(VMIS, 'default'),
        body: { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: `restart-${i}` }, spec: { domain: { devices: {}, resources: { requests: { memory: '64Mi' } } } } },
      });
    }
    await waitFor(`${VMI_COUNT} VMIs Running and ${NODE_COUNT} nodes Ready`, async () => {
      const vmis = await list(client, collectionPath(VMIS, 'default'));
      const nodes = await list(client, collectionPath(NODES));
      return vmis.filter((v) => v.status?.phase === 'Running').length === VMI_COUNT && nodes.filter(ready).length === NODE_COUNT;
    }, { timeoutMs: 60_000 });
    const before = {
      nodes: byName(await list(client, collectionPath(NODES))),
      vmis: byName(await list(client, collectionPath(VMIS, 'default'))),
      pods: byName(await list(client, collectionPath(PODS, 'default'))),
    };
    client.close();
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);

    const restartedAt = Date.now();
    const second = runUp(args);
    started.push(second);
    await waitFor('virtsim is up again', () => second.out().includes('stop        Ctrl-C'), { timeoutMs: 60_000 });
    client = await KubeClient.fromFile(join(stateDir, 'kubeconfig'));
    try {
      // Every Lease renewed by the new agents (the fleet resumed its heartbeats).
      await waitFor('every node Lease renewed after the restart', async () => {
        const leases = await list(client, collectionPath(LEASES, 'kube-node-lease'));
        return leases.length === NODE_COUNT && leases.every((l) => Date.parse(l.spec?.renewTime) >= restartedAt - 1000);
      }, { timeoutMs: 60_000 });
      const after = {
        nodes: byName(await list(client, collectionPath(NODES))),
        vmis: byName(await list(client, collectionPath(VMIS, 'default'))),
        pods: byName(await list(client, collectionPath(PODS, 'default'))),
      };
      for (const kind of ['nodes', 'vmis', 'pods'] as const) {
        expect([...after[kind].keys()].sort(), kind).toEqual([...before[kind].keys()].sort());
        for (const [key, obj] of before[kind]) {
          expect(after[kind].get(key)!.metadata.uid, `${kind} ${key}`).toBe(obj.metadata.uid);
          expect(after[kind].get(key)!.metadata.creationTimestamp, `${kind} ${key}`).toBe(obj.metadata.creationTimestamp);
        }
      }
      for (const [key, vmi] of before.vmis) {
        const now = after.vmis.get(key)!;
        expect(now.status.phase, key).toBe('Running');
        // No transition played again.
        expect(now.status.phaseTransitionTimestamps, key).toEqual(vmi.status.phaseTransitionTimestamps);
      }
      for (const [key, pod] of before.pods) expect(after.pods.get(key)!.status.phase, key).toBe(pod.status.phase);
    } finally {
      client.close();
    }
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });
});
