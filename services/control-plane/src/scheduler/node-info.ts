import { createHash } from 'node:crypto';
import type { KubeObject } from '@virtsim/kube';
import { quantityOrZero } from '../quantity.ts';

export interface Taint {
  key: string;
  value?: string;
  effect: string;
}

/** What the scheduler knows about one node: its static facts and what is already placed on it. */
export interface NodeInfo {
  name: string;
  labels: Record<string, string>;
  taints: Taint[];
  unschedulable: boolean;
  ready: boolean;
  allocatable: Map<string, number>;
  requested: Map<string, number>;
  /** Keys of the pods counted on this node. */
  pods: Set<string>;
}

export const NOT_READY_TAINT: Taint = { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' };
export const UNSCHEDULABLE_TAINT: Taint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };

/** A new NodeInfo from a Node object, keeping the placements of `prev`. */
export function nodeInfoOf(node: KubeObject, prev?: NodeInfo): NodeInfo {
  const allocatable = new Map<string, number>();
  for (const [k, v] of Object.entries((node.status?.allocatable ?? node.status?.capacity ?? {}) as Record<string, string>)) allocatable.set(k, quantityOrZero(v));
  const ready = ((node.status?.conditions ?? []) as Array<{ type: string; status: string }>).some((c) => c.type === 'Ready' && c.status === 'True');
  return {
    name: node.metadata.name,
    labels: node.metadata.labels ?? {},
    taints: (node.spec?.taints ?? []) as Taint[],
    unschedulable: node.spec?.unschedulable === true,
    ready,
    allocatable,
    requested: prev?.requested ?? new Map(),
    pods: prev?.pods ?? new Set(),
  };
}

/**
 * The facts filters read, as a digest: a change of it may make an unschedulable pod schedulable.
 * A digest, not the JSON itself, because a KubeVirt node's labels make that ~2 KB, kept per node.
 */
export function schedulingSignature(n: NodeInfo): string {
  return createHash('sha1').update(JSON.stringify([n.labels, n.taints, n.unschedulable, n.ready, [...n.allocatable]])).digest('base64');
}
