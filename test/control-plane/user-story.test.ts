import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@virtsim/testkit/wait';
import { fileURLToPath } from 'node:url';
import { Recorder, currentResourceVersion } from '../fleet/harness.ts';
import { VMIS, collectionPath } from '@virtsim/kube';
import { condition, startCluster, type Cluster } from './cluster.ts';

// The examples the README walks through, shipped in the repo.
const EXAMPLES = fileURLToPath(new URL('../../examples', import.meta.url));
const NODES = 6;

const podReady = (p: any) => p?.status?.phase === 'Running' && condition(p, 'Ready')?.status === 'True';

describe('issue 5 user story: kubectl against the fleet with the control-plane stand-ins', () => {
  let c: Cluster;
  beforeAll(async () => {
    c = await startCluster({ agents: 1, nodes: NODES });
  }, 120_000);
  afterAll(async () => c?.stop(), 60_000);

  const launcherPods = async (vmi: string) =>
    (await c.kubectlJson(['get', 'pods', '-l', `vm.kubevirt.io/name=${vmi}`])).items as any[];

  it('runs vm-cirros (set to run) and vmi-fedora: VM Ready, VMIs Running, launcher pods Running and Ready on fake nodes', async () => {
    const vm = readFileSync(`${EXAMPLES}/vm-cirros.yaml`, 'utf8').replace('runStrategy: Halted', 'runStrategy: Always');
    await c.kubectl(['apply', '-f', '-'], vm);
    await c.kubectl(['apply', '-f', `${EXAMPLES}/vmi-fedora.yaml`]);

    const cirros = await waitFor('VM vm-cirros Ready', async () => {
      const v = await c.kubectlJson(['get', 'vm', 'vm-cirros']);
      return v.status?.ready === true && v.status.printableStatus === 'Running' ? v : undefined;
    }, { timeoutMs: 30_000 });
    expect(condition(cirros, 'Ready')?.status).toBe('True');
    for (const name of ['vm-cirros', 'vmi-fedora']) {
      const vmi = await waitFor(`VMI ${name} Running and Ready`, async () => {
        const v = await c.kubectlJson(['get', 'vmi', name]);
        return v.status?.phase === 'Running' && condition(v, 'Ready')?.status === 'True' ? v : undefined;
      }, { timeoutMs: 30_000 });
      expect(vmi.status.phaseTransitionTimestamps.map((t: { phase: string }) => t.phase)).toEqual(['Pending', 'Scheduling', 'Scheduled', 'Running']);
      expect(vmi.metadata.finalizers).toContain('kubevirt.io/foregroundDeleteVirtualMachine');
      expect(vmi.metadata.labels['kubevirt.io/nodeName']).toBe(vmi.status.nodeName);
      expect(vmi.status.nodeName).toMatch(/^virtsim-node-/);
      const pods = await launcherPods(name);
      expect(pods).toHaveLength(1);
      const pod = pods[0];
      expect(pod.metadata.name).toMatch(new RegExp(`^virt-launcher-${name}-[a-z0-9]{5}$`));
      expect(pod.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'VirtualMachineInstance', name, uid: vmi.metadata.uid, controller: true })]);
      expect(pod.spec.nodeName).toBe(vmi.status.nodeName);
      expect(pod.spec.nodeSelector['kubevirt.io/schedulable']).toBe('true');
      expect(pod.spec.readinessGates).toEqual([{ conditionType: 'kubevirt.io/virtual-machine-unpaused' }]);
      expect(pod.spec.containers[0].resources.limits['devices.kubevirt.io/kvm']).toBe('1');
      expect(vmi.status.activePods).toEqual({ [pod.metadata.uid]: pod.spec.nodeName });
      expect(podReady(pod)).toBe(true);
    }
    // vm-cirros has the default bridge binding: virt-handler reports it not live-migratable.
    const vmi = await c.kubectlJson(['get', 'vmi', 'vm-cirros']);
    expect(condition(vmi, 'LiveMigratable')).toMatchObject({ status: 'False', reason: 'InterfaceNotLiveMigratable' });
  });

  it('migrates vmi-fedora to another node with a VirtualMachineInstanceMigration', async () => {
    const before = await c.kubectlJson(['get', 'vmi', 'vmi-fedora']);
    const source = before.status.nodeName;
    await c.kubectl(['create', '-f', '-'], 'apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstanceMigration\nmetadata:\n  name: migrate-fedora\nspec:\n  vmiName: vmi-fedora\n');
    // virt-controller drops its finalizer in a write of its own after the one that sets Succeeded.
    const m = await waitFor('migration Succeeded and finalized', async () => {
      const v = await c.kubectlJson(['get', 'vmim', 'migrate-fedora']);
      if (v.status?.phase === 'Failed') throw new Error(`migration failed: ${JSON.stringify(v.status)}`);
      return v.status?.phase === 'Succeeded' && !v.metadata.finalizers?.includes('kubevirt.io/migrationJobFinalize') ? v : undefined;
    }, { timeoutMs: 30_000 });
    expect(m.status.phaseTransitionTimestamps.map((t: { phase: string }) => t.phase)).toEqual([
      'Pending', 'Scheduling', 'Scheduled', 'PreparingTarget', 'TargetReady', 'Running', 'Succeeded',
    ]);
    const after = await waitFor('VMI Ready on the target', async () => {
      const v = await c.kubectlJson(['get', 'vmi', 'vmi-fedora']);
      return v.status.nodeName !== source && condition(v, 'Ready')?.status === 'True' ? v : undefined;
    }, { timeoutMs: 30_000 });
    expect(after.status.phase).toBe('Running');
    expect(after.status.migrationState).toMatchObject({ completed: true, sourceNode: source, targetNode: after.status.nodeName });
    expect(after.metadata.labels['kubevirt.io/nodeName']).toBe(after.status.nodeName);
    const pods = await launcherPods('vmi-fedora');
    const target = pods.find((p) => p.spec.nodeName === after.status.nodeName);
    expect(podReady(target)).toBe(true);
    await waitFor('source launcher pod Completed', async () => (await launcherPods('vmi-fedora')).some((p) => p.spec.nodeName === source && p.status.phase === 'Succeeded'));
  });

  it('rejects a migration of a VMI that is not live-migratable, with the admitter message', async () => {
    await c.kubectl(['create', '-f', '-'], 'apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstanceMigration\nmetadata:\n  name: migrate-cirros\nspec:\n  vmiName: vm-cirros\n');
    const m = await waitFor('migration rejected', async () => {
      const v = await c.kubectlJson(['get', 'vmim', 'migrate-cirros']);
      return v.status?.phase === 'Failed' ? v : undefined;
    });
    expect(condition(m, 'migrationRejected')).toMatchObject({ status: 'True', reason: 'NotLiveMigratable' });
    expect(condition(m, 'migrationRejected').message).toMatch(/^Cannot migrate VMI, Reason: InterfaceNotLiveMigratable, Message: /);
  });

  it('stops the VM: the VMI goes Succeeded, then away, and the VM shows Stopped', async () => {
    const rec = new Recorder(c.fleet.client, collectionPath(VMIS), await currentResourceVersion(c.fleet.client, collectionPath(VMIS)));
    try {
      await c.kubectl(['patch', 'vm', 'vm-cirros', '--type', 'merge', '-p', '{"spec":{"runStrategy":"Halted"}}']);
      await waitFor('VMI vm-cirros gone', async () => (await c.fleet.api.kubectl(['get', 'vmi', 'vm-cirros'])).code !== 0, { timeoutMs: 30_000 });
      const phases = (rec.events.get('default/vm-cirros') ?? []).map((e) => e.object.status?.phase);
      expect(phases).toContain('Succeeded');
      expect(phases).not.toContain('Failed');
      await waitFor('VM Stopped', async () => {
        const v = await c.kubectlJson(['get', 'vm', 'vm-cirros']);
        return v.status?.printableStatus === 'Stopped' && !v.status.ready;
      });
      await waitFor('its launcher pod gone', async () => (await launcherPods('vm-cirros')).length === 0, { timeoutMs: 30_000 });
      const described = await c.kubectl(['describe', 'vm', 'vm-cirros']);
      expect(described).toMatch(/Normal\s+SuccessfulCreate\s+.*virtualmachine-controller\s+Started the virtual machine by creating the new virtual machine instance/);
      expect(described).toMatch(/Normal\s+SuccessfulDelete\s+.*virtualmachine-controller\s+Stopped the virtual machine by deleting the virtual machine instance/);
      // The stand-in names them as client-go's recorder does: <object>.<hex of the time in nanoseconds>, each its own.
      const listed = (await c.kubectlJson(['get', 'events', '--field-selector', 'involvedObject.name=vm-cirros'])).items as Array<{ metadata: { name: string }; source?: { component?: string } }>;
      const events = listed.filter((e) => e.source?.component === 'virtualmachine-controller').map((e) => e.metadata.name);
      expect(events.length).toBeGreaterThanOrEqual(2);
      for (const name of events) {
        expect(name).toMatch(/^vm-cirros\.[0-9a-f]+$/);
        const ms = Number(BigInt(`0x${name.split('.')[1]}`) / 1_000_000n);
        expect(Math.abs(Date.now() - ms)).toBeLessThan(10 * 60_000);
      }
      expect(new Set(events).size).toBe(events.length);
    } finally {
      await rec.stop();
    }
  });

  it('keeps a VMI that can never be scheduled in Scheduling, with the scheduler reason in its conditions', async () => {
    const vmi = readFileSync(`${EXAMPLES}/vmi-fedora.yaml`, 'utf8')
      .replace('name: vmi-fedora', 'name: vmi-nowhere')
      .replace('spec:\n', 'spec:\n  nodeSelector:\n    virtsim.io/no-such-label: "true"\n');
    await c.kubectl(['apply', '-f', '-'], vmi);
    const v = await waitFor('VMI Scheduling with PodScheduled=False', async () => {
      const x = await c.kubectlJson(['get', 'vmi', 'vmi-nowhere']);
      return x.status?.phase === 'Scheduling' && condition(x, 'PodScheduled') ? x : undefined;
    });
    expect(condition(v, 'PodScheduled')).toMatchObject({
      status: 'False',
      reason: 'Unschedulable',
      message: `0/${NODES} nodes are available: ${NODES} node(s) didn't match Pod's node affinity/selector. preemption: 0/${NODES} nodes are available: ${NODES} Preemption is not helpful for scheduling.`,
    });
    const described = await c.kubectl(['describe', 'vmi', 'vmi-nowhere']);
    expect(described).toContain("didn't match Pod's node affinity/selector");
  });

  it('resumes unfinished work after a restart of the control plane', async () => {
    await c.controlPlane.stop();
    await c.kubectl(['apply', '-f', '-'], readFileSync(`${EXAMPLES}/vmi-fedora.yaml`, 'utf8').replace('name: vmi-fedora', 'name: vmi-after-restart'));
    await c.startControlPlane();
    await waitFor('VMI created while the control plane was down Running', async () => {
      const v = await c.kubectlJson(['get', 'vmi', 'vmi-after-restart']);
      return v.status?.phase === 'Running';
    }, { timeoutMs: 30_000 });
  });

  it('fails a migration the handler reports failed: VMIM Failed, the VMI stays on its node, the target pod goes', async () => {
    const before = await c.kubectlJson(['get', 'vmi', 'vmi-after-restart']);
    await c.kubectl(['label', 'vmi', 'vmi-after-restart', 'vmi-migration-failed.stage.virtsim.io=true']);
    await c.kubectl(['create', '-f', '-'], 'apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstanceMigration\nmetadata:\n  name: migrate-fail\nspec:\n  vmiName: vmi-after-restart\n');
    const m = await waitFor('migration Failed', async () => {
      const v = await c.kubectlJson(['get', 'vmim', 'migrate-fail']);
      return v.status?.phase === 'Failed' ? v : undefined;
    }, { timeoutMs: 30_000 });
    expect(m.status.phaseTransitionTimestamps.map((t: { phase: string }) => t.phase)).toContain('Running');
    const vmi = await c.kubectlJson(['get', 'vmi', 'vmi-after-restart']);
    expect(vmi.status.phase).toBe('Running');
    expect(vmi.status.nodeName).toBe(before.status.nodeName);
    expect(vmi.status.migrationState).toMatchObject({ failed: true, completed: true });
    await waitFor('target pod removed', async () => {
      const pods = await launcherPods('vmi-after-restart');
      return pods.length === 1 && pods[0].spec.nodeName === before.status.nodeName;
    }, { timeoutMs: 30_000 });
  });

  it('fails a Running VMI whose launcher pod vanishes', async () => {
    const [pod] = await launcherPods('vmi-after-restart');
    await c.kubectl(['delete', 'pod', pod.metadata.name, '--grace-period=0', '--force']);
    const v = await waitFor('VMI Failed', async () => {
      const x = await c.kubectlJson(['get', 'vmi', 'vmi-after-restart']);
      return x.status?.phase === 'Failed' ? x : undefined;
    });
    expect(v.status.phaseTransitionTimestamps.at(-1).phase).toBe('Failed');
    // Final and podless: the finalizer goes (virt-controller's next reconcile), so a delete removes it at once.
    await waitFor('finalizer removed from the failed VMI', async () => {
      const x = await c.kubectlJson(['get', 'vmi', 'vmi-after-restart']);
      return !(x.metadata.finalizers ?? []).includes('kubevirt.io/foregroundDeleteVirtualMachine');
    });
  });

  it('deletes everything and leaves nothing behind', async () => {
    await c.kubectl(['delete', 'vm,vmi,vmim', '--all', '--wait=false']);
    await waitFor('no VMs, VMIs, migrations or pods left', async () => {
      const all = await c.kubectlJson(['get', 'vm,vmi,vmim,pods']);
      return all.items.length === 0 ? true : undefined;
    }, { timeoutMs: 45_000 });
  });
});
