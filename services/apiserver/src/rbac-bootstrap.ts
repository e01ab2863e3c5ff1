/**
 * The default policy, created at start when missing (as kube-apiserver's bootstrap policy):
 * cluster-admin bound to `system:masters`, what every authenticated user may ask (discovery, its
 * own access reviews), Kubernetes' own component and user-facing roles (rbac-bootstrap-kube.ts),
 * kube-controller-manager's per-controller roles (rbac-bootstrap-controllers.ts), and what the
 * fleet's identities need today: KubeVirt's service accounts, which the agents and control-plane
 * stand-ins impersonate, get the rights a KubeVirt install grants them
 * (pkg/virt-operator/resource/generate/rbac), trimmed to the kinds served here.
 * Delete a `virtsim:kubevirt-*` binding to test KubeVirt's own RBAC in its place.
 */
import type { ObjectService } from './objects.ts';
import { SYSTEM_USER } from './objects.ts';
import { KUBE_CLUSTER_ROLE_BINDINGS, KUBE_CLUSTER_ROLES, KUBE_ROLES } from './rbac-bootstrap-kube.ts';
import { KUBE_CONTROLLER_NAMESPACE_ROLES, KUBE_CONTROLLER_ROLES } from './rbac-bootstrap-controllers.ts';
import { RBAC_GROUP, STORE_KEYS } from './rbac-index.ts';
import type { PolicyRule } from './rbac-rules.ts';
import type { ResourceRegistry } from './resources.ts';

const ALL = ['*'];
const READ = ['get', 'list', 'watch'];
const KUBEVIRT_NS = 'kubevirt';
const BOOTSTRAP_LABELS = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };
const AUTOUPDATE = { 'rbac.authorization.kubernetes.io/autoupdate': 'true' };

const KUBEVIRT_GROUPS = ['kubevirt.io', 'snapshot.kubevirt.io', 'export.kubevirt.io', 'pool.kubevirt.io', 'migrations.kubevirt.io', 'clone.kubevirt.io', 'instancetype.kubevirt.io'];

/** Service account name -> its rules. */
export const KUBEVIRT_RULES: Record<string, PolicyRule[]> = {
  'kubevirt-controller': [
    { apiGroups: KUBEVIRT_GROUPS, resources: ALL, verbs: ALL },
    { apiGroups: [''], resources: ['pods', 'pods/status', 'pods/binding', 'configmaps', 'secrets', 'serviceaccounts', 'events'], verbs: ALL },
    { apiGroups: [''], resources: ['nodes', 'namespaces'], verbs: ['get', 'list', 'watch', 'patch', 'update'] },
    { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ALL },
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ALL },
    { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: READ },
  ],
  'kubevirt-handler': [
    { apiGroups: ['kubevirt.io'], resources: ['virtualmachineinstances'], verbs: ['update', 'list', 'watch'] },
    { apiGroups: ['kubevirt.io'], resources: ['virtualmachineinstancemigrations', 'kubevirts'], verbs: READ },
    { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'patch', 'list', 'watch'] },
    { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
    { apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: READ },
    { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: READ },
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ALL },
  ],
  'kubevirt-apiserver': [
    { apiGroups: ['kubevirt.io', 'subresources.kubevirt.io'], resources: ALL, verbs: ALL },
    { apiGroups: [''], resources: ['pods', 'configmaps', 'secrets', 'nodes', 'namespaces', 'events'], verbs: READ },
    { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: READ },
  ],
  'kubevirt-synchronization-controller': [
    { apiGroups: ['kubevirt.io'], resources: ['virtualmachineinstances', 'virtualmachineinstancemigrations'], verbs: ['get', 'list', 'watch', 'update', 'patch'] },
  ],
};

type Obj = Record<string, any>;

const meta = (name: string, labels: Record<string, string> = {}) => ({ name, labels: { ...BOOTSTRAP_LABELS, ...labels }, annotations: AUTOUPDATE });
const clusterRole = (name: string, rules: PolicyRule[], labels?: Record<string, string>): Obj => ({ metadata: meta(name, labels), rules });
const clusterRoleBinding = (name: string, role: string, subjects: Obj[]): Obj => ({
  metadata: meta(name),
  roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: role },
  subjects,
});
const group = (name: string) => ({ kind: 'Group', apiGroup: RBAC_GROUP, name });

