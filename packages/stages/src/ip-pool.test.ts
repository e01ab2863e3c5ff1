import { describe, expect, it } from 'vitest';
import { formatIP, IPPool, IPPoolExhaustedError, parseIP } from './ip-pool.ts';

describe('IPPool', () => {
  it('hands out addresses in order from the network address + 1', () => {
    const p = new IPPool('10.0.0.0/24');
    expect([p.get(), p.get(), p.get()]).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
  });

  it('reuses freed addresses before new ones', () => {
    const p = new IPPool('10.0.0.0/24');
    const a = p.get();
    p.get();
    p.put(a);
    expect(p.get()).toBe(a);
    expect(p.get()).toBe('10.0.0.3');
  });

  it('skips addresses marked in use and ignores foreign ones', () => {
    const p = new IPPool('10.1.0.0/16');
    p.use('10.1.0.1');
    p.use('192.168.0.1');
    p.put('192.168.0.2');
    expect(p.get()).toBe('10.1.0.2');
  });

  it('fails when the network is exhausted', () => {
    const p = new IPPool('10.0.0.0/30');
    expect([p.get(), p.get()]).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(() => p.get()).toThrow(IPPoolExhaustedError);
  });

  it('handles IPv6 networks', () => {
    const p = new IPPool('fd00:10:244::/64');
    expect(p.get()).toBe('fd00:10:244::1');
    expect(formatIP(parseIP('fd00:0:0:0:0:0:0:1')!)).toBe('fd00::1');
  });

  it('rejects invalid CIDRs', () => {
    expect(() => new IPPool('10.0.0.0')).toThrow(/invalid CIDR/);
    expect(() => new IPPool('10.0.0.0/33')).toThrow(/invalid CIDR/);
  });
});

describe('pod IPs and node pools (KWOK markPodIP / recyclingPodIP)', async () => {
  const { markPodIPs, releasePodIPs } = await import('./kwok-funcs.ts');
  const { IPPools } = await import('./ip-pool.ts');
  const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' }, spec: { podCIDRs: ['10.244.0.0/24', 'fd00::/64'] } };
  const pod = (ips: string[], hostNetwork = false) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    spec: { nodeName: 'n', hostNetwork },
    status: { podIP: ips[0], podIPs: ips.map((ip) => ({ ip })) },
  });

  it('addresses of running pods are not handed out again; released ones are', () => {
    const pools = new IPPools();
    markPodIPs(pools, pod(['10.244.0.1', 'fd00::1']), node);
    expect(pools.pool('10.244.0.0/24').get()).toBe('10.244.0.2');
    expect(pools.pool('fd00::/64').get()).toBe('fd00::2');
    releasePodIPs(pools, pod(['10.244.0.1', 'fd00::1']), node);
    expect(pools.pool('10.244.0.0/24').get()).toBe('10.244.0.1');
  });

  it('host-network pods and unknown nodes are left alone', () => {
    const pools = new IPPools();
    markPodIPs(pools, pod(['10.244.0.1'], true), node);
    markPodIPs(pools, pod(['10.244.0.2']), undefined);
    expect(pools.pool('10.244.0.0/24').get()).toBe('10.244.0.1');
  });
});
