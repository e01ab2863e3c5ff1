/**
 * Kubernetes 1.26's per-controller policy, as kube-apiserver 1.26.0 creates it at start
 * (plugin/pkg/auth/authorizer/rbac/bootstrappolicy/controller_policy.go and namespace_policy.go;
 * golden files testdata/controller-roles.yaml, controller-role-bindings.yaml, namespace-roles.yaml):
 * a ClusterRole `system:controller:NAME` per controller, bound by a ClusterRoleBinding of the same
 * name to the service account kube-system/NAME. kube-controller-manager started as kubeadm starts it
 * (`--use-service-account-credentials=true`) runs each controller as that account.
 *
 * Rules are in 1.26's order, each list sorted as the golden files have it. Feature gates are at their
 * 1.26 defaults: PodDisruptionConditions (beta, on) adds the pods/status patch rules of the node,
 * pod GC and disruption controllers; DynamicResourceAllocation (alpha, off) leaves out
 * resource-claim-controller; StorageVersionAPI (alpha, off) leaves out
 * storage-version-garbage-collector; StatefulSetAutoDeletePVC (alpha, off) leaves out the
 * statefulset controller's PVC update.
 */
import type { PolicyRule } from './rbac-rules.ts';
import { rule, type DefaultRole } from './rbac-bootstrap-kube.ts';

const CORE = [''];
const APPS_EXT = ['apps', 'extensions'];
const READ = ['get', 'list', 'watch'];
const LW = ['list', 'watch'];
const ALL_WRITE = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
const core = (resources: string[], verbs: string[], names?: string[]): PolicyRule => rule(CORE, resources, verbs, names);
const EVENTS = rule(['', 'events.k8s.io'], ['events'], ['create', 'patch', 'update']);

