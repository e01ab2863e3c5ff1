/**
 * Authorization, as kube-apiserver's `--authorization-mode`: RBAC (default) decides from the
 * stored Roles, ClusterRoles and bindings; `system:masters` is always allowed (the superuser
 * group, as the real server's privileged group); AlwaysAllow lets every authenticated request through.
 */
import type { UserInfo } from './auth.ts';
import type { RbacIndex } from './rbac-index.ts';
import { forbiddenReason, type Attributes, type PolicyRule } from './rbac-rules.ts';
import { StatusError } from './status.ts';

export type AuthorizationMode = 'RBAC' | 'AlwaysAllow';
export const AUTHORIZATION_MODES: readonly AuthorizationMode[] = ['RBAC', 'AlwaysAllow'];

export interface Decision {
  allowed: boolean;
  reason: string;
}

export class Authorizer {
  readonly mode: AuthorizationMode;
  private readonly rbac: RbacIndex | null;

  constructor(mode: AuthorizationMode, rbac: RbacIndex | null) {
    this.mode = mode;
    this.rbac = rbac;
  }

  decide(user: Pick<UserInfo, 'username' | 'groups'>, a: Attributes): Decision {
    if (this.mode === 'AlwaysAllow') return { allowed: true, reason: '' };
    if (user.groups.includes('system:masters')) return { allowed: true, reason: '' };
    const reason = this.rbac?.allows(user.username, user.groups, a);
    return reason ? { allowed: true, reason } : { allowed: false, reason: '' };
  }

  /** The rules the user holds in a namespace (SelfSubjectRulesReview); AlwaysAllow and superusers hold everything. */
  rulesFor(user: Pick<UserInfo, 'username' | 'groups'>, namespace: string): PolicyRule[] {
    if (this.mode === 'AlwaysAllow' || user.groups.includes('system:masters'))
      return [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verbs: ['*'], nonResourceURLs: ['*'] }];
    return this.rbac?.rulesFor(user.username, user.groups, namespace) ?? [];
  }

  /** Throws the 403 kube-apiserver answers when the request is not allowed. */
  check(user: UserInfo, a: Attributes): void {
    if (!this.decide(user, a).allowed) throw forbiddenError(user.username, a);
  }

  /** A resource request: verb on group/resource[/sub], in a namespace ('' cluster scope), of a name ('' all). */
  authorize(user: UserInfo, verb: string, r: { group: string; resource: string; subresource?: string; namespace?: string; name?: string }): void {
    this.check(user, { verb, resource: { group: r.group, resource: r.resource, subresource: r.subresource ?? '', namespace: r.namespace ?? '', name: r.name ?? '' } });
  }
}

/**
 * kube-apiserver's 403: `pods "x" is forbidden: User "u" cannot get resource "pods" in API group ""
 * in the namespace "ns"` (no quoted name when none was asked for; `forbidden: ...` for a path).
 */
export function forbiddenError(username: string, a: Attributes): StatusError {
  const why = forbiddenReason(username, a);
  if (!a.resource) return new StatusError(403, 'Forbidden', `forbidden: ${why}`, {});
  const { group, resource, name } = a.resource;
  const qualified = group ? `${resource}.${group}` : resource;
  return new StatusError(403, 'Forbidden', `${qualified}${name ? ` ${JSON.stringify(name)}` : ''} is forbidden: ${why}`, { name: name || undefined, group, kind: resource });
}
