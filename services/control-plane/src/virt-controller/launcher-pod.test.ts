import { describe, expect, it } from 'vitest';
import { renderLauncherPod } from './launcher-pod.ts';

const vmi = {
  metadata: { name: 'vm-cirros', namespace: 'default', uid: 'uid-1', labels: { 'kubevirt.io/vm': 'vm-cirros', 'kubevirt.io/nodeName': 'n1' }, annotations: { 'kubevirt.io/vm-generation': '1', 'kubevirt.io/latest-observed-api-version': 'v1' } },
  spec: {
    domain: { cpu: { model: 'host-model', sockets: 1, cores: 1, threads: 1 }, memory: { guest: '128Mi' }, resources: { requests: { memory: '128Mi' } }, devices: { interfaces: [{ name: 'default', masquerade: {} }] } },
    networks: [{ name: 'default', pod: {} }],
    terminationGracePeriodSeconds: 0,
    nodeSelector: { type: 'kwok' },
    volumes: [{ name: 'containerdisk', containerDisk: { image: 'quay.io/kubevirt/cirros-container-disk-demo:v1.9.0' } }],
  },
};

describe('virt-launcher pod rendering', () => {
  it('names, labels, annotates and owns the pod as virt-controller does', () => {
    const pod = renderLauncherPod(vmi, 'quay.io/kubevirt/virt-launcher:v1.9.0');
    expect(pod.metadata.generateName).toBe('virt-launcher-vm-cirros-');
    expect(pod.metadata.labels).toMatchObject({ 'kubevirt.io': 'virt-launcher', 'kubevirt.io/created-by': 'uid-1', 'vm.kubevirt.io/name': 'vm-cirros', 'vmi.kubevirt.io/id': 'vm-cirros', 'kubevirt.io/vm': 'vm-cirros' });
    expect(pod.metadata.labels).not.toHaveProperty('kubevirt.io/nodeName');
    expect(pod.metadata.annotations).toMatchObject({ 'kubevirt.io/domain': 'vm-cirros', 'kubectl.kubernetes.io/default-container': 'compute', 'kubevirt.io/vm-generation': '1' });
    expect(pod.metadata.annotations).not.toHaveProperty('kubevirt.io/latest-observed-api-version');
    expect(pod.metadata.ownerReferences).toEqual([{ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', name: 'vm-cirros', uid: 'uid-1', controller: true, blockOwnerDeletion: true }]);
  });

  it('asks the scheduler for a schedulable KubeVirt node with the devices, the grace period padded', () => {
    const pod = renderLauncherPod(vmi, 'img');
    expect(pod.spec.nodeSelector).toEqual({ type: 'kwok', 'kubevirt.io/schedulable': 'true', 'kubernetes.io/arch': 'amd64', 'machine-type.node.kubevirt.io/q35': 'true' });
    expect(pod.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
      { matchExpressions: [{ key: 'node-labeller.kubevirt.io/obsolete-host-model', operator: 'DoesNotExist' }] },
    ]);
    expect(pod.spec.readinessGates).toEqual([{ conditionType: 'kubevirt.io/virtual-machine-unpaused' }]);
    expect(pod.spec.terminationGracePeriodSeconds).toBe(30);
    const compute = pod.spec.containers[0];
    expect(compute.name).toBe('compute');
    expect(compute.resources.limits).toEqual({ 'devices.kubevirt.io/kvm': '1', 'devices.kubevirt.io/tun': '1', 'devices.kubevirt.io/vhost-net': '1' });
    // 128Mi guest + the overhead the annotation reports.
    expect(Number(compute.resources.requests.memory)).toBe(128 * 2 ** 20 + Number(pod.metadata.annotations!['kubevirt.io/memory-overhead-bytes']));
    expect(compute.resources.requests.cpu).toBe('100m');
  });

  it('renders a migration target pod away from the source (anti-affinity on the VMI uid)', () => {
    const pod = renderLauncherPod(vmi, 'img', { uid: 'm-1', name: 'mig', nodeSelector: { 'cpu-model-migration.node.kubevirt.io/Skylake': 'true' } });
    expect(pod.metadata.labels!['kubevirt.io/migrationJobUID']).toBe('m-1');
    expect(pod.metadata.annotations!['kubevirt.io/migrationJobName']).toBe('mig');
    expect(pod.spec.nodeSelector['cpu-model-migration.node.kubevirt.io/Skylake']).toBe('true');
    expect(pod.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toEqual([
      { labelSelector: { matchLabels: { 'kubevirt.io/created-by': 'uid-1' } }, topologyKey: 'kubernetes.io/hostname' },
    ]);
  });
});
