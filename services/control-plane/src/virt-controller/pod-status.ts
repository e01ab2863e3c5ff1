import type { KubeObject } from '@virtsim/kube';

type ContainerStatus = { name: string; ready?: boolean; state?: { running?: unknown; terminated?: unknown } };

export const UNPAUSED_GATE = 'kubevirt.io/virtual-machine-unpaused';

export function podCondition(pod: KubeObject, type: string): Record<string, any> | undefined {
  return ((pod.status?.conditions ?? []) as Array<Record<string, any>>).find((c) => c.type === type);
}

/**
 * controller.IsPodReady: Running, the compute container running, every other container ready
 * (istio-proxy only running), not being deleted. The Ready condition is not consulted.
 */
export function isPodReady(pod: KubeObject): boolean {
  if (pod.metadata.deletionTimestamp || pod.status?.phase !== 'Running') return false;
  const statuses = (pod.status?.containerStatuses ?? []) as ContainerStatus[];
  const compute = statuses.find((c) => c.name === 'compute');
  if (!compute?.state?.running) return false;
  return statuses.every((c) => c.name === 'compute' || (c.name === 'istio-proxy' ? !!c.state?.running : c.ready === true));
}

/** controller.IsPodDownOrGoingDown: finished, being deleted, or the compute container terminated. */
export function isPodDownOrGoingDown(pod: KubeObject): boolean {
  if (pod.metadata.deletionTimestamp) return true;
  if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return true;
  const compute = ((pod.status?.containerStatuses ?? []) as ContainerStatus[]).find((c) => c.name === 'compute');
  return !!compute?.state?.terminated;
}

/** status.qosClass as the kubelet would compute it, for servers that leave it empty. */
export function qosClassOf(pod: KubeObject): string {
  if (pod.status?.qosClass) return pod.status.qosClass;
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])] as Array<{ resources?: { requests?: Record<string, string>; limits?: Record<string, string> } }>;
  let any = false;
  let guaranteed = true;
  for (const c of containers) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    for (const r of ['cpu', 'memory']) {
      if (req[r] !== undefined || lim[r] !== undefined) any = true;
      if (lim[r] === undefined || (req[r] !== undefined && req[r] !== lim[r])) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
