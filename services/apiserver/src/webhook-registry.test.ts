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
});
