import type { KubeObject } from '@virtsim/kube';

/**
 * What the stand-ins read of a Node: the scheduler's NodeInfo (labels, taints, unschedulable,
 * allocatable or capacity, the Ready condition) and the migration controller's CPU-model labels.
 * The node cache keeps only these; the rest of a fake node's status (addresses, images, nodeInfo,
 * the other conditions, rewritten by every heartbeat) was most of the 10,000 cached Nodes' heap.
 */
export function nodeFacts(node: KubeObject): KubeObject {
  const s = node.status;
  const conditions = s?.conditions as Array<{ type?: string }> | undefined;
  return {
    apiVersion: node.apiVersion,
    kind: node.kind,
    metadata: { name: node.metadata.name, uid: node.metadata.uid, resourceVersion: node.metadata.resourceVersion, labels: node.metadata.labels },
    spec: { taints: node.spec?.taints, unschedulable: node.spec?.unschedulable },
    status: { allocatable: s?.allocatable, capacity: s?.capacity, conditions: Array.isArray(conditions) ? conditions.filter((c) => c?.type === 'Ready') : conditions },
  };
}
