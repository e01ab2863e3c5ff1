/**
 * The clusterrole-aggregation controller: a ClusterRole with aggregationRule.clusterRoleSelectors
 * gets, as its stored rules, the rules of every other ClusterRole its selectors match (those
 * roles in name order, each rule once). Runs after ClusterRole changes, off the write path.
 */
import { LabelSelector } from '@virtsim/apimachinery';
import type { Logger } from '@virtsim/telemetry';
import { SYSTEM_USER, type ObjectService } from './objects.ts';
import type { ClusterRoleView, RbacIndex } from './rbac-index.ts';
import { RBAC_GROUP } from './rbac-index.ts';
import type { PolicyRule } from './rbac-rules.ts';
import type { ResourceRegistry } from './resources.ts';

/** The rules an aggregated ClusterRole should hold, from the roles its selectors pick. */
export function aggregatedRules(target: ClusterRoleView, all: Iterable<ClusterRoleView>): PolicyRule[] {
  const selectors = (target.aggregationRule?.clusterRoleSelectors ?? []).map((s) => LabelSelector.fromObject(s));
  const picked = [...all].filter((r) => r.name !== target.name && selectors.some((s) => s.matches(r.labels))).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: PolicyRule[] = [];
  const seen = new Set<string>();
  for (const r of picked) {
    for (const rule of r.rules) {
      const k = canonical(rule);
      if (seen.has(k)) continue;
      seen.add(k);
      out.push(rule);
    }
  }
  return out;
}

/** A rule's identity for de-duplication (its fields in a fixed order, absent lists as empty). */
function canonical(r: PolicyRule): string {
  return JSON.stringify([r.verbs ?? [], r.apiGroups ?? [], r.resources ?? [], r.resourceNames ?? [], r.nonResourceURLs ?? []]);
}

export function startClusterRoleAggregation(index: RbacIndex, objects: ObjectService, registry: ResourceRegistry, log: Logger): () => void {
  const rt = registry.get(RBAC_GROUP, 'v1', 'clusterroles')!;
  let queued = false;
  let stopped = false;
  const sync = () => {
    queued = false;
    if (stopped) return;
    for (const target of [...index.clusterRoles.values()]) {
      if (!target.aggregationRule) continue;
      const rules = aggregatedRules(target, index.clusterRoles.values());
      if (canonicalAll(rules) === canonicalAll(target.rules)) continue;
      try {
        const entry = objects.store.get(rt.storeKey, '', target.name);
        if (!entry) continue;
        objects.update(rt, '', target.name, { ...JSON.parse(entry.json), rules }, SYSTEM_USER, undefined);
      } catch (err) {
        // A conflicting write makes its own change event, which runs this again.
        log.warn({ err, clusterRole: target.name }, 'could not update an aggregated ClusterRole');
      }
    }
  };
  // Batches a burst of changes into one pass; the pass's own writes queue at most one more.
  index.onClusterRoleChange = () => {
    if (queued) return;
    queued = true;
    setImmediate(sync);
  };
  index.onClusterRoleChange();
  return () => {
    stopped = true;
    index.onClusterRoleChange = null;
  };
}

const canonicalAll = (rules: PolicyRule[]) => rules.map(canonical).join('\n');
