import { describe, expect, it } from 'vitest';
import { coveredBy, describeMissing } from './rbac-covers.ts';

describe('coveredBy', () => {
  it('covers piece by piece: verbs and resources may come from different held rules', () => {
    const held = [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }, { apiGroups: [''], resources: ['pods'], verbs: ['list'] }];
    expect(coveredBy(held, [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }]).covered).toBe(true);
    expect(coveredBy(held, [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'watch'] }]).missing).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['watch'] }]);
  });

  it('reads wildcards, */subresource, names and URL prefixes as kube does', () => {
    expect(coveredBy([{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }], [{ apiGroups: ['apps'], resources: ['deployments/scale'], verbs: ['patch'] }]).covered).toBe(true);
    expect(coveredBy([{ apiGroups: ['apps'], resources: ['*/scale'], verbs: ['patch'] }], [{ apiGroups: ['apps'], resources: ['deployments/scale'], verbs: ['patch'] }]).covered).toBe(true);
    expect(coveredBy([{ apiGroups: ['apps'], resources: ['*/scale'], verbs: ['patch'] }], [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['patch'] }]).covered).toBe(false);
    const named = [{ apiGroups: [''], resources: ['configmaps'], resourceNames: ['a'], verbs: ['get'] }];
    expect(coveredBy(named, [{ apiGroups: [''], resources: ['configmaps'], resourceNames: ['a'], verbs: ['get'] }]).covered).toBe(true);
    expect(coveredBy(named, [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }]).covered).toBe(false);
    expect(coveredBy([{ nonResourceURLs: ['/metrics*'], verbs: ['get'] }], [{ nonResourceURLs: ['/metrics/cadvisor'], verbs: ['get'] }]).covered).toBe(true);
    expect(coveredBy([{ nonResourceURLs: ['/metrics'], verbs: ['get'] }], [{ nonResourceURLs: ['/healthz'], verbs: ['get'] }]).covered).toBe(false);
  });
});

describe('describeMissing', () => {
  it('merges verbs per resource and sorts the lines as the 403 prints them', () => {
    const { missing } = coveredBy([], [{ apiGroups: ['', 'apps'], resources: ['pods'], verbs: ['get', 'list'] }, { nonResourceURLs: ['/x'], verbs: ['get'] }]);
    expect(describeMissing(missing)).toBe('{APIGroups:[""], Resources:["pods"], Verbs:["get" "list"]}\n{APIGroups:["apps"], Resources:["pods"], Verbs:["get" "list"]}\n{NonResourceURLs:["/x"], Verbs:["get"]}');
  });
});
