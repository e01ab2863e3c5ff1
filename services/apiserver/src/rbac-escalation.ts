/**
 * RBAC's escalation prevention (kube's role/clusterrole/binding "policybased" storage): nobody
 * may write a Role or ClusterRole granting rights they do not hold, nor bind one, unless they
 * may `escalate` roles (or `bind` that role) or are in `system:masters`. Without it, anyone who
 * may create RoleBindings could bind cluster-admin to themselves.
 */
import type { UserInfo } from './auth.ts';
import type { Authorizer } from './authz.ts';
import type { ObjectHooks } from './objects.ts';
import { deepEqual } from './objects.ts';
import { RBAC_GROUP, type RbacIndex } from './rbac-index.ts';
import { coveredBy, describeMissing } from './rbac-covers.ts';
import type { PolicyRule } from './rbac-rules.ts';
import type { ResourceType } from './resources.ts';
import { StatusError } from './status.ts';

type Obj = Record<string, any>;

const FULL_AUTHORITY: PolicyRule[] = [
  { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
  { verbs: ['*'], nonResourceURLs: ['*'] },
];

function forbidden(rt: ResourceType, name: string, message: string): StatusError {
  return new StatusError(403, 'Forbidden', `${rt.resource}.${RBAC_GROUP} ${JSON.stringify(name)} is forbidden: ${message}`, { name, group: RBAC_GROUP, kind: rt.resource });
}

/** Only ownerReferences or finalizers changed: the garbage collector may always do that (IsOnlyMutatingGCFields). */
function onlyGcFields(obj: Obj, old: Obj | null): boolean {
  if (!old) return false;
  // Both sides get the same keys set to undefined, so no JSON round trip is needed to compare them.
  const strip = (o: Obj) => ({ ...o, metadata: { ...o.metadata, ownerReferences: undefined, finalizers: undefined, resourceVersion: undefined, managedFields: undefined } });
  return deepEqual(strip(obj), strip(old));
}

export class RbacEscalationGuard implements ObjectHooks {
  private readonly authz: Authorizer;
  private readonly index: RbacIndex;

  constructor(authz: Authorizer, index: RbacIndex) {
    this.authz = authz;
    this.index = index;
  }

  admit(_op: 'CREATE' | 'UPDATE', rt: ResourceType, obj: Obj, old: Obj | null, user: UserInfo): void {
    if (rt.group !== RBAC_GROUP || user.groups.includes('system:masters') || onlyGcFields(obj, old)) return;
    const ns: string = obj.metadata?.namespace ?? '';
    const name: string = obj.metadata?.name ?? '';
    switch (rt.resource) {
      case 'roles':
      case 'clusterroles':
        return this.admitRole(rt, ns, name, obj, user);
      case 'rolebindings':
      case 'clusterrolebindings':
        return this.admitBinding(rt, ns, name, obj, user);
    }
  }

  private allowed(user: UserInfo, verb: string, resource: string, ns: string, name: string): boolean {
    return this.authz.decide(user, { verb, resource: { group: RBAC_GROUP, resource, subresource: '', namespace: ns, name } }).allowed;
  }

  private admitRole(rt: ResourceType, ns: string, name: string, obj: Obj, user: UserInfo): void {
    if (this.allowed(user, 'escalate', rt.resource, ns, name)) return;
    if (obj.aggregationRule && !coveredBy(this.authz.rulesFor(user, ns), FULL_AUTHORITY).covered)
      throw forbidden(rt, name, 'must have cluster-admin privileges to write an aggregationRule');
    this.confirmNoEscalation(rt, ns, name, obj.rules ?? [], user);
  }

  private admitBinding(rt: ResourceType, ns: string, name: string, obj: Obj, user: UserInfo): void {
    const ref: Obj = obj.roleRef ?? {};
    const roleResource = ref.kind === 'Role' ? 'roles' : 'clusterroles';
    if (this.allowed(user, 'bind', roleResource, ns, ref.name ?? '')) return;
    const rules = this.roleRules(ref, ns);
    if (!rules) throw forbidden(rt, name, `${roleResource}.${RBAC_GROUP} ${JSON.stringify(ref.name ?? '')} not found`);
    this.confirmNoEscalation(rt, ns, name, rules, user);
  }

  /** The rules a roleRef names (a RoleBinding's Role is looked up in its own namespace); null when it does not exist. */
  private roleRules(ref: Obj, ns: string): PolicyRule[] | null {
    if (ref.kind === 'ClusterRole') return this.index.clusterRoles.get(ref.name)?.rules ?? null;
    if (ref.kind === 'Role' && ns) return this.index.role(ns, ref.name);
    return null;
  }

  private confirmNoEscalation(rt: ResourceType, ns: string, name: string, rules: PolicyRule[], user: UserInfo): void {
    const { covered, missing } = coveredBy(this.authz.rulesFor(user, ns), rules);
    if (covered) return;
    throw forbidden(
      rt,
      name,
      `user ${JSON.stringify(user.username)} (groups=[${user.groups.map((g) => JSON.stringify(g)).join(' ')}]) is attempting to grant RBAC permissions not currently held:\n${describeMissing(missing)}`,
    );
  }
}
