import { describe, expect, it } from 'vitest';
import { EVICTION_WEBHOOK, contains, registrationObjects } from './webhook-registration.ts';

describe('eviction webhook registration', () => {
  it('routes pods/eviction to virt-api.kubevirt.svc as virt-operator registers it, through Endpoints on loopback', () => {
    const { service, endpoints, configuration } = registrationObjects(40123, 'PEM');
    expect(service.spec.ports).toEqual([{ name: 'https', port: 443, protocol: 'TCP', targetPort: 40123 }]);
    expect(endpoints.subsets).toEqual([{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port: 40123, protocol: 'TCP' }] }]);
    const [hook] = configuration.webhooks;
    expect(hook).toMatchObject({
      name: EVICTION_WEBHOOK,
      failurePolicy: 'Ignore',
      sideEffects: 'NoneOnDryRun',
      rules: [{ operations: ['*'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods/eviction'] }],
      clientConfig: { service: { namespace: 'kubevirt', name: 'virt-api', path: '/launcher-eviction-validate', port: 443 }, caBundle: Buffer.from('PEM').toString('base64') },
    });
  });

  it('takes an object with server defaults added as current, and a changed port or CA as not', () => {
    const { configuration } = registrationObjects(1, 'A');
    const served = JSON.parse(JSON.stringify(configuration));
    served.webhooks[0].matchPolicy = 'Equivalent';
    served.webhooks[0].namespaceSelector = {};
    served.metadata.uid = 'u';
    expect(contains(served, configuration)).toBe(true);
    expect(contains(served, registrationObjects(1, 'B').configuration)).toBe(false);
    expect(contains(registrationObjects(2, 'A').service, registrationObjects(1, 'A').service)).toBe(false);
  });
});
