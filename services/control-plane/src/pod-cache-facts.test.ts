import { describe, expect, it } from 'vitest';
import type { KubeObject } from '@virtsim/kube';
import { podCacheFacts } from './pod-cache-facts.ts';
import { ownerVmiUid } from './pod-index.ts';
import { podFacts as schedulingFacts } from './scheduler/filters.ts';
import { podRequests } from './scheduler/pod-requests.ts';
import { renderLauncherPod } from './virt-controller/launcher-pod.ts';
import { isPodDownOrGoingDown, isPodReady, podCondition, qosClassOf } from './virt-controller/pod-status.ts';

const vmi: KubeObject = {
  metadata: { name: 'vm-1', namespace: 'ns', uid: 'uid-1', labels: { 'kubevirt.io/vm': 'vm-1' } },
  spec: {
    domain: { cpu: { cores: 2 }, memory: { guest: '1Gi' }, resources: { requests: { memory: '1Gi', cpu: '500m' } }, devices: { interfaces: [{ name: 'default', masquerade: {} }] } },
    networks: [{ name: 'default', pod: {} }],
    nodeSelector: { type: 'kwok' },
    tolerations: [{ key: 'kwok.x-k8s.io/node', operator: 'Exists', effect: 'NoSchedule' }],
    volumes: [
      { name: 'containerdisk', containerDisk: { image: 'quay.io/kubevirt/fedora-with-test-tooling-container-disk:v1.9.0' } },
      { name: 'cloudinitdisk', cloudInitNoCloud: { userData: '#cloud-config\npassword: fedora' } },
    ],
  },
};

/** A launcher pod as the API server holds it once a kubelet has run it. */
function runningLauncherPod(): KubeObject {
  const pod = renderLauncherPod(vmi, 'quay.io/kubevirt/virt-launcher:v1.9.0');
  pod.metadata = { ...pod.metadata, name: 'virt-launcher-vm-1-abcde', uid: 'pod-uid', resourceVersion: '42', creationTimestamp: '2026-01-01T00:00:00Z' };
  pod.spec.nodeName = 'node-7';
  const running = (name: string, image: string) => ({ name, image, imageID: `${image}@sha256:${'0'.repeat(64)}`, containerID: `containerd://${'1'.repeat(64)}`, ready: true, restartCount: 0, started: true, state: { running: { startedAt: '2026-01-01T00:00:02Z' } } });
  pod.status = {
    phase: 'Running',
    podIP: '10.0.0.9',
    conditions: [
      { type: 'PodScheduled', status: 'True' },
      { type: 'Ready', status: 'True' },
    ],
    containerStatuses: (pod.spec.containers as Array<{ name: string; image: string }>).map((c) => running(c.name, c.image)),
    initContainerStatuses: (pod.spec.initContainers as Array<{ name: string; image: string }>).map((c) => ({ ...running(c.name, c.image), state: { terminated: { exitCode: 0, reason: 'Completed' } } })),
  };
  return pod;
}

describe('podCacheFacts', () => {
  it('lets every stand-in decide as it would from the whole pod', () => {
    const pod = runningLauncherPod();
    const facts = podCacheFacts(pod);
    expect(schedulingFacts(facts)).toEqual(schedulingFacts(pod));
    expect(podRequests(facts)).toEqual(podRequests(pod));
    expect(podRequests(facts).get('memory')).toBeGreaterThan(1024 ** 3);
    expect(qosClassOf({ ...facts, status: { ...facts.status, qosClass: undefined } })).toBe(qosClassOf({ ...pod, status: { ...pod.status, qosClass: undefined } }));
    expect(isPodReady(facts)).toBe(true);
    expect(isPodDownOrGoingDown(facts)).toBe(false);
    expect(podCondition(facts, 'PodScheduled')).toEqual(podCondition(pod, 'PodScheduled'));
    expect(ownerVmiUid(facts)).toBe('uid-1');
    expect(facts.metadata).toEqual(pod.metadata);
    expect(facts.spec?.nodeName).toBe('node-7');
    expect((facts.spec?.containers as Array<{ name: string; image: string }>).find((c) => c.name === 'compute')?.image).toBe('quay.io/kubevirt/virt-launcher:v1.9.0');
  });

  it('sees a compute container that terminated', () => {
    const pod = runningLauncherPod();
    (pod.status!.containerStatuses as Array<{ name: string; state: unknown }>).find((c) => c.name === 'compute')!.state = { terminated: { exitCode: 1 } };
    expect(isPodDownOrGoingDown(podCacheFacts(pod))).toBe(isPodDownOrGoingDown(pod));
    expect(isPodReady(podCacheFacts(pod))).toBe(isPodReady(pod));
  });

  it('drops what only a kubelet reads', () => {
    const pod = runningLauncherPod();
    const facts = podCacheFacts(pod);
    expect(pod.spec).toHaveProperty('volumes');
    expect(facts.spec).not.toHaveProperty('volumes');
    expect(pod.spec.containers[0]).toHaveProperty('volumeMounts');
    expect(facts.spec?.containers[0]).not.toHaveProperty('volumeMounts');
    expect(pod.status!.containerStatuses[0]).toHaveProperty('imageID');
    expect(facts.status?.containerStatuses[0]).not.toHaveProperty('imageID');
  });

  it('leaves a pod with no spec or status as it is', () => {
    const bare: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' } };
    expect(podCacheFacts(bare)).toEqual(bare);
  });
});
