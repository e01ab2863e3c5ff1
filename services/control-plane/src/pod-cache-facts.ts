import type { KubeObject } from '@virtsim/kube';

type Container = Record<string, unknown>;
type ContainerStatus = { name?: unknown; ready?: unknown; state?: unknown; restartCount?: unknown };

/** A container as the stand-ins read it: the scheduler's requests (sidecars by restartPolicy), virt-controller's image. */
function containerFacts(c: Container): Container {
  return { name: c.name, image: c.image, resources: c.resources, restartPolicy: c.restartPolicy };
}

function statusFacts(s: ContainerStatus): ContainerStatus {
  return { name: s.name, ready: s.ready, state: s.state, restartCount: s.restartCount };
}

const containers = (v: unknown): Container[] | undefined => (Array.isArray(v) ? (v as Container[]).map(containerFacts) : undefined);
const statuses = (v: unknown): ContainerStatus[] | undefined => (Array.isArray(v) ? (v as ContainerStatus[]).map(statusFacts) : undefined);

/**
 * What the stand-ins keep of a Pod in their cache. A launcher pod is ~7 KB of JSON, most of it
 * what a kubelet reads and no controller here does: the volumes, each container's env, mounts,
 * command and probes, and the image IDs of its container statuses. Kept: all metadata, every spec
 * field the scheduler filters on (selectors, affinity, tolerations, requests, overhead, nodeName),
 * the containers' names and images, and the status fields readiness is computed from. Watch
 * listeners still get the whole object.
 */
export function podCacheFacts(pod: KubeObject): KubeObject {
  const { volumes: _volumes, containers: cs, initContainers: ics, ...spec } = (pod.spec ?? {}) as Record<string, unknown>;
  const { containerStatuses: css, initContainerStatuses: icss, ...status } = (pod.status ?? {}) as Record<string, unknown>;
  const out: KubeObject = { apiVersion: pod.apiVersion, kind: pod.kind, metadata: pod.metadata };
  if (pod.spec) out.spec = { ...spec, ...(cs !== undefined ? { containers: containers(cs) } : {}), ...(ics !== undefined ? { initContainers: containers(ics) } : {}) };
  if (pod.status) out.status = { ...status, ...(css !== undefined ? { containerStatuses: statuses(css) } : {}), ...(icss !== undefined ? { initContainerStatuses: statuses(icss) } : {}) };
  return out;
}
