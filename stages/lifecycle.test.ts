/**
 * Walks nodes, launcher pods and VMIs through the default stage sets the way the fleet does:
 * select a stage for the object, render its steps with real template functions, apply the writes
 * as the API server would (strategic merge for pods and nodes, JSON merge for VMIs), and evaluate
 * the result again. Checks what a KubeVirt engineer would look at: the fields and their order of
 * appearance, one write per VMI transition, and that every chain comes to rest (no stage matches
 * the final object, so nothing loops).
 */
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import type { KubeObject, Plan, PlanContext, StageSet } from '@virtsim/stages';
import { applyForeignWrites, applyOwnWrites, countWrites, loadSet, readObject, renderContext, STAGES_DIR } from './stage-fixtures.ts';

const all = loadSet('node', 'pod', 'vmi', 'vmim');
const input = (p: string) => readObject(path.join(STAGES_DIR, p));

interface Obj {
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown };
  status: Record<string, any>;
  [k: string]: unknown;
}

/** One step of the fleet: the plan for `obj` and the object after its own writes. */
function step(set: StageSet, obj: KubeObject, ctx: PlanContext): { plan: Plan; after: KubeObject } {
  const plan = set.plan(obj, ctx);
  if (!plan) throw new Error(`no stage matches ${obj.kind} ${obj.metadata?.name}`);
  return { plan, after: applyOwnWrites(obj, plan.requests).obj };
}

const asObj = (o: KubeObject) => o as unknown as Obj;
const condition = (o: KubeObject, type: string) => (asObj(o).status.conditions as { type: string }[]).find((c) => c.type === type) as Record<string, unknown> | undefined;

