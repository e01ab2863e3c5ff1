/**
 * Whether one set of RBAC rules covers another, as Kubernetes 1.26's escalation check reads them
 * (pkg/registry/rbac/validation: Covers, BreakdownRule, CompactRules, CompactString). Pure: a
 * rule asked for is broken into one verb on one resource (and one name) at a time, and each piece
 * must be covered by a single rule held. The missing pieces are described in kube's own words.
 */
import type { PolicyRule } from './rbac-rules.ts';

const has = (set: readonly string[] | undefined, v: string) => !!set && set.includes(v);
const hasAll = (set: readonly string[] | undefined, vs: readonly string[] | undefined) => (vs ?? []).every((v) => has(set, v));

/** One verb on one group/resource (and at most one name), or one verb on one non-resource URL. */
function breakdown(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const group of rule.apiGroups ?? [])
    for (const resource of rule.resources ?? [])
      for (const verb of rule.verbs ?? []) {
        if (rule.resourceNames?.length) for (const n of rule.resourceNames) out.push({ apiGroups: [group], resources: [resource], verbs: [verb], resourceNames: [n] });
        else out.push({ apiGroups: [group], resources: [resource], verbs: [verb] });
      }
  for (const url of rule.nonResourceURLs ?? []) for (const verb of rule.verbs ?? []) out.push({ nonResourceURLs: [url], verbs: [verb] });
  return out;
}

/** `*` covers every resource, `*\/sub` every resource's subresource `sub`. */
function resourcesCover(held: readonly string[] | undefined, asked: readonly string[] | undefined): boolean {
  if (has(held, '*') || hasAll(held, asked)) return true;
  for (const r of asked ?? []) {
    if (has(held, r)) continue;
    const slash = r.indexOf('/');
    if (slash < 0 || !has(held, '*' + r.slice(slash))) return false;
  }
  return true;
}

/** A held URL covers an asked one when equal, or when it ends in `*` and is a prefix of it. */
function urlsCover(held: readonly string[] | undefined, asked: readonly string[] | undefined): boolean {
  return (asked ?? []).every((url) => (held ?? []).some((h) => h === url || (h.endsWith('*') && url.startsWith(h.slice(0, -1)))));
}

function ruleCovers(held: PolicyRule, piece: PolicyRule): boolean {
  const verbs = has(held.verbs, '*') || hasAll(held.verbs, piece.verbs);
  const groups = has(held.apiGroups, '*') || hasAll(held.apiGroups, piece.apiGroups);
  // A rule limited to names never covers one that is not.
  const names = !held.resourceNames?.length || (!!piece.resourceNames?.length && hasAll(held.resourceNames, piece.resourceNames));
  return verbs && groups && names && resourcesCover(held.resources, piece.resources) && urlsCover(held.nonResourceURLs, piece.nonResourceURLs);
}

export function coveredBy(held: readonly PolicyRule[], asked: readonly PolicyRule[]): { covered: boolean; missing: PolicyRule[] } {
  const missing: PolicyRule[] = [];
  for (const rule of asked) for (const piece of breakdown(rule)) if (!held.some((h) => ruleCovers(h, piece))) missing.push(piece);
  return { covered: missing.length === 0, missing };
}

/** Pieces on the same single group/resource/name are merged into one rule listing their verbs. */
function compact(rules: readonly PolicyRule[]): PolicyRule[] {
  const out: PolicyRule[] = [];
  const simple = new Map<string, PolicyRule>();
  for (const r of rules) {
    const isSimple = !r.nonResourceURLs?.length && (r.resourceNames?.length ?? 0) <= 1 && r.apiGroups?.length === 1 && r.resources?.length === 1;
    if (!isSimple) {
      out.push(r);
      continue;
    }
    const key = JSON.stringify([r.apiGroups, r.resources, r.resourceNames ?? []]);
    const seen = simple.get(key);
    if (seen) seen.verbs = [...(seen.verbs ?? []), ...(r.verbs ?? [])];
    else simple.set(key, { ...r, verbs: [...(r.verbs ?? [])] });
  }
  return [...out, ...simple.values()];
}

/** Go's `%q` of a []string: `["a" "b"]`. */
const q = (list: readonly string[]) => `[${list.map((s) => JSON.stringify(s)).join(' ')}]`;

/** rbacv1helpers.CompactString: `{APIGroups:["apps"], Resources:["deployments"], Verbs:["create"]}`. */
function compactString(r: PolicyRule): string {
  const parts: string[] = [];
  if (r.apiGroups?.length) parts.push(`APIGroups:${q(r.apiGroups)}`);
  if (r.resources?.length) parts.push(`Resources:${q(r.resources)}`);
  if (r.nonResourceURLs?.length) parts.push(`NonResourceURLs:${q(r.nonResourceURLs)}`);
  if (r.resourceNames?.length) parts.push(`ResourceNames:${q(r.resourceNames)}`);
  if (r.verbs?.length) parts.push(`Verbs:${q(r.verbs)}`);
  return `{${parts.join(', ')}}`;
}

/** The missing rights, one per line, sorted and without repeats, as the 403 lists them. */
export function describeMissing(missing: readonly PolicyRule[]): string {
  return [...new Set(compact(missing).map(compactString))].sort().join('\n');
}
