import type { KubeObject } from '@virtsim/kube';

/** VMI spec.evictionStrategy and KubeVirt's spec.configuration.evictionStrategy values. */
export type EvictionStrategy = 'None' | 'LiveMigrate' | 'LiveMigrateIfPossible' | 'External';

/**
 * The cluster-wide strategy when the KubeVirt CR names none. KubeVirt's own default is "none set"
 * (the VMI is simply evicted); virtsim's stand-in instead migrates what can migrate, so that
 * `kubectl drain` of a fake node shows the evacuation path without configuring anything, and a
 * VMI that cannot migrate is still evicted (never a drain blocked forever).
 */
export const VIRTSIM_DEFAULT_EVICTION_STRATEGY: EvictionStrategy = 'LiveMigrateIfPossible';

/** What the admitter answers: let the eviction through, refuse it (429), or mark the VMI and refuse. */
export type EvictionDecision =
  | { action: 'allow' }
  | { action: 'deny'; message: string }
  | { action: 'mark'; nodeName: string; message: string };

const FINAL_POD = new Set(['Succeeded', 'Failed']);

/** vmi.IsMigratable(): the LiveMigratable condition is True. */
export function isMigratable(vmi: KubeObject): boolean {
  return (vmi.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'LiveMigratable' && c.status === 'True');
}

/** migrations.VMIEvictionStrategy: the VMI's own strategy, else the cluster's. */
export function vmiEvictionStrategy(vmi: KubeObject, cluster: EvictionStrategy | undefined): EvictionStrategy | undefined {
  return (vmi.spec?.evictionStrategy as EvictionStrategy | undefined) ?? cluster;
}

/** The pod is one KubeVirt's admitter looks at: a live virt-launcher pod naming its VMI. */
export function launcherVmiName(pod: KubeObject | undefined): string | undefined {
  if (!pod || pod.metadata.labels?.['kubevirt.io'] !== 'virt-launcher') return undefined;
  if (FINAL_POD.has(pod.status?.phase)) return undefined;
  return pod.metadata.annotations?.['kubevirt.io/domain'];
}

/**
 * KubeVirt's PodEvictionAdmitter (pkg/virt-api/webhooks/validating-webhook/admitters/
 * pod-eviction-admitter.go) once the pod and its VMI are read: an evacuation already under way is
 * refused again; LiveMigrate refuses a VMI that cannot migrate; LiveMigrate, a migratable
 * LiveMigrateIfPossible and External mark the VMI with the pod's node and refuse the eviction
 * (429), so virt-controller migrates the VMI away and the drain retries until the pod is done.
 */
export function decideEviction(pod: KubeObject, vmi: KubeObject, cluster: EvictionStrategy | undefined): EvictionDecision {
  const strategy = vmiEvictionStrategy(vmi, cluster);
  if (!strategy) return { action: 'allow' };
  const id = `"${vmi.metadata.namespace}/${vmi.metadata.name}"`;
  const node: string = pod.spec?.nodeName ?? '';
  let mark = false;
  switch (strategy) {
    case 'LiveMigrate':
      if (!isMigratable(vmi)) return { action: 'deny', message: `VMI ${vmi.metadata.name} is configured with an eviction strategy but is not live-migratable` };
      mark = true;
      break;
    case 'LiveMigrateIfPossible':
      mark = isMigratable(vmi);
      break;
    case 'External':
      mark = true;
      break;
    default:
      return { action: 'allow' };
  }
  // Not the VMI's current pod (a migration source already handed off, or a target): evicting it
  // does not take the VMI down, as the old admitter's `vmi.Status.NodeName == pod.Spec.NodeName`.
  if (!mark || vmi.status?.nodeName !== node) return { action: 'allow' };
  if (vmi.status?.evacuationNodeName && vmi.status.evacuationNodeName === node) return { action: 'deny', message: `Evacuation in progress: Eviction triggered evacuation of VMI ${id}` };
  return { action: 'mark', nodeName: node, message: `Eviction triggered evacuation of VMI ${id}` };
}
