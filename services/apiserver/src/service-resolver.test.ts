import { describe, expect, it } from 'vitest';
import { resolveService } from './service-resolver.ts';
import { Store } from './store.ts';

function put(store: Store, storeKey: string, obj: Record<string, any>): void {
  store.put(storeKey, { obj: { metadata: { uid: `${storeKey}-${obj.metadata.name}`, ...obj.metadata }, ...obj } });
}

describe('resolveService', () => {
  it('follows the service port to its named endpoint port and keeps the service DNS name for TLS', () => {
    const store = new Store(100);
    put(store, '/services', { metadata: { namespace: 'kubevirt', name: 'virt-api' }, spec: { ports: [{ name: 'https', port: 443, targetPort: 8443 }] } });
    put(store, '/endpoints', {
      metadata: { namespace: 'kubevirt', name: 'virt-api' },
      subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'metrics', port: 9000 }, { name: 'https', port: 8443 }] }],
    });
    expect(resolveService(store, 'kubevirt', 'virt-api')).toEqual({ host: '127.0.0.1', port: 8443, serverName: 'virt-api.kubevirt.svc' });
  });

  it('falls back to an EndpointSlice labelled with the service name, skipping endpoints not ready', () => {
    const store = new Store(100);
    put(store, '/services', { metadata: { namespace: 'ns', name: 'api' }, spec: { ports: [{ port: 443 }] } });
    put(store, 'discovery.k8s.io/endpointslices', {
      metadata: { namespace: 'ns', name: 'api-abc', labels: { 'kubernetes.io/service-name': 'api' } },
      ports: [{ port: 6443 }],
      endpoints: [{ addresses: ['127.0.0.2'], conditions: { ready: false } }, { addresses: ['127.0.0.3'] }],
    });
    expect(resolveService(store, 'ns', 'api')).toEqual({ host: '127.0.0.3', port: 6443, serverName: 'api.ns.svc' });
  });

  it('answers 503 naming the service when it, its port or its endpoints are missing', () => {
    const store = new Store(100);
    expect(() => resolveService(store, 'ns', 'gone')).toThrow('service "ns/gone" is not reachable: service not found');
    put(store, '/services', { metadata: { namespace: 'ns', name: 'api' }, spec: { ports: [{ port: 8080 }] } });
    expect(() => resolveService(store, 'ns', 'api')).toThrow('service has no port 443');
    expect(() => resolveService(store, 'ns', 'api', 8080)).toThrow('no ready endpoints');
  });
});
