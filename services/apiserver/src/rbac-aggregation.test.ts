import { describe, expect, it } from 'vitest';
import { aggregatedRules } from './rbac-aggregation.ts';

describe('ClusterRole aggregation', () => {
  it('collects the rules of the roles its selectors match, in name order, each once, never its own', () => {
    const target = { name: 'monitoring', labels: { 'rbac.example.com/aggregate-to-monitoring': 'true' }, rules: [], aggregationRule: { clusterRoleSelectors: [{ matchLabels: { 'rbac.example.com/aggregate-to-monitoring': 'true' } }] } };
    const b = { name: 'b-pods', labels: { 'rbac.example.com/aggregate-to-monitoring': 'true' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] };
    const a = { name: 'a-nodes', labels: { 'rbac.example.com/aggregate-to-monitoring': 'true' }, rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get'] }, { apiGroups: [''], resources: ['pods'], verbs: ['get'] }] };
    const other = { name: 'other', labels: {}, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] };
    expect(aggregatedRules(target, [target, b, other, a])).toEqual([
      { apiGroups: [''], resources: ['nodes'], verbs: ['get'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
    ]);
  });
});
