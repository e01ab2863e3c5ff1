import { describe, expect, it } from 'vitest';
import { applyMergePatch, createMergePatch } from './merge-patch.ts';

describe('applyMergePatch (RFC 7386)', () => {
  it('passes the RFC 7386 appendix examples', () => {
    const cases: Array<[unknown, unknown, unknown]> = [
      [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
      [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
      [{ a: 'b' }, { a: null }, {}],
      [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
      [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
      [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
      [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
      [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
      [{ e: null }, { a: 1 }, { e: null, a: 1 }],
      [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
    ];
    for (const [doc, patch, want] of cases) expect(applyMergePatch(doc, patch)).toEqual(want);
    expect(applyMergePatch({ a: 'foo' }, ['c'])).toEqual(['c']);
  });

  it('does not mutate the input and shares what it did not touch', () => {
    const doc = { metadata: { name: 'v', labels: { a: '1' } }, spec: { x: { y: 1 } }, status: { phase: 'Pending' } };
    const out = applyMergePatch(doc, { status: { phase: 'Running' }, metadata: { labels: { a: null, b: '2' } } });
    expect(doc.status.phase).toBe('Pending');
    expect(doc.metadata.labels).toEqual({ a: '1' });
    expect(out).toEqual({ metadata: { name: 'v', labels: { b: '2' } }, spec: { x: { y: 1 } }, status: { phase: 'Running' } });
    expect(out.spec).toBe(doc.spec);
    const same = applyMergePatch(doc, { spec: { x: { y: 1 } } });
    expect(same.metadata).not.toBe(doc.metadata);
    expect(same.spec).toBe(doc.spec);
  });
});

describe('createMergePatch', () => {
  it('returns null when nothing changed', () => {
    expect(createMergePatch({ a: { b: [1, 2] }, c: 'x' }, { c: 'x', a: { b: [1, 2] } })).toBeNull();
  });
  it('produces the minimal patch, which applied gives the target', () => {
    const from = { metadata: { labels: { a: '1', b: '2' } }, spec: { list: [1, 2], keep: 1 }, status: { phase: 'Pending', old: true } };
    const to = { metadata: { labels: { a: '1', c: '3' } }, spec: { list: [2], keep: 1 }, status: { phase: 'Running' } };
    const patch = createMergePatch(from, to);
    expect(patch).toEqual({ metadata: { labels: { b: null, c: '3' } }, spec: { list: [2] }, status: { phase: 'Running', old: null } });
    expect(applyMergePatch(from, patch)).toEqual(to);
  });
});
