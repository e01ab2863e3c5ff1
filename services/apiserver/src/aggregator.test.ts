import { describe, expect, it } from 'vitest';
import { proxiedAttributes } from './aggregator.ts';

const q = (s = '') => new URLSearchParams(s);
const G = '/apis/subresources.kubevirt.io/v1';

describe('proxiedAttributes', () => {
  it('reads a namespaced subresource (virtctl console) as kube RequestInfo does', () => {
    expect(proxiedAttributes('GET', `${G}/namespaces/ns1/virtualmachineinstances/vmi1/console`, q())).toEqual({
      verb: 'get',
      resource: { group: 'subresources.kubevirt.io', resource: 'virtualmachineinstances', subresource: 'console', namespace: 'ns1', name: 'vmi1' },
    });
    expect(proxiedAttributes('PUT', `${G}/namespaces/ns1/virtualmachines/vm1/start`, q())!.verb).toBe('update');
  });

  it('tells list, watch, deletecollection and a cluster-scoped path apart', () => {
    expect(proxiedAttributes('GET', `${G}/namespaces/ns1/things`, q())!.verb).toBe('list');
    expect(proxiedAttributes('GET', `${G}/namespaces/ns1/things`, q('watch=true'))!.verb).toBe('watch');
    expect(proxiedAttributes('GET', `${G}/watch/namespaces/ns1/things`, q())).toMatchObject({ verb: 'watch', resource: { resource: 'things', namespace: 'ns1' } });
    expect(proxiedAttributes('DELETE', `${G}/things`, q())).toMatchObject({ verb: 'deletecollection', resource: { namespace: '', resource: 'things' } });
    expect(proxiedAttributes('GET', `${G}/namespaces/ns1`, q())).toMatchObject({ verb: 'get', resource: { resource: 'namespaces', name: 'ns1', namespace: 'ns1' } });
  });

  it('is null for the group-version discovery document', () => {
    expect(proxiedAttributes('GET', G, q())).toBeNull();
  });
});
