import { describe, expect, it } from 'vitest';
import { nextCondition, serviceVerdict } from './apiservice-availability.ts';

const api = { service: { namespace: 'kubevirt', name: 'virt-api', port: 443 } };

describe('serviceVerdict', () => {
  it('words each failure as kube-aggregator does', () => {
    expect(serviceVerdict(undefined, api, false)).toEqual({ status: 'False', reason: 'ServiceNotFound', message: 'service/virt-api in "kubevirt" is not present' });
    expect(serviceVerdict({ spec: { ports: [{ port: 8443 }] } }, api, false)).toMatchObject({ reason: 'ServicePortError', message: 'service/virt-api in "kubevirt" is not listening on port 443' });
    expect(serviceVerdict({ spec: { ports: [{ name: 'https', port: 443 }] } }, api, false)).toMatchObject({
      reason: 'MissingEndpoints',
      message: 'endpoints for service/virt-api in "kubevirt" have no addresses with port name "https"',
    });
  });

  it('is null when the Service has the port and an endpoint, or is an ExternalName', () => {
    expect(serviceVerdict({ spec: { ports: [{ port: 443 }] } }, api, true)).toBeNull();
    expect(serviceVerdict({ spec: { type: 'ExternalName', externalName: 'x.example' } }, api, false)).toBeNull();
  });
});

describe('nextCondition', () => {
  const v = { status: 'False' as const, reason: 'FailedDiscoveryCheck', message: 'm' };
  it('moves lastTransitionTime only when the status changes', () => {
    expect(nextCondition({ status: 'False', lastTransitionTime: 'T0' }, v, 'T1').lastTransitionTime).toBe('T0');
    expect(nextCondition({ status: 'True', lastTransitionTime: 'T0' }, v, 'T1').lastTransitionTime).toBe('T1');
    expect(nextCondition(undefined, v, 'T1')).toEqual({ type: 'Available', status: 'False', lastTransitionTime: 'T1', reason: 'FailedDiscoveryCheck', message: 'm' });
  });
});