describe('VMI lifecycle (vmi set)', () => {
  it('Scheduled -> Running in one write, appending Running to phaseTransitionTimestamps, then rests', () => {
    const ctx = renderContext();
    const vmi = input('vmi/testdata/vmi-scheduled.input.yaml');
    const { plan, after } = step(all, vmi, ctx);
    expect(plan.stage.name).toBe('vmi-running');
    expect(countWrites(plan.requests)).toBe(1);
    expect(plan.requests[0]).toMatchObject({ kind: 'event', type: 'Normal', reason: 'Started', message: 'VirtualMachineInstance started.' });
    const patch = plan.requests.find((r) => r.kind === 'patch');
    expect(patch?.kind === 'patch' && patch.impersonate?.username).toBe('system:serviceaccount:kubevirt:kubevirt-controller');
    // a JSON patch: a merge patch would prune the nulls inside the conditions it replaces
    expect(patch?.kind === 'patch' && patch.type).toBe('json');

    const s = asObj(after).status;
    expect(s.phase).toBe('Running');
    expect(s.phaseTransitionTimestamps).toEqual([
      ...asObj(vmi).status.phaseTransitionTimestamps,
      { phase: 'Running', phaseTransitionTimestamp: '2026-08-01T12:00:00Z' },
    ]);
    // virt-controller's fields survive the patch untouched, nulls included (its JSON patch `test`
    // ops compare the conditions with the nulls of their Go encoding).
    expect(s.activePods).toEqual(asObj(vmi).status.activePods);
    expect(s.memory).toEqual({ ...asObj(vmi).status.memory, guestCurrent: '128Mi' });
    expect(condition(after, 'Ready')).toEqual(condition(vmi, 'Ready'));
    expect(condition(vmi, 'Ready')).toHaveProperty('lastProbeTime', null);
    expect(condition(after, 'LiveMigratable')).toEqual({ lastProbeTime: null, lastTransitionTime: null, status: 'True', type: 'LiveMigratable' });
    expect(s.migrationMethod).toBe('BlockMigration');
    expect(all.plan(after, ctx)).toBeNull();
  });

  it('gives the pod-network interface the IP the launcher pod got from its node', () => {
    const ctx = renderContext();
    const pod = input('pod/testdata/launcher-pending-gate-true.input.yaml');
    const podAfter = step(all, pod, ctx).after;
    const vmiAfter = step(all, input('vmi/testdata/vmi-scheduled.input.yaml'), ctx).after;
    const podIP = asObj(podAfter).status.podIP;
    expect(podIP).toMatch(/^10\.244\.42\.\d+$/);
    expect(asObj(vmiAfter).status.interfaces[0]).toMatchObject({ name: 'default', podInterfaceName: 'eth0', ipAddress: podIP, ipAddresses: [podIP] });
  });

  it('deletion of a Running VMI -> Succeeded (appended), finalizers left to virt-controller', () => {
    const ctx = renderContext();
    const running = step(all, input('vmi/testdata/vmi-scheduled.input.yaml'), ctx).after;
    const deleting = { ...running, metadata: { ...running.metadata, deletionTimestamp: '2026-08-01T12:00:30Z' } } as KubeObject;
    const { plan, after } = step(all, deleting, ctx);
    expect(plan.stage.name).toBe('vmi-stop');
    expect(countWrites(plan.requests)).toBe(1);
    expect(plan.requests.some((r) => r.kind === 'delete' || (r.kind === 'patch' && r.finalizers))).toBe(false);
    const phases = asObj(after).status.phaseTransitionTimestamps.map((t: { phase: string }) => t.phase);
    expect(phases).toEqual(['Pending', 'Scheduling', 'Scheduled', 'Running', 'Succeeded']);
    expect(all.plan(after, ctx)).toBeNull();
  });

  it('crash chaos: label -> Failed after the annotated delay, Warning event', () => {
    const ctx = renderContext();
    const running = step(all, input('vmi/testdata/vmi-scheduled.input.yaml'), ctx).after;
    expect(all.plan(running, ctx)).toBeNull();
    const labelled = { ...running, metadata: { ...running.metadata, labels: { ...running.metadata!.labels, 'vmi-crash.stage.virtsim.io': 'true' }, annotations: { ...running.metadata!.annotations, 'vmi-crash.stage.virtsim.io/delay': '90s' } } } as KubeObject;
    const { plan, after } = step(all, labelled, ctx);
    expect(plan.stage.name).toBe('vmi-crash');
    expect(plan.delayMs).toBe(90_000);
    expect(plan.requests[0]).toMatchObject({ kind: 'event', type: 'Warning', reason: 'Stopped' });
    expect(asObj(after).status.phase).toBe('Failed');
    expect(all.plan(after, ctx)).toBeNull();
  });

  it('a VMI on the pod network through bridge is not live-migratable, checked before its disks (KubeVirt v1.9 order)', () => {
    const after = step(all, input('vmi/testdata/vmi-scheduled-bridge-rwo.input.yaml'), renderContext()).after;
    expect(condition(after, 'LiveMigratable')).toMatchObject({ status: 'False', reason: 'InterfaceNotLiveMigratable' });
    expect(condition(after, 'StorageLiveMigratable')).toMatchObject({ status: 'False', reason: 'NotMigratable' });
  });

  it('a VMI with a ReadWriteOnce PVC is not live-migratable and says why', () => {
    const after = step(all, input('vmi/testdata/vmi-scheduled-bridge-allowed.input.yaml'), renderContext()).after;
    expect(condition(after, 'LiveMigratable')).toMatchObject({ status: 'False', reason: 'DisksNotLiveMigratable' });
    expect(String(condition(after, 'LiveMigratable')?.message)).toContain('PVC rootdisk-pvc is not shared');
    expect((asObj(after).status.conditions as { type: string }[]).filter((c) => c.type === 'LiveMigratable')).toHaveLength(1);
  });
});

