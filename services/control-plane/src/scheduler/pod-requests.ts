import type { KubeObject } from '@virtsim/kube';
import { parseQuantity } from '../quantity.ts';

type Resources = { requests?: Record<string, string>; limits?: Record<string, string> };
type Container = { name?: string; resources?: Resources; restartPolicy?: string };

function containerRequests(c: Container, pod: KubeObject): Map<string, number> {
  const out = new Map<string, number>();
  // The API server defaults requests to limits where only limits are given.
  const merged = { ...(c.resources?.limits ?? {}), ...(c.resources?.requests ?? {}) };
  for (const [k, v] of Object.entries(merged)) {
    try {
      out.set(k, parseQuantity(v));
    } catch (err) {
      throw new Error(`pod ${pod.metadata.namespace}/${pod.metadata.name}: container ${c.name}: resources ${k}: ${(err as Error).message}`);
    }
  }
  return out;
}

/**
 * The pod's effective requests as kube-scheduler computes them (resource.PodRequests): the sum
 * over app containers and restartable (sidecar) init containers, at least the largest other init
 * container, plus spec.overhead; `pods` is always 1.
 */
export function podRequests(pod: KubeObject): Map<string, number> {
  const sum = new Map<string, number>();
  const add = (m: Map<string, number>, into: Map<string, number>) => {
    for (const [k, v] of m) into.set(k, (into.get(k) ?? 0) + v);
  };
  for (const c of (pod.spec?.containers ?? []) as Container[]) add(containerRequests(c, pod), sum);
  let sidecars = new Map<string, number>();
  for (const c of (pod.spec?.initContainers ?? []) as Container[]) {
    const r = containerRequests(c, pod);
    if (c.restartPolicy === 'Always') {
      add(r, sum);
      sidecars = new Map(sidecars);
      add(r, sidecars);
      continue;
    }
    // A regular init container runs beside the sidecars started before it.
    const withSidecars = new Map(sidecars);
    add(r, withSidecars);
    for (const [k, v] of withSidecars) if (v > (sum.get(k) ?? 0)) sum.set(k, v);
  }
  for (const [k, v] of Object.entries((pod.spec?.overhead ?? {}) as Record<string, string>)) sum.set(k, (sum.get(k) ?? 0) + parseQuantity(v));
  sum.set('pods', 1);
  return sum;
}
