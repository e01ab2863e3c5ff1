import { describe, expect, it } from 'vitest';
import { PatchError } from './errors.ts';
import { applyJsonPatch, decodeJsonPatch } from './json-patch.ts';

const vmi = () => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { name: 'v', labels: { 'a/b': 'x', 'c~d': 'y' } },
  spec: { domain: { cpu: { cores: 1 } }, volumes: [{ name: 'a' }, { name: 'b' }] },
  status: { phase: 'Pending' },
});

function err(fn: () => unknown): PatchError {
  try {
    fn();
  } catch (e) {
    return e as PatchError;
  }
  throw new Error('expected an error');
}

describe('applyJsonPatch', () => {
  it('applies add, remove, replace, move, copy and test without mutating the input', () => {
    const doc = vmi();
    const before = JSON.stringify(doc);
    const out = applyJsonPatch(doc, [
      { op: 'test', path: '/status/phase', value: 'Pending' },
      { op: 'replace', path: '/status/phase', value: 'Running' },
      { op: 'add', path: '/spec/volumes/-', value: { name: 'c' } },
      { op: 'add', path: '/spec/volumes/0', value: { name: 'z' } },
      { op: 'remove', path: '/spec/volumes/1' },
      { op: 'copy', from: '/spec/domain/cpu', path: '/spec/domain/cpu2' },
      { op: 'move', from: '/spec/domain/cpu2', path: '/spec/cpu' },
      { op: 'remove', path: '/metadata/labels/a~1b' },
      { op: 'replace', path: '/metadata/labels/c~0d', value: 'z' },
    ]);
    expect(JSON.stringify(doc)).toBe(before);
    expect(out.status.phase).toBe('Running');
    expect(out.spec.volumes).toEqual([{ name: 'z' }, { name: 'b' }, { name: 'c' }]);
    expect(out.spec).toMatchObject({ cpu: { cores: 1 }, domain: { cpu: { cores: 1 } } });
    expect((out.spec.domain as Record<string, unknown>).cpu2).toBeUndefined();
    expect(out.metadata.labels).toEqual({ 'c~d': 'z' });
    // Untouched subtrees are shared; the root and metadata are always fresh copies.
    expect(out.spec.domain).not.toBe(doc.spec.domain);
    expect(out.metadata).not.toBe(doc.metadata);
    const out2 = applyJsonPatch(doc, [{ op: 'replace', path: '/status/phase', value: 'X' }]);
    expect(out2.spec).toBe(doc.spec);
    expect(out2.metadata).not.toBe(doc.metadata);
  });

  it('fails a test op with the json-patch message', () => {
    const e = err(() => applyJsonPatch(vmi(), [{ op: 'test', path: '/status/phase', value: 'Running' }]));
    expect(e).toBeInstanceOf(PatchError);
    expect(e.code).toBe(422);
    expect(e.message).toBe('testing value /status/phase failed: test failed');
    expect(err(() => applyJsonPatch(vmi(), [{ op: 'test', path: '/status/nope', value: 'x' }])).message).toBe(
      'testing value /status/nope failed: test failed',
    );
  });

  it('reports paths that do not resolve as kube-apiserver does', () => {
    expect(err(() => applyJsonPatch(vmi(), [{ op: 'add', path: '/spec/nope/x', value: 1 }])).message).toBe(
      'add operation does not apply: doc is missing path: "/spec/nope/x": missing value',
    );
    expect(err(() => applyJsonPatch(vmi(), [{ op: 'remove', path: '/spec/nope' }])).message).toBe(
      "error in remove for path: '/spec/nope': Unable to remove nonexistent key: nope: missing value",
    );
    expect(err(() => applyJsonPatch(vmi(), [{ op: 'remove', path: '/spec/volumes/5' }])).message).toBe(
      "error in remove for path: '/spec/volumes/5': Unable to access invalid index: 5: invalid index referenced",
    );
    expect(err(() => applyJsonPatch(vmi(), [{ op: 'replace', path: '/spec/volumes/7', value: 1 }])).message).toBe(
      'replace operation does not apply: doc is missing key: /spec/volumes/7: missing value',
    );
    expect(err(() => applyJsonPatch(vmi(), [{ op: 'frob', path: '/a' }])).message).toBe('Unexpected kind: frob');
  });

  it('lets replace create a missing object key, as json-patch v4 in kube-apiserver does', () => {
    expect(applyJsonPatch(vmi(), [{ op: 'replace', path: '/spec/running', value: true }]).spec).toMatchObject({ running: true });
  });

  it('stops at the first failing op and leaves the input alone', () => {
    const doc = vmi();
    expect(() => applyJsonPatch(doc, [{ op: 'replace', path: '/status/phase', value: 'X' }, { op: 'test', path: '/status/phase', value: 'Y' }])).toThrow(
      PatchError,
    );
    expect(doc.status.phase).toBe('Pending');
  });
});

describe('decodeJsonPatch', () => {
  it('refuses a body that is not an array of operations with 400', () => {
    expect(err(() => decodeJsonPatch({ op: 'add' })).code).toBe(400);
    expect(err(() => decodeJsonPatch({ op: 'add' })).message).toBe('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
    expect(decodeJsonPatch([{ op: 'add', path: '/a', value: 1 }])).toHaveLength(1);
  });
  it('takes null as the empty patch, as Go decodes null into a nil slice without error', () => {
    expect(decodeJsonPatch(null)).toEqual([]);
    expect(applyJsonPatch({ a: 1 }, decodeJsonPatch(null))).toEqual({ a: 1 });
  });
  it('refuses more than 10000 operations with 413', () => {
    const ops = Array.from({ length: 10001 }, () => ({ op: 'test', path: '/a', value: 1 }));
    expect(err(() => decodeJsonPatch(ops)).code).toBe(413);
  });
});
