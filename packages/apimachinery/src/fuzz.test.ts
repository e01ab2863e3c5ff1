// Bounded fuzzing of everything a request body reaches: whatever the input, the functions answer
// a value or a PatchError / Error with a message, never a TypeError or a hang.
import { describe, expect, it } from 'vitest';
import { applyJsonPatch, decodeJsonPatch } from './json-patch.ts';
import { applyMergePatch, createMergePatch } from './merge-patch.ts';
import { builtinPatchSchemas } from './patch-schema.ts';
import { applyStrategicMergePatch } from './strategic-merge-patch.ts';
import { compileSchema, checkStructuralSchema } from './structural-schema.ts';
import { serverSideApply, recordUpdate } from './server-side-apply.ts';
import { LabelSelector } from './labels.ts';
import { parseFieldSelector } from './fields.ts';

// Small deterministic PRNG (mulberry32) so a failure reproduces.
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = ['metadata', 'spec', 'status', 'name', 'containers', 'conditions', 'type', 'finalizers', '$patch', '$retainKeys', '$setElementOrder/containers', '$deleteFromPrimitiveList/finalizers', 'a', ''];
function value(r: () => number, depth: number): unknown {
  const x = r();
  if (depth <= 0 || x < 0.3) {
    const y = r();
    if (y < 0.2) return null;
    if (y < 0.4) return Math.floor(r() * 10) - 2;
    if (y < 0.5) return r() < 0.5;
    if (y < 0.7) return ['replace', 'delete', 'merge', 'x', 'name', 'Ready'][Math.floor(r() * 6)];
    return 'v' + Math.floor(r() * 3);
  }
  if (x < 0.6) return Array.from({ length: Math.floor(r() * 4) }, () => value(r, depth - 1));
  const o: Record<string, unknown> = {};
  for (let i = Math.floor(r() * 4); i > 0; i--) o[KEYS[Math.floor(r() * KEYS.length)]!] = value(r, depth - 1);
  return o;
}
const ptr = (r: () => number): string =>
  ['', '/', '/spec', '/spec/containers/0', '/spec/containers/-', '/metadata/finalizers/1', '/a~1b', '/status/x/y', '/spec/containers/x'][Math.floor(r() * 9)]!;

function expectOnlyKnownErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(Error);
    expect(e).not.toBeInstanceOf(TypeError);
    expect(e).not.toBeInstanceOf(RangeError);
    expect((e as Error).message.length).toBeGreaterThan(0);
  }
}

const N = 1500;

describe('fuzzed patches', () => {
  const r = rng(42);
  it('JSON patch answers a document or a PatchError', () => {
    for (let i = 0; i < N; i++) {
      const doc = { metadata: { name: 'x', finalizers: ['a', 'b'] }, spec: { containers: [{ name: 'c' }] }, ...(value(r, 3) as object) };
      const ops = Array.from({ length: 1 + Math.floor(r() * 3) }, () => ({
        op: ['add', 'remove', 'replace', 'move', 'copy', 'test', 'bogus'][Math.floor(r() * 7)]!,
        path: r() < 0.95 ? ptr(r) : (value(r, 1) as string),
        from: ptr(r),
        value: value(r, 2),
      }));
      expectOnlyKnownErrors(() => applyJsonPatch(doc, decodeJsonPatch(r() < 0.9 ? ops : value(r, 2))));
    }
  });
  it('merge and strategic merge patches answer a document or a PatchError', () => {
    const schemas = Object.values(builtinPatchSchemas);
    for (let i = 0; i < N; i++) {
      const doc = { metadata: { name: 'x' }, ...(value(r, 4) as object) };
      const patch = value(r, 4);
      expectOnlyKnownErrors(() => applyMergePatch(doc, patch));
      expectOnlyKnownErrors(() => applyStrategicMergePatch(doc, patch, schemas[i % schemas.length]));
    }
  });
  it('createMergePatch round-trips for documents without nulls', () => {
    // Merge patches cannot carry null members (also inside objects in arrays, as evanphx/json-patch prunes them).
    const noNulls = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map((x) => (x === null ? x : noNulls(x)))
        : v && typeof v === 'object'
          ? Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null).map(([k, x]) => [k, noNulls(x)]))
          : v;
    for (let i = 0; i < N; i++) {
      const from = noNulls({ ...(value(r, 3) as object) }) as Record<string, unknown>;
      const to = noNulls({ ...(value(r, 3) as object) }) as Record<string, unknown>;
      const p = createMergePatch(from, to);
      expect(applyMergePatch(from, p ?? {})).toEqual(to);
    }
  });
  it('server-side apply and recordUpdate answer an object or conflicts', () => {
    for (let i = 0; i < 500; i++) {
      const live = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, ...(value(r, 3) as object) };
      const applied = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, ...(value(r, 3) as object) };
      expectOnlyKnownErrors(() => {
        const first = serverSideApply({ live: undefined, applied: live, manager: 'a', listTypes: builtinPatchSchemas['v1/Pod'] });
        const upd = recordUpdate({ oldObj: first.object, newObj: { ...applied }, manager: 'u', apiVersion: 'v1', listTypes: builtinPatchSchemas['v1/Pod'] });
        serverSideApply({ live: upd, applied, manager: 'b', listTypes: builtinPatchSchemas['v1/Pod'] });
      });
    }
  });
});

describe('fuzzed schemas and selectors', () => {
  const r = rng(7);
  it('structural checks and validation never throw', () => {
    for (let i = 0; i < 500; i++) {
      const schema = { type: 'object', properties: value(r, 3) as Record<string, unknown> };
      expectOnlyKnownErrors(() => checkStructuralSchema(schema, 'spec.versions[0].schema.openAPIV3Schema'));
      expectOnlyKnownErrors(() => {
        const c = compileSchema(schema);
        const obj = { spec: value(r, 3) } as Record<string, unknown>;
        c.admit(obj);
        c.validate(obj);
      });
    }
  });
  it('label and field selector parsing answers requirements or an Error', () => {
    const alphabet = 'ab=!,() in notin x/.-_\\<>';
    for (let i = 0; i < N; i++) {
      const s = Array.from({ length: Math.floor(r() * 16) }, () => alphabet[Math.floor(r() * alphabet.length)]).join('');
      expectOnlyKnownErrors(() => LabelSelector.parse(s).matches({ a: 'b' }));
      expectOnlyKnownErrors(() => parseFieldSelector(s));
    }
  });
});

