import { describe, expect, it } from 'vitest';
import { remoteDiscoveryResources } from './discovery.ts';

describe('remoteDiscoveryResources', () => {
  it('nests subresources under their parent, and gives a subresource-only list (KubeVirt) verb-less parents', () => {
    const out = remoteDiscoveryResources(
      {
        resources: [
          { name: 'widgets', singularName: 'widget', namespaced: true, kind: 'Widget', verbs: ['get'], shortNames: ['wd'] },
          { name: 'widgets/status', namespaced: true, kind: 'Widget', verbs: ['get'] },
          { name: 'virtualmachineinstances/console', namespaced: true, kind: 'VirtualMachineInstance', verbs: ['get'] },
        ],
      },
      'g.io',
      'v1',
    );
    expect(out).toEqual([
      {
        resource: 'widgets',
        responseKind: { group: 'g.io', version: 'v1', kind: 'Widget' },
        scope: 'Namespaced',
        singularResource: 'widget',
        verbs: ['get'],
        shortNames: ['wd'],
        subresources: [{ subresource: 'status', responseKind: { group: 'g.io', version: 'v1', kind: 'Widget' }, verbs: ['get'] }],
      },
      {
        resource: 'virtualmachineinstances',
        responseKind: { group: '', version: '', kind: '' },
        scope: 'Namespaced',
        singularResource: '',
        verbs: [],
        subresources: [{ subresource: 'console', responseKind: { group: 'g.io', version: 'v1', kind: 'VirtualMachineInstance' }, verbs: ['get'] }],
      },
    ]);
  });
});
