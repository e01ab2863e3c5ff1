import { describe, expect, it } from 'vitest';
import { Store } from './store.ts';
import { MUTATING_KEY, VALIDATING_KEY, WebhookRegistry } from './webhook-registry.ts';

const config = (name: string, ...hooks: string[]) => ({ metadata: { name, uid: name, resourceVersion: '1' }, webhooks: hooks.map((h) => ({ name: h, clientConfig: { url: 'https://127.0.0.1/' } })) });

describe('WebhookRegistry', () => {
  it('is inactive without configurations: the write path makes one check', () => {
    const reg = new WebhookRegistry(new Store(10));
    expect(reg.active).toBe(false);
    expect(reg.mutating).toEqual([]);
  });

  it('orders webhooks by configuration name, then as listed, and follows writes and restores', () => {
    const store = new Store(10);
    const reg = new WebhookRegistry(store);
    store.restore(MUTATING_KEY, config('b-config', 'b1'));
    store.restore(MUTATING_KEY, config('a-config', 'a1', 'a2'));
    expect(reg.active).toBe(false); // restored behind its back
    reg.refresh();
    expect(reg.active).toBe(true);
    expect(reg.mutating.map((h) => h.spec.name)).toEqual(['a1', 'a2', 'b1']);
    expect(reg.mutating.map((h) => h.id)).toEqual(['a-config/0', 'a-config/1', 'b-config/0']);
    store.restore(VALIDATING_KEY, config('v', 'v1'));
    reg.afterWrite({ storeKey: '/configmaps' });
    expect(reg.validating).toEqual([]);
    reg.afterWrite({ storeKey: VALIDATING_KEY });
    expect(reg.validating.map((h) => h.spec.name)).toEqual(['v1']);
  });

  it('says which writes any webhook rule names, so the others keep the direct write path', () => {
    const store = new Store(10);
    const reg = new WebhookRegistry(store);
    const ruled = (name: string, kind: string, rules: object[]) => store.restore(kind, { metadata: { name, uid: name, resourceVersion: '1' }, webhooks: [{ name, clientConfig: { url: 'https://127.0.0.1/' }, rules }] });
    expect(reg.mayCall('UPDATE', 'leases', '')).toBe(false); // no configuration at all
    // virt-api's eviction webhook, as `virtsim up` registers it.
    ruled('eviction', VALIDATING_KEY, [{ operations: ['*'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods/eviction'] }]);
    reg.refresh();
    expect(reg.mayCall('CREATE', 'pods', 'eviction')).toBe(true);
    expect(reg.mayCall('UPDATE', 'leases', '')).toBe(false);
    expect(reg.mayCall('UPDATE', 'pods', '')).toBe(false);
    expect(reg.mayCall('CREATE', 'pods', 'binding')).toBe(false);
    // Any group and version: an Equivalent matchPolicy reaches the same resource elsewhere.
    ruled('status', MUTATING_KEY, [{ operations: ['UPDATE'], apiGroups: ['apps'], apiVersions: ['v1beta2'], resources: ['*/status'] }]);
    reg.refresh();
    expect(reg.mayCall('UPDATE', 'nodes', 'status')).toBe(true);
    expect(reg.mayCall('UPDATE', 'nodes', '')).toBe(false);
    expect(reg.mayCall('CREATE', 'nodes', 'status')).toBe(false);
    // A new configuration's rules count from the next request on.
    ruled('leases', VALIDATING_KEY, [{ operations: ['UPDATE', 'DELETE'], apiGroups: ['*'], apiVersions: ['*'], resources: ['leases'] }]);
    reg.afterWrite({ storeKey: VALIDATING_KEY });
    expect(reg.mayCall('UPDATE', 'leases', '')).toBe(true);
    expect(reg.mayCall('CREATE', 'leases', '')).toBe(false);
  });
});
