import { describe, expect, it } from 'vitest';
import { JsonPacker } from './json-packer.ts';

const pod = (i: number) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `virt-launcher-vm-${i}-abcde`, namespace: 'default', labels: { 'kubevirt.io': 'virt-launcher', 'vm.kubevirt.io/name': `vm-${i}` } },
    spec: { nodeName: `node-${i % 100}`, containers: [{ name: 'compute', image: 'quay.io/kubevirt/virt-launcher:v1.1.0', resources: { requests: { memory: '1Gi' } } }] },
    status: { phase: 'Running', podIP: `10.0.${i >> 8}.${i & 255}`, conditions: [{ type: 'Ready', status: 'True' }] },
  });

describe('JsonPacker', () => {
  it('gives back exactly the text it packed, non-ASCII included', () => {
    const p = new JsonPacker();
    for (const text of [pod(1), pod(2), '{"note":"héllo ✓ 😀"}', '{}']) expect(p.unpack('Pod', p.pack('Pod', text))).toBe(text);
  });

  it('packs objects of a kind far smaller than their text, against the first of that kind', () => {
    const p = new JsonPacker();
    p.pack('Pod', pod(0));
    const texts = Array.from({ length: 100 }, (_, i) => pod(i + 1));
    const packed = texts.map((t) => p.pack('Pod', t));
    const ratio = texts.join('').length / packed.join('').length;
    expect(ratio).toBeGreaterThan(5);
    expect(packed.map((x) => p.unpack('Pod', x))).toEqual(texts);
  });

  it('keeps one dictionary per kind, and refuses to unpack a kind it never packed', () => {
    const p = new JsonPacker();
    const node = p.pack('Node', '{"kind":"Node","metadata":{"name":"n"}}');
    p.pack('Pod', pod(1));
    expect(p.unpack('Node', node)).toBe('{"kind":"Node","metadata":{"name":"n"}}');
    expect(() => p.unpack('Lease', node)).toThrow(/no dictionary for Lease/);
  });
});
