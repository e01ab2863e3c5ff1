import { describe, expect, it } from 'vitest';
import type { KubeObject } from '@virtsim/kube';
import { PodAddressBook } from './pod-addresses.ts';

const node: KubeObject = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, spec: { podCIDR: '10.128.1.0/24', podCIDRs: ['10.128.1.0/24'] } };
const pod = (uid: string, ip?: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: uid, namespace: 'default', uid },
  spec: { nodeName: 'n1' },
  status: ip ? { podIP: ip, podIPs: [{ ip }] } : { phase: 'Pending' },
});

describe('PodAddressBook', () => {
  it('gives one pod UID the same address every time, from its node CIDR', () => {
    const book = new PodAddressBook((n) => (n === 'n1' ? node : undefined), '10.0.0.1');
    const a = book.podIPs('n1', false, 'uid-a');
    expect(a[0]).toMatch(/^10\.128\.1\.\d+$/);
    expect(book.podIPs('n1', false, 'uid-a')).toEqual(a);
    expect(book.podIPs('n1', false, 'uid-b')).not.toEqual(a);
  });

  it('keeps addresses of running pods it did not hand out, and reuses a deleted pod address', () => {
    const book = new PodAddressBook(() => node, '10.0.0.1');
    book.track('ADDED', pod('old', '10.128.1.2'));
    expect(book.podIPs('n1', false, 'old')).toEqual(['10.128.1.2']);
    const fresh = book.podIPs('n1', false, 'new');
    expect(fresh).not.toEqual(['10.128.1.2']);
    book.track('DELETED', pod('new', fresh[0]));
    expect(book.size).toBe(1);
  });

  it('answers host-network pods with the node address', () => {
    const book = new PodAddressBook(() => undefined, '10.0.0.1');
    expect(book.podIPs('n1', true, 'x')).toEqual(['10.0.0.1']);
  });
});
