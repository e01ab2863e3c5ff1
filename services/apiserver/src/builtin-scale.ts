/** The built-in kinds with a scale subresource in Kubernetes 1.26, and where each keeps its replicas and selector. */
import type { ScaleSpec } from './resources.ts';

/** By store key; apps kinds keep a LabelSelector, an RC a plain label map. */
export const BUILTIN_SCALE: Record<string, ScaleSpec> = {
  'apps/deployments': { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', selector: { from: 'spec.selector' } },
  'apps/replicasets': { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', selector: { from: 'spec.selector' } },
  'apps/statefulsets': { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', selector: { from: 'spec.selector' } },
  '/replicationcontrollers': { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', selector: { from: 'spec.selector map' } },
};

