import { describe, expect, it } from 'vitest';
import { groupVersionOf, orderGroups, parseApiService, type AggregatedApi } from './apiservice-registry.ts';

const api = (group: string, version: string, gpm: number, vp: number): AggregatedApi => ({
  name: `${version}.${group}`,
  group,
  version,
  service: { namespace: 'ns', name: 'svc', port: 443 },
  caPem: '',
  insecureSkipTLSVerify: false,
  groupPriorityMinimum: gpm,
  versionPriority: vp,
  available: true,
  specKey: '',
});

describe('parseApiService', () => {
  it('reads a backend APIService: port 443 by default, caBundle decoded, Available from status', () => {
    const a = parseApiService({
      metadata: { name: 'v1.subresources.kubevirt.io' },
      spec: { group: 'subresources.kubevirt.io', version: 'v1', service: { namespace: 'kubevirt', name: 'virt-api' }, caBundle: Buffer.from('PEM').toString('base64'), groupPriorityMinimum: 1000, versionPriority: 15 },
      status: { conditions: [{ type: 'Available', status: 'True' }] },
    });
    expect(a).toMatchObject({ group: 'subresources.kubevirt.io', version: 'v1', service: { namespace: 'kubevirt', name: 'virt-api', port: 443 }, caPem: 'PEM', available: true, groupPriorityMinimum: 1000, versionPriority: 15 });
  });

  it('is null for a local APIService (no spec.service)', () => {
    expect(parseApiService({ metadata: { name: 'v1.apps' }, spec: { group: 'apps', version: 'v1', groupPriorityMinimum: 17800, versionPriority: 15 } })).toBeNull();
  });

  it('is not Available without the condition, or with it False', () => {
    const spec = { group: 'g.io', version: 'v1', service: { namespace: 'n', name: 's', port: 8443 } };
    expect(parseApiService({ metadata: { name: 'v1.g.io' }, spec })!.available).toBe(false);
    expect(parseApiService({ metadata: { name: 'v1.g.io' }, spec, status: { conditions: [{ type: 'Available', status: 'False' }] } })!.available).toBe(false);
    expect(parseApiService({ metadata: { name: 'v1.g.io' }, spec })!.service.port).toBe(8443);
  });
});

describe('orderGroups', () => {
  it('orders groups by groupPriorityMinimum (highest first), then name; versions by versionPriority, then kube version order', () => {
    const out = orderGroups([api('b.io', 'v1', 100, 10), api('a.io', 'v1', 100, 10), api('z.io', 'v1beta1', 2000, 5), api('z.io', 'v1', 2000, 5), api('z.io', 'v2alpha1', 2000, 20), api('z.io', 'v1beta2', 2000, 5)]);
    expect(out).toEqual([
      { group: 'z.io', versions: ['v2alpha1', 'v1', 'v1beta2', 'v1beta1'] },
      { group: 'a.io', versions: ['v1'] },
      { group: 'b.io', versions: ['v1'] },
    ]);
  });
});

describe('groupVersionOf', () => {
  it('names the group and version of paths under /apis/<g>/<v> only', () => {
    expect(groupVersionOf('/apis/g.io/v1')).toEqual({ group: 'g.io', version: 'v1' });
    expect(groupVersionOf('/apis/g.io/v1/namespaces/x/things/y/console')).toEqual({ group: 'g.io', version: 'v1' });
    expect(groupVersionOf('/apis/g.io')).toBeNull();
    expect(groupVersionOf('/api/v1/pods')).toBeNull();
  });
});