/** Controller name (the service account in kube-system) -> the rules of `system:controller:NAME`. */
export const KUBE_CONTROLLER_ROLES: Array<{ name: string; rules: PolicyRule[] }> = [
  {
    name: 'attachdetach-controller',
    rules: [
      core(['persistentvolumeclaims', 'persistentvolumes'], LW),
      core(['nodes'], READ),
      core(['nodes/status'], ['patch', 'update']),
      core(['pods'], LW),
      EVENTS,
      rule(['storage.k8s.io'], ['volumeattachments'], ['create', 'delete', 'get', 'list', 'watch']),
      rule(['storage.k8s.io'], ['csidrivers'], READ),
      rule(['storage.k8s.io'], ['csinodes'], READ),
    ],
  },
  { name: 'clusterrole-aggregation-controller', rules: [rule(['rbac.authorization.k8s.io'], ['clusterroles'], ['escalate', 'get', 'list', 'patch', 'update', 'watch'])] },
  {
    name: 'cronjob-controller',
    rules: [
      rule(['batch'], ['cronjobs'], ['get', 'list', 'update', 'watch']),
      rule(['batch'], ['jobs'], ALL_WRITE),
      rule(['batch'], ['cronjobs/status'], ['update']),
      rule(['batch'], ['cronjobs/finalizers'], ['update']),
      core(['pods'], ['delete', 'list']),
      EVENTS,
    ],
  },
  {
    name: 'daemon-set-controller',
    rules: [
      rule(APPS_EXT, ['daemonsets'], READ),
      rule(APPS_EXT, ['daemonsets/status'], ['update']),
      rule(APPS_EXT, ['daemonsets/finalizers'], ['update']),
      core(['nodes'], LW),
      core(['pods'], ['create', 'delete', 'list', 'patch', 'watch']),
      core(['pods/binding'], ['create']),
      rule(['apps'], ['controllerrevisions'], ALL_WRITE),
      EVENTS,
    ],
  },
  {
    name: 'deployment-controller',
    rules: [
      rule(APPS_EXT, ['deployments'], ['get', 'list', 'update', 'watch']),
      rule(APPS_EXT, ['deployments/status'], ['update']),
      rule(APPS_EXT, ['deployments/finalizers'], ['update']),
      rule(APPS_EXT, ['replicasets'], ALL_WRITE),
      core(['pods'], ['get', 'list', 'update', 'watch']),
      EVENTS,
    ],
  },
  {
    name: 'disruption-controller',
    rules: [
      rule(APPS_EXT, ['deployments'], READ),
      rule(APPS_EXT, ['replicasets'], READ),
      core(['replicationcontrollers'], READ),
      rule(['policy'], ['poddisruptionbudgets'], READ),
      rule(['apps'], ['statefulsets'], READ),
      rule(['policy'], ['poddisruptionbudgets/status'], ['update']),
      rule(['*'], ['*/scale'], ['get']),
      EVENTS,
      // PodDisruptionConditions (1.26.11 and later grant update too).
      core(['pods/status'], ['patch']),
    ],
  },
  {
    name: 'endpoint-controller',
    rules: [core(['pods', 'services'], READ), core(['endpoints'], ['create', 'delete', 'get', 'list', 'update']), core(['endpoints/restricted'], ['create']), EVENTS],
  },
  {
    name: 'endpointslice-controller',
    rules: [
      core(['nodes', 'pods', 'services'], READ),
      core(['services/finalizers'], ['update']),
      rule(['discovery.k8s.io'], ['endpointslices'], ['create', 'delete', 'get', 'list', 'update']),
      EVENTS,
    ],
  },
  {
    name: 'endpointslicemirroring-controller',
    rules: [
      core(['endpoints', 'services'], READ),
      core(['services/finalizers'], ['update']),
      core(['endpoints/finalizers'], ['update']),
      rule(['discovery.k8s.io'], ['endpointslices'], ['create', 'delete', 'get', 'list', 'update']),
      EVENTS,
    ],
  },
  {
    name: 'expand-controller',
    rules: [
      core(['persistentvolumes'], ['get', 'list', 'patch', 'update', 'watch']),
      core(['persistentvolumeclaims/status'], ['patch', 'update']),
      core(['persistentvolumeclaims'], READ),
      // glusterfs (still in 1.26's policy)
      rule(['storage.k8s.io'], ['storageclasses'], READ),
      core(['endpoints', 'services'], ['get']),
      core(['secrets'], ['get']),
      EVENTS,
    ],
  },
  {
    name: 'ephemeral-volume-controller',
    rules: [core(['pods'], READ), core(['pods/finalizers'], ['update']), core(['persistentvolumeclaims'], ['create', 'get', 'list', 'watch']), EVENTS],
  },
  { name: 'generic-garbage-collector', rules: [rule(['*'], ['*'], ['delete', 'get', 'list', 'patch', 'update', 'watch']), EVENTS] },
  {
    name: 'horizontal-pod-autoscaler',
    rules: [
      rule(['autoscaling'], ['horizontalpodautoscalers'], READ),
      rule(['autoscaling'], ['horizontalpodautoscalers/status'], ['update']),
      rule(['*'], ['*/scale'], ['get', 'update']),
      core(['pods'], ['list']),
      core(['services/proxy'], ['get'], ['http:heapster:', 'https:heapster:']),
      rule(['metrics.k8s.io'], ['pods'], ['list']),
      rule(['custom.metrics.k8s.io'], ['*'], ['get', 'list']),
      rule(['external.metrics.k8s.io'], ['*'], ['get', 'list']),
      EVENTS,
    ],
  },
  {
    name: 'job-controller',
    rules: [
      rule(['batch'], ['jobs'], ['get', 'list', 'patch', 'update', 'watch']),
      rule(['batch'], ['jobs/status'], ['update']),
      rule(['batch'], ['jobs/finalizers'], ['update']),
      core(['pods'], ['create', 'delete', 'list', 'patch', 'watch']),
      EVENTS,
    ],
  },
  {
    name: 'namespace-controller',
    rules: [core(['namespaces'], ['delete', 'get', 'list', 'watch']), core(['namespaces/finalize', 'namespaces/status'], ['update']), rule(['*'], ['*'], ['delete', 'deletecollection', 'get', 'list'])],
  },
  {
    name: 'node-controller',
    rules: [
      core(['nodes'], ['delete', 'get', 'list', 'patch', 'update']),
      core(['nodes/status'], ['patch', 'update']),
      core(['pods/status'], ['update']),
      core(['pods'], ['delete', 'list']),
      rule(['networking.k8s.io'], ['clustercidrs'], ['create', 'get', 'list', 'update']),
      EVENTS,
      // PodDisruptionConditions
      core(['pods'], ['get']),
      core(['pods/status'], ['patch']),
    ],
  },
  {
    name: 'persistent-volume-binder',
    rules: [
      core(['persistentvolumes'], ['create', 'delete', 'get', 'list', 'update', 'watch']),
      core(['persistentvolumes/status'], ['update']),
      core(['persistentvolumeclaims'], ['get', 'list', 'update', 'watch']),
      core(['persistentvolumeclaims/status'], ['update']),
      core(['pods'], ['create', 'delete', 'get', 'list', 'watch']),
      // glusterfs
      rule(['storage.k8s.io'], ['storageclasses'], READ),
      core(['endpoints'], ['create', 'delete', 'get', 'update']),
      core(['services'], ['create', 'delete', 'get']),
      core(['secrets'], ['get']),
      // openstack
      core(['nodes'], ['get', 'list']),
      // the recycler watches its pod's events
      core(['events'], ['watch']),
      EVENTS,
    ],
  },
  {
    name: 'pod-garbage-collector',
    // The last rule: PodDisruptionConditions.
    rules: [core(['pods'], ['delete', 'list', 'watch']), core(['nodes'], ['get', 'list']), core(['pods/status'], ['patch'])],
  },
  {
    name: 'replicaset-controller',
    rules: [
      rule(APPS_EXT, ['replicasets'], ['get', 'list', 'update', 'watch']),
      rule(APPS_EXT, ['replicasets/status'], ['update']),
      rule(APPS_EXT, ['replicasets/finalizers'], ['update']),
      core(['pods'], ['create', 'delete', 'list', 'patch', 'watch']),
      EVENTS,
    ],
  },
  {
    name: 'replication-controller',
    rules: [
      core(['replicationcontrollers'], ['get', 'list', 'update', 'watch']),
      core(['replicationcontrollers/status'], ['update']),
      core(['replicationcontrollers/finalizers'], ['update']),
      core(['pods'], ['create', 'delete', 'list', 'patch', 'watch']),
      EVENTS,
    ],
  },
  { name: 'resourcequota-controller', rules: [rule(['*'], ['*'], LW), core(['resourcequotas/status'], ['update']), EVENTS] },
  { name: 'route-controller', rules: [core(['nodes'], LW), core(['nodes/status'], ['patch']), EVENTS] },
  { name: 'service-account-controller', rules: [core(['serviceaccounts'], ['create']), EVENTS] },
  { name: 'service-controller', rules: [core(['services'], READ), core(['services/status'], ['patch', 'update']), core(['nodes'], LW), EVENTS] },
  {
    name: 'statefulset-controller',
    rules: [
      core(['pods'], LW),
      rule(['apps'], ['statefulsets'], READ),
      rule(['apps'], ['statefulsets/status'], ['update']),
      rule(['apps'], ['statefulsets/finalizers'], ['update']),
      core(['pods'], ['create', 'delete', 'get', 'patch', 'update']),
      rule(['apps'], ['controllerrevisions'], ALL_WRITE),
      core(['persistentvolumeclaims'], ['create', 'get']),
      EVENTS,
    ],
  },
  { name: 'ttl-controller', rules: [core(['nodes'], ['list', 'patch', 'update', 'watch']), EVENTS] },
  {
    name: 'certificate-controller',
    rules: [
      rule(['certificates.k8s.io'], ['certificatesigningrequests'], ['delete', 'get', 'list', 'watch']),
      rule(['certificates.k8s.io'], ['certificatesigningrequests/approval', 'certificatesigningrequests/status'], ['update']),
      rule(['certificates.k8s.io'], ['signers'], ['approve'], ['kubernetes.io/kube-apiserver-client-kubelet']),
      rule(['certificates.k8s.io'], ['signers'], ['sign'], ['kubernetes.io/kube-apiserver-client', 'kubernetes.io/kube-apiserver-client-kubelet', 'kubernetes.io/kubelet-serving', 'kubernetes.io/legacy-unknown']),
      rule(['authorization.k8s.io'], ['subjectaccessreviews'], ['create']),
      EVENTS,
    ],
  },
  { name: 'pvc-protection-controller', rules: [core(['persistentvolumeclaims'], ['get', 'list', 'update', 'watch']), core(['pods'], READ), EVENTS] },
  { name: 'pv-protection-controller', rules: [core(['persistentvolumes'], ['get', 'list', 'update', 'watch']), EVENTS] },
  { name: 'ttl-after-finished-controller', rules: [rule(['batch'], ['jobs'], ['delete', 'get', 'list', 'watch']), EVENTS] },
  { name: 'root-ca-cert-publisher', rules: [core(['configmaps'], ['create', 'update']), EVENTS] },
];

const sa = (name: string) => ({ kind: 'ServiceAccount', name, namespace: 'kube-system' });
const controllerRole = (namespace: string, name: string, rules: PolicyRule[]): DefaultRole => ({
  namespace,
  name: `system:controller:${name}`,
  binding: `system:controller:${name}`,
  rules,
  subjects: [sa(name)],
});

/** namespace_policy.go's controller Roles: the bootstrap signer's, the token cleaner's, the (deprecated) cloud provider's. */
export const KUBE_CONTROLLER_NAMESPACE_ROLES: DefaultRole[] = [
  controllerRole('kube-system', 'bootstrap-signer', [core(['secrets'], READ)]),
  controllerRole('kube-system', 'cloud-provider', [core(['configmaps'], ['create', 'get', 'list', 'watch'])]),
  controllerRole('kube-system', 'token-cleaner', [core(['secrets'], ['delete', 'get', 'list', 'watch']), EVENTS]),
  controllerRole('kube-public', 'bootstrap-signer', [core(['configmaps'], READ), core(['configmaps'], ['update'], ['cluster-info']), EVENTS]),
];
