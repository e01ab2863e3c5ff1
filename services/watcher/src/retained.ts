import type { KubeObject } from '@virtsim/kube';

/**
 * What the watcher's caches keep of an object: the fields routing (a migration's VMI), the
 * gauges (VMI phase, Node readiness) and the lifecycle traces read. The whole object is kept once,
 * as the JSON text snapshots are served from (Fanout); parsed, it took ~12 KB of heap per object.
 */
export function retained(obj: KubeObject): KubeObject {
  const m = obj.metadata;
  const s = obj.status;
  const conditions = s?.conditions as Array<{ type?: string }> | undefined;
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp, labels: m.labels },
    ...(s
      ? {
          status: {
            phase: s.phase,
            nodeName: s.nodeName,
            migrationState: s.migrationState,
            phaseTransitionTimestamps: s.phaseTransitionTimestamps,
            conditions: Array.isArray(conditions) ? conditions.filter((c) => c?.type === 'Ready') : conditions,
          },
        }
      : {}),
  };
}
