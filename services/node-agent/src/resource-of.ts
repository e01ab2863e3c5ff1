import { EVENTS, LEASES, NODES, PODS, VMIMS, VMIS, VMS, type KubeObject, type ResourceRef } from '@virtsim/kube';

const known = new Map<string, ResourceRef>(
  [NODES, PODS, EVENTS, LEASES, VMIS, VMIMS, VMS].map((r) => [`${r.group ? `${r.group}/` : ''}${r.version}/${r.kind}`, r]),
);

/**
 * Where an object lives in the REST API. Kinds the fleet knows are looked up; any other kind a
 * stage set names gets Kubernetes' conventional lower-case plural.
 */
export function resourceOf(obj: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): ResourceRef {
  const apiVersion = obj.apiVersion ?? 'v1';
  const kind = obj.kind ?? '';
  const hit = known.get(`${apiVersion}/${kind}`);
  if (hit) return hit;
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion];
  const lower = kind.toLowerCase();
  const plural = lower.endsWith('s') ? `${lower}es` : lower.endsWith('y') ? `${lower.slice(0, -1)}ies` : `${lower}s`;
  return { group: group!, version: version!, kind, resource: plural, namespaced: obj.metadata.namespace !== undefined };
}