describe('virt-launcher pod (pod set)', () => {
  it('is Running with ContainersReady but not Ready until virt-controller sets the readiness gate', () => {
    const ctx = renderContext();
    const pending = input('pod/testdata/launcher-pending.input.yaml');
    const { after: running } = step(all, pending, ctx);
    expect(asObj(running).status.phase).toBe('Running');
    expect(condition(running, 'ContainersReady')?.status).toBe('True');
    expect(condition(running, 'Ready')).toMatchObject({ status: 'False', reason: 'ReadinessGatesNotReady' });
    expect(condition(running, 'PodScheduled')?.status).toBe('True');
    expect(all.plan(running, ctx)).toBeNull();

    // virt-controller: pods/status strategic merge patch with the gate condition (reason NotPaused).
    const gated = applyOwnWrites(running, [
      { kind: 'patch', step: 0, subresource: 'status', root: 'status', type: 'strategic', data: { status: { conditions: [{ type: 'kubevirt.io/virtual-machine-unpaused', status: 'True', reason: 'NotPaused', lastProbeTime: null, lastTransitionTime: '2026-08-01T12:00:01Z' }] } } },
    ]).obj;
    const { plan, after: ready } = step(all, gated, ctx);
    expect(plan.stage.name).toBe('launcher-pod-ready');
    expect(condition(ready, 'Ready')?.status).toBe('True');
    // The kubelet's patch clears Ready's earlier reason and message (a strategic merge keeps them otherwise).
    expect(condition(ready, 'Ready')).not.toHaveProperty('reason');
    expect(condition(ready, 'Ready')).not.toHaveProperty('message');
    expect(condition(ready, 'kubevirt.io/virtual-machine-unpaused')?.status).toBe('True');
    expect(all.plan(ready, ctx)).toBeNull();
  });

  it('migration source: the VMI stage that completes the migration makes the source launcher exit Succeeded', () => {
    const ctx = renderContext();
    const vmi = input('vmim/testdata/vmi-migration-running.input.yaml');
    const { plan } = step(all, vmi, ctx);
    expect(plan.stage.name).toBe('vmi-migration-completed');
    const sourcePod = input('pod/testdata/launcher-running-gate-true.input.yaml');
    const readyPod = step(all, sourcePod, ctx).after;
    const marked = applyForeignWrites(readyPod, plan.requests);
    expect(marked.metadata?.annotations?.['launcher-pod-migration-source-exit.stage.virtsim.io']).toBe('true');
    const { plan: exit, after: done } = step(all, marked, ctx);
    expect(exit.stage.name).toBe('launcher-pod-migration-source-exit');
    expect(asObj(done).status.phase).toBe('Succeeded');
    expect(asObj(done).status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(all.plan(done, ctx)).toBeNull();
  });

  it('graceful deletion: containers terminated, then the pod is removed', () => {
    const { plan } = step(all, input('pod/testdata/launcher-terminating.input.yaml'), renderContext());
    expect(plan.stage.name).toBe('launcher-pod-delete');
    expect(plan.requests.map((r) => r.kind)).toEqual(['patch', 'delete']);
  });
});

describe('node (node set)', () => {
  it('initializes as a KubeVirt node, then beats every 60-132 s and refreshes kubelet conditions every 6th beat', () => {
    let node = input('node/testdata/node-new.input.yaml');
    let now = Date.UTC(2026, 7, 1, 12, 0, 0);
    const init = step(all, node, renderContext(now));
    expect(init.plan.stage.name).toBe('node-initialize');
    node = init.after;
    const labels = node.metadata!.labels!;
    expect(labels['kubevirt.io/schedulable']).toBe('true');
    expect(labels['host-model-cpu.node.kubevirt.io/Skylake-Client-IBRS']).toBe('true');
    expect(asObj(node).status.allocatable['devices.kubevirt.io/kvm']).toBe('1k');
    expect(condition(node, 'Ready')?.status).toBe('True');

    const stages: string[] = [];
    let writes = 0;
    for (let beat = 0; beat < 12; beat++) {
      // As the fleet does: select when the node changed, render when the delay has passed.
      const sel = all.select(node, { ...renderContext(now), random: () => 0.5 })!;
      expect(sel.delayMs).toBeGreaterThanOrEqual(60_000);
      expect(sel.delayMs).toBeLessThan(132_000);
      now += sel.delayMs;
      const requests = all.renderSteps(sel.stage, node, renderContext(now));
      stages.push(sel.stage.name);
      writes += countWrites(requests);
      node = applyOwnWrites(node, requests).obj;
      expect(node.metadata!.annotations!['kubevirt.io/heartbeat']).toBe(new Date(now).toISOString().replace('.000Z', 'Z'));
    }
    const status = 'node-heartbeat-with-status';
    expect(stages).toEqual(['node-heartbeat', 'node-heartbeat', 'node-heartbeat', 'node-heartbeat', 'node-heartbeat', status, 'node-heartbeat', 'node-heartbeat', 'node-heartbeat', 'node-heartbeat', 'node-heartbeat', status]);
    expect(writes).toBe(14);
  });

  it('NotReady chaos writes once and stops the heartbeats until the label goes', () => {
    const ctx = renderContext();
    const ready = step(all, input('node/testdata/node-new.input.yaml'), ctx).after;
    const labelled = { ...ready, metadata: { ...ready.metadata, labels: { ...ready.metadata!.labels, 'node-not-ready.stage.kwok.x-k8s.io': 'true' } } } as KubeObject;
    const { plan, after: notReady } = step(all, labelled, ctx);
    expect(plan.stage.name).toBe('node-not-ready');
    expect(condition(notReady, 'Ready')).toMatchObject({ status: 'False', reason: 'KubeletNotReady' });
    expect(all.plan(notReady, ctx)).toBeNull();
    const { ['node-not-ready.stage.kwok.x-k8s.io']: _gone, ...rest } = notReady.metadata!.labels!;
    const recovered = step(all, { ...notReady, metadata: { ...notReady.metadata, labels: rest } } as KubeObject, ctx);
    expect(recovered.plan.stage.name).toBe('node-initialize');
    expect(condition(recovered.after, 'Ready')?.status).toBe('True');
  });
});

describe('live migration (vmim set)', () => {
  it('hand-off -> target ready -> running -> completed on the target node, one VMI write each, then rests', () => {
    const ctx = renderContext();
    let vmi = input('vmim/testdata/vmi-migration-handoff.input.yaml');
    const names: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { plan, after } = step(all, vmi, ctx);
      names.push(plan.stage.name);
      expect(plan.requests.filter((r) => r.kind === 'patch')).toHaveLength(1);
      vmi = after;
    }
    expect(names).toEqual(['vmi-migration-target-ready', 'vmi-migration-running', 'vmi-migration-completed']);
    const o = asObj(vmi);
    expect(o.metadata.labels?.['kubevirt.io/nodeName']).toBe('node-0117');
    expect(o.metadata.labels).not.toHaveProperty('kubevirt.io/migrationTargetNodeName');
    expect(o.status.nodeName).toBe('node-0117');
    expect(o.status.migrationState).toMatchObject({ completed: true, targetNodeAddress: '10.0.0.117', mode: 'PreCopy', sourceNode: 'node-0042' });
    expect(o.status.interfaces[0].ipAddress).toMatch(/^10\.244\.117\.\d+$/);
    expect(o.status).not.toHaveProperty('launcherContainerImageVersion');
    expect(all.plan(vmi, ctx)).toBeNull();
  });

  it('a VMI labelled to fail its migration ends with failed=true and stays on the source node', () => {
    const ctx = renderContext();
    const { plan, after } = step(all, input('vmim/testdata/vmi-migration-running-fail.input.yaml'), ctx);
    expect(plan.stage.name).toBe('vmi-migration-failed');
    const o = asObj(after);
    expect(o.status.migrationState).toMatchObject({ failed: true, completed: true });
    expect(o.status.nodeName).toBe('node-0042');
    expect(o.metadata.labels?.['kubevirt.io/nodeName']).toBe('node-0042');
    expect(o.metadata.labels).not.toHaveProperty('kubevirt.io/migrationTargetNodeName');
    expect(all.plan(after, ctx)).toBeNull();
  });
});
