/**
 * Kubernetes' own default roles that real components and users rely on, as kube-apiserver 1.26
 * creates them (plugin/pkg/auth/authorizer/rbac/bootstrappolicy): the identities of
 * kube-scheduler and kube-controller-manager, `system:auth-delegator` (which an aggregated API
 * server such as KubeVirt's virt-api is bound to), `extension-apiserver-authentication-reader`,
 * monitoring and issuer discovery, and the user-facing admin/edit/view aggregated roles (KubeVirt
 * aggregates its kubevirt.io:admin/edit/view into them). Kube's per-controller roles
 * (`system:controller:*`) are in rbac-bootstrap-controllers.ts.
 */
import type { PolicyRule } from './rbac-rules.ts';

type Obj = Record<string, any>;

export const rule = (apiGroups: string[], resources: string[], verbs: string[], resourceNames?: string[]): PolicyRule =>
  resourceNames ? { apiGroups, resources, verbs, resourceNames } : { apiGroups, resources, verbs };
const urls = (nonResourceURLs: string[], verbs: string[]): PolicyRule => ({ nonResourceURLs, verbs });

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];
const EVENTS_WRITE = rule(['', 'events.k8s.io'], ['events'], ['create', 'patch', 'update']);
const REVIEWS = [rule(['authentication.k8s.io'], ['tokenreviews'], ['create']), rule(['authorization.k8s.io'], ['subjectaccessreviews'], ['create'])];

/** The lease a component's leader election takes, by name. */
const leaderLease = (name: string) => [rule(['coordination.k8s.io'], ['leases'], ['create']), rule(['coordination.k8s.io'], ['leases'], ['get', 'update'], [name])];

export interface DefaultClusterRole {
  name: string;
  rules: PolicyRule[];
  /** Extra labels (aggregate-to-*), besides the bootstrapping label every default role has. */
  labels?: Record<string, string>;
  aggregateFrom?: string;
}

const AGG = 'rbac.authorization.k8s.io/aggregate-to-';