export function bootstrapPolicy(): { clusterRoles: Obj[]; clusterRoleBindings: Obj[]; roles: Obj[]; roleBindings: Obj[] } {
  const clusterRoles = [
    clusterRole('cluster-admin', [{ apiGroups: ALL, resources: ALL, verbs: ALL }, { nonResourceURLs: ALL, verbs: ALL }]),
    clusterRole('system:discovery', [{ nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/readyz', '/version', '/version/', '/openapi', '/openapi/*'], verbs: ['get'] }]),
    clusterRole('system:basic-user', [{ apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'], verbs: ['create'] }]),
    clusterRole('system:public-info-viewer', [{ nonResourceURLs: ['/healthz', '/livez', '/readyz', '/version', '/version/'], verbs: ['get'] }]),
  ];
  const clusterRoleBindings = [
    clusterRoleBinding('cluster-admin', 'cluster-admin', [group('system:masters')]),
    clusterRoleBinding('system:discovery', 'system:discovery', [group('system:authenticated')]),
    clusterRoleBinding('system:basic-user', 'system:basic-user', [group('system:authenticated')]),
    clusterRoleBinding('system:public-info-viewer', 'system:public-info-viewer', [group('system:authenticated'), group('system:unauthenticated')]),
  ];
  for (const r of KUBE_CLUSTER_ROLES) {
    const role = clusterRole(r.name, r.rules, r.labels);
    if (r.aggregateFrom) role.aggregationRule = { clusterRoleSelectors: [{ matchLabels: { [`rbac.authorization.k8s.io/aggregate-to-${r.aggregateFrom}`]: 'true' } }] };
    clusterRoles.push(role);
  }
  for (const b of KUBE_CLUSTER_ROLE_BINDINGS) clusterRoleBindings.push(clusterRoleBinding(b.role, b.role, b.subjects));
  for (const c of KUBE_CONTROLLER_ROLES) {
    const name = `system:controller:${c.name}`;
    clusterRoles.push(clusterRole(name, c.rules));
    clusterRoleBindings.push(clusterRoleBinding(name, name, [{ kind: 'ServiceAccount', name: c.name, namespace: 'kube-system' }]));
  }
  for (const [sa, rules] of Object.entries(KUBEVIRT_RULES)) {
    clusterRoles.push(clusterRole(`virtsim:${sa}`, rules));
    clusterRoleBindings.push(clusterRoleBinding(`virtsim:${sa}`, `virtsim:${sa}`, [{ kind: 'ServiceAccount', name: sa, namespace: KUBEVIRT_NS }]));
  }
  const namespaced = [...KUBE_ROLES, ...KUBE_CONTROLLER_NAMESPACE_ROLES];
  const roles = namespaced.map((r) => ({ metadata: { ...meta(r.name), namespace: r.namespace }, rules: r.rules }));
  const roleBindings = namespaced.map((r) => ({
    metadata: { ...meta(r.binding), namespace: r.namespace },
    roleRef: { apiGroup: RBAC_GROUP, kind: 'Role', name: r.name },
    subjects: r.subjects,
  }));
  return { clusterRoles, clusterRoleBindings, roles, roleBindings };
}

/** Creates every default role and binding the store lacks; leaves existing ones as they are. */
export function ensureBootstrapPolicy(objects: ObjectService, registry: ResourceRegistry): number {
  const policy = bootstrapPolicy();
  const rtOf = (resource: string) => registry.get(RBAC_GROUP, 'v1', resource)!;
  const kinds = [
    [rtOf('clusterroles'), STORE_KEYS.clusterRoles, policy.clusterRoles],
    [rtOf('clusterrolebindings'), STORE_KEYS.clusterRoleBindings, policy.clusterRoleBindings],
    [rtOf('roles'), STORE_KEYS.roles, policy.roles],
    [rtOf('rolebindings'), STORE_KEYS.roleBindings, policy.roleBindings],
  ] as const;
  let created = 0;
  for (const [rt, key, list] of kinds) {
    for (const o of list) {
      const ns: string = o.metadata.namespace ?? '';
      if (objects.store.get(key, ns, o.metadata.name)) continue;
      objects.create(rt, ns, o, SYSTEM_USER);
      created++;
    }
  }
  return created;
}
