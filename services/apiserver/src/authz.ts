/**
 * Authorization: `system:masters` may do anything; KubeVirt's service accounts get the rights a
 * KubeVirt install grants them (pkg/virt-operator/resource/generate/rbac), trimmed to the kinds
 * served here; everyone else is refused, as an RBAC-enabled cluster with no bindings would.
 */
import type { UserInfo } from './auth.ts';
import type { ResourceType } from './resources.ts';
import { forbidden } from './status.ts';

interface Rule {
  groups: string[];
  resources: string[];
  verbs: string[];
}

const ALL = ['*'];
const READ = ['get', 'list', 'watch'];

const SA = 'system:serviceaccount:kubevirt:';

export const KUBEVIRT_RULES: Record<string, Rule[]> = {
  [SA + 'kubevirt-controller']: [
    { groups: ['kubevirt.io', 'snapshot.kubevirt.io', 'export.kubevirt.io', 'pool.kubevirt.io', 'migrations.kubevirt.io', 'clone.kubevirt.io', 'instancetype.kubevirt.io'], resources: ALL, verbs: ALL },
    { groups: [''], resources: ['pods', 'pods/status', 'pods/binding', 'configmaps', 'secrets', 'serviceaccounts', 'events'], verbs: ALL },
    { groups: [''], resources: ['nodes', 'namespaces'], verbs: ['get', 'list', 'watch', 'patch', 'update'] },
    { groups: ['events.k8s.io'], resources: ['events'], verbs: ALL },
    { groups: ['coordination.k8s.io'], resources: ['leases'], verbs: ALL },
    { groups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: READ },
  ],
  [SA + 'kubevirt-handler']: [
    { groups: ['kubevirt.io'], resources: ['virtualmachineinstances'], verbs: ['update', 'list', 'watch'] },
    { groups: ['kubevirt.io'], resources: ['virtualmachineinstancemigrations', 'kubevirts'], verbs: READ },
    { groups: [''], resources: ['nodes'], verbs: ['get', 'patch', 'list', 'watch'] },
    { groups: [''], resources: ['events'], verbs: ['create', 'patch'] },
    { groups: [''], resources: ['configmaps', 'secrets'], verbs: READ },
    { groups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: READ },
    { groups: ['coordination.k8s.io'], resources: ['leases'], verbs: ALL },
  ],
  [SA + 'kubevirt-apiserver']: [
    { groups: ['kubevirt.io', 'subresources.kubevirt.io'], resources: ALL, verbs: ALL },
    { groups: [''], resources: ['pods', 'configmaps', 'secrets', 'nodes', 'namespaces', 'events'], verbs: READ },
    { groups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: READ },
  ],
  [SA + 'kubevirt-synchronization-controller']: [
    { groups: ['kubevirt.io'], resources: ['virtualmachineinstances', 'virtualmachineinstancemigrations'], verbs: ['get', 'list', 'watch', 'update', 'patch'] },
  ],
};

export class Authorizer {
  private readonly rules: Record<string, Rule[]>;

  constructor(extra: Record<string, Rule[]> = {}) {
    this.rules = { ...KUBEVIRT_RULES, ...extra };
  }

  allowed(user: UserInfo, verb: string, rt: ResourceType, sub?: string): boolean {
    if (user.groups.includes('system:masters')) return true;
    const rules = this.rules[user.username];
    if (!rules) return false;
    const res = sub ? `${rt.resource}/${sub}` : rt.resource;
    return rules.some(
      (r) =>
        (r.groups.includes('*') || r.groups.includes(rt.group)) &&
        (r.resources.includes('*') || r.resources.includes(res)) &&
        (r.verbs.includes('*') || r.verbs.includes(verb)),
    );
  }

  authorize(user: UserInfo, verb: string, rt: ResourceType, sub: string | undefined, ns: string | undefined): void {
    if (!this.allowed(user, verb, rt, sub)) throw forbidden(user.username, verb, rt.group, sub ? `${rt.resource}/${sub}` : rt.resource, ns ?? '');
  }
}