export const KUBE_CLUSTER_ROLES: DefaultClusterRole[] = [
  { name: 'system:auth-delegator', rules: REVIEWS },
  {
    name: 'system:kube-scheduler',
    rules: [
      EVENTS_WRITE,
      ...leaderLease('kube-scheduler'),
      rule([''], ['nodes'], READ),
      rule([''], ['pods'], ['delete', ...READ]),
      rule([''], ['bindings', 'pods/binding'], ['create']),
      rule([''], ['pods/status'], ['patch', 'update']),
      rule([''], ['replicationcontrollers', 'services'], READ),
      rule(['apps', 'extensions'], ['replicasets'], READ),
      rule(['apps'], ['statefulsets'], READ),
      rule(['policy'], ['poddisruptionbudgets'], READ),
      rule([''], ['persistentvolumeclaims', 'persistentvolumes'], READ),
      ...REVIEWS,
      rule(['storage.k8s.io'], ['csinodes'], READ),
      rule([''], ['namespaces'], READ),
      rule(['storage.k8s.io'], ['csidrivers'], READ),
      rule(['storage.k8s.io'], ['csistoragecapacities'], READ),
    ],
  },
  {
    name: 'system:volume-scheduler',
    rules: [rule([''], ['persistentvolumes'], [...READ, 'patch', 'update']), rule(['storage.k8s.io'], ['storageclasses'], READ), rule([''], ['persistentvolumeclaims'], [...READ, 'patch', 'update'])],
  },
  {
    name: 'system:kube-controller-manager',
    rules: [
      EVENTS_WRITE,
      ...leaderLease('kube-controller-manager'),
      rule([''], ['secrets', 'serviceaccounts'], ['create']),
      rule([''], ['secrets'], ['delete']),
      rule([''], ['configmaps', 'namespaces', 'secrets', 'serviceaccounts'], ['get']),
      rule([''], ['secrets', 'serviceaccounts'], ['update']),
      ...REVIEWS,
      rule(['*'], ['*'], ['list', 'watch']),
      rule([''], ['serviceaccounts/token'], ['create']),
    ],
  },
  { name: 'system:monitoring', rules: [urls(['/healthz', '/healthz/*', '/livez', '/livez/*', '/metrics', '/metrics/slis', '/readyz', '/readyz/*'], ['get'])] },
  { name: 'system:service-account-issuer-discovery', rules: [urls(['/.well-known/openid-configuration', '/openid/v1/jwks'], ['get'])] },
  { name: 'admin', rules: [], aggregateFrom: 'admin' },
  { name: 'edit', rules: [], aggregateFrom: 'edit', labels: { [AGG + 'admin']: 'true' } },
  { name: 'view', rules: [], aggregateFrom: 'view', labels: { [AGG + 'edit']: 'true' } },
  {
    name: 'system:aggregate-to-admin',
    labels: { [AGG + 'admin']: 'true' },
    rules: [rule(['authorization.k8s.io'], ['localsubjectaccessreviews'], ['create']), rule(['rbac.authorization.k8s.io'], ['rolebindings', 'roles'], [...WRITE, ...READ])],
  },
  {
    name: 'system:aggregate-to-edit',
    labels: { [AGG + 'edit']: 'true' },
    rules: [
      rule([''], ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy'], READ),
      rule([''], ['serviceaccounts'], ['impersonate']),
      rule([''], ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy'], WRITE),
      rule([''], ['pods/eviction'], ['create']),
      rule([''], ['configmaps', 'events', 'persistentvolumeclaims', 'replicationcontrollers', 'replicationcontrollers/scale', 'secrets', 'serviceaccounts', 'services', 'services/proxy'], WRITE),
      rule([''], ['serviceaccounts/token'], ['create']),
      rule(['apps'], ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'replicasets', 'replicasets/scale', 'statefulsets', 'statefulsets/scale'], WRITE),
      rule(['autoscaling'], ['horizontalpodautoscalers'], WRITE),
      rule(['batch'], ['cronjobs', 'jobs'], WRITE),
      rule(['extensions'], ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'ingresses', 'networkpolicies', 'replicasets', 'replicasets/scale', 'replicationcontrollers/scale'], WRITE),
      rule(['policy'], ['poddisruptionbudgets'], WRITE),
      rule(['networking.k8s.io'], ['ingresses', 'networkpolicies'], WRITE),
      rule(['coordination.k8s.io'], ['leases'], [...WRITE, ...READ]),
    ],
  },
  {
    name: 'system:aggregate-to-view',
    labels: { [AGG + 'view']: 'true' },
    rules: [
      rule([''], ['configmaps', 'endpoints', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'pods', 'replicationcontrollers', 'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/status'], READ),
      rule([''], ['bindings', 'events', 'limitranges', 'namespaces/status', 'pods/log', 'pods/status', 'replicationcontrollers/status', 'resourcequotas', 'resourcequotas/status'], READ),
      rule([''], ['namespaces'], READ),
      rule(['discovery.k8s.io'], ['endpointslices'], READ),
      rule(['apps'], ['controllerrevisions', 'daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'replicasets', 'replicasets/scale', 'replicasets/status', 'statefulsets', 'statefulsets/scale', 'statefulsets/status'], READ),
      rule(['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status'], READ),
      rule(['batch'], ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status'], READ),
      rule(['extensions'], ['daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'ingresses', 'ingresses/status', 'networkpolicies', 'replicasets', 'replicasets/scale', 'replicasets/status', 'replicationcontrollers/scale'], READ),
      rule(['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status'], READ),
      rule(['networking.k8s.io'], ['ingresses', 'ingresses/status', 'networkpolicies'], READ),
    ],
  },
];

const user = (name: string): Obj => ({ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name });
const group = (name: string): Obj => ({ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name });

/** ClusterRoleBinding name (the role's name) -> subjects. */
export const KUBE_CLUSTER_ROLE_BINDINGS: Array<{ role: string; subjects: Obj[] }> = [
  { role: 'system:kube-scheduler', subjects: [user('system:kube-scheduler')] },
  { role: 'system:volume-scheduler', subjects: [user('system:kube-scheduler')] },
  { role: 'system:kube-controller-manager', subjects: [user('system:kube-controller-manager')] },
  { role: 'system:monitoring', subjects: [group('system:monitoring')] },
  { role: 'system:service-account-issuer-discovery', subjects: [group('system:serviceaccounts')] },
];

export interface DefaultRole {
  namespace: string;
  name: string;
  rules: PolicyRule[];
  /** The RoleBinding that grants it, and to whom. */
  binding: string;
  subjects: Obj[];
}

/** kube-system Roles: reading the authentication ConfigMap, and the components' leader-election locks. */
export const KUBE_ROLES: DefaultRole[] = [
  {
    namespace: 'kube-system',
    name: 'extension-apiserver-authentication-reader',
    binding: 'system::extension-apiserver-authentication-reader',
    rules: [rule([''], ['configmaps'], READ, ['extension-apiserver-authentication'])],
    subjects: [user('system:kube-controller-manager'), user('system:kube-scheduler')],
  },
  {
    namespace: 'kube-system',
    name: 'system::leader-locking-kube-scheduler',
    binding: 'system::leader-locking-kube-scheduler',
    rules: [rule([''], ['configmaps'], ['watch']), rule([''], ['configmaps'], ['get', 'update'], ['kube-scheduler'])],
    subjects: [user('system:kube-scheduler'), { kind: 'ServiceAccount', name: 'kube-scheduler', namespace: 'kube-system' }],
  },
  {
    namespace: 'kube-system',
    name: 'system::leader-locking-kube-controller-manager',
    binding: 'system::leader-locking-kube-controller-manager',
    rules: [rule([''], ['configmaps'], ['watch']), rule([''], ['configmaps'], ['get', 'update'], ['kube-controller-manager'])],
    subjects: [user('system:kube-controller-manager'), { kind: 'ServiceAccount', name: 'kube-controller-manager', namespace: 'kube-system' }],
  },
];
