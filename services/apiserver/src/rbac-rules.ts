/**
 * RBAC rule matching, as Kubernetes 1.26's rbac authorizer reads a PolicyRule (pure, no I/O):
 * apiGroups, resources (`res/sub`, `*`, `*\/sub`), resourceNames, verbs, and
 * nonResourceURLs (exact, or a prefix ending in `*`).
 */

export interface PolicyRule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/** What is asked (authorizer.Attributes): a resource request, or a non-resource path. */
export interface Attributes {
  verb: string;
  /** Set for a resource request. */
  resource?: { group: string; resource: string; subresource: string; namespace: string; name: string };
  /** Set for a non-resource request (`/healthz`, `/apis`). */
  path?: string;
}

const has = (list: readonly string[] | undefined, v: string) => !!list && (list.includes('*') || list.includes(v));

function resourceMatches(rule: PolicyRule, resource: string, sub: string): boolean {
  const combined = sub ? `${resource}/${sub}` : resource;
  for (const r of rule.resources ?? []) {
    if (r === '*' || r === combined) return true;
    if (!sub) continue;
    // `*/scale` matches the scale subresource of every resource (there is no `pods/*`).
    if (r === `*/${sub}`) return true;
  }
  return false;
}

function nonResourceMatches(rule: PolicyRule, path: string): boolean {
  for (const u of rule.nonResourceURLs ?? []) {
    if (u === '*' || u === path) return true;
    if (u.endsWith('*') && path.startsWith(u.replace(/\*+$/, ''))) return true;
  }
  return false;
}

export function ruleAllows(rule: PolicyRule, a: Attributes): boolean {
  if (!has(rule.verbs, a.verb)) return false;
  if (!a.resource) return a.path !== undefined && nonResourceMatches(rule, a.path);
  const r = a.resource;
  if (!has(rule.apiGroups, r.group) || !resourceMatches(rule, r.resource, r.subresource)) return false;
  // resourceNames limit a rule to those names; an empty list means every name.
  return !rule.resourceNames?.length || rule.resourceNames.includes(r.name);
}

/**
 * The body of the 403 a denied request gets, worded as kube-apiserver's forbiddenMessage:
 * `User "u" cannot get resource "pods/log" in API group "" in the namespace "ns"`.
 */
export function forbiddenReason(username: string, a: Attributes): string {
  if (!a.resource) return `User ${JSON.stringify(username)} cannot ${a.verb} path ${JSON.stringify(a.path ?? '')}`;
  const r = a.resource;
  const res = r.subresource ? `${r.resource}/${r.subresource}` : r.resource;
  const where = r.namespace ? `in the namespace ${JSON.stringify(r.namespace)}` : 'at the cluster scope';
  return `User ${JSON.stringify(username)} cannot ${a.verb} resource ${JSON.stringify(res)} in API group ${JSON.stringify(r.group)} ${where}`;
}
