/**
 * The `default/kubernetes` Service and its Endpoints, as kube-apiserver's endpoint reconciler keeps
 * them: ClusterIP 10.96.0.1, port 443 named https, pointing at where this server listens (set
 * again at every start, since the port may change). Components that find the API through the
 * Service (and `kubectl get svc`) see what they see on a real cluster.
 */
import { SYSTEM_USER, type ObjectService } from './objects.ts';
import type { ResourceRegistry } from './resources.ts';
import { KUBERNETES_SERVICE_IP } from './service-ips.ts';

type Obj = Record<string, any>;

/** Creates the object, or sets `want`'s fields back when they differ. */
function ensure(objects: ObjectService, registry: ResourceRegistry, resource: string, want: Obj): void {
  const rt = registry.get('', 'v1', resource)!;
  const entry = objects.store.get(rt.storeKey, 'default', 'kubernetes');
  if (!entry) {
    objects.create(rt, 'default', want, SYSTEM_USER);
    return;
  }
  const cur = objects.parse(entry);
  const next = { ...cur, ...want, metadata: { ...cur.metadata, labels: want.metadata.labels }, spec: want.spec ? { ...cur.spec, ...want.spec } : cur.spec };
  if (JSON.stringify(next) === JSON.stringify(cur)) return;
  objects.update(rt, 'default', 'kubernetes', next, SYSTEM_USER, undefined, {}, { entry, obj: cur });
}

export function ensureKubernetesService(objects: ObjectService, registry: ResourceRegistry, host: string, port: number): void {
  const metadata = { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } };
  ensure(objects, registry, 'services', {
    metadata,
    spec: { type: 'ClusterIP', clusterIP: KUBERNETES_SERVICE_IP, clusterIPs: [KUBERNETES_SERVICE_IP], ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: port }], sessionAffinity: 'None' },
  });
  ensure(objects, registry, 'endpoints', {
    metadata: { name: 'kubernetes', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets: [{ addresses: [{ ip: host }], ports: [{ name: 'https', port, protocol: 'TCP' }] }],
  });
}
