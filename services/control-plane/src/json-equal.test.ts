import { describe, expect, it } from 'vitest';
import { seededRandom } from '@virtsim/testkit/fuzz';
import { same, sortedJson } from './json-equal.ts';

/** The definition: equal when their JSON with sorted keys is. */
const asJson = (a: unknown, b: unknown) => sortedJson(a ?? null) === sortedJson(b ?? null);

const LEAVES: unknown[] = ['Running', '', 'True', 0, -0, 1, 2.5, NaN, Infinity, true, false, null, undefined, new Date(0), '1970-01-01T00:00:00.000Z'];

function value(r: () => number, depth: number): unknown {
  const x = r();
  if (depth > 3 || x < 0.4) return LEAVES[Math.floor(r() * LEAVES.length)];
  if (x < 0.7) return Array.from({ length: Math.floor(r() * 4) }, () => value(r, depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = Math.floor(r() * 5); i > 0; i--) o[`k${Math.floor(r() * 6)}`] = value(r, depth + 1);
  return o;
}

/** A variant of v: keys reordered, undefined keys added or dropped, and now and then a leaf changed. */
function variant(r: () => number, v: unknown): unknown {
  if (Array.isArray(v)) return v.map((e) => variant(r, e));
  if (v && typeof v === 'object' && !(v instanceof Date)) {
    const entries = Object.entries(v).map(([k, e]) => [k, variant(r, e)] as const);
    entries.sort(() => r() - 0.5);
    const o: Record<string, unknown> = Object.fromEntries(entries);
    if (r() < 0.3) o[`u${Math.floor(r() * 3)}`] = undefined;
    return o;
  }
  return r() < 0.15 ? LEAVES[Math.floor(r() * LEAVES.length)] : v;
}

describe('same', () => {
  it('ignores key order and keys whose value is undefined, as JSON does', () => {
    expect(same({ phase: 'Running', reason: undefined }, { phase: 'Running' })).toBe(true);
    expect(same({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 })).toBe(true);
    expect(same([undefined], [null])).toBe(true);
    expect(same(undefined, null)).toBe(true);
  });

  it('tells apart what the API would see differently', () => {
    expect(same({ phase: 'Running' }, { phase: 'Scheduled' })).toBe(false);
    expect(same({ a: 1 }, { a: 1, b: null })).toBe(false);
    expect(same([1, 2], [2, 1])).toBe(false);
    expect(same({ a: 1 }, [1])).toBe(false);
    expect(same('1', 1)).toBe(false);
    expect(same([{ type: 'Ready', status: 'True' }], [{ type: 'Ready', status: 'False' }])).toBe(false);
  });

  it('agrees with comparing sorted JSON on 20,000 random pairs (seeded)', () => {
    const r = seededRandom(20261207);
    let equal = 0;
    for (let i = 0; i < 20_000; i++) {
      const a = value(r, 0);
      const b = r() < 0.8 ? variant(r, a) : value(r, 0);
      const want = asJson(a, b);
      if (want) equal++;
      if (same(a, b) !== want) expect({ case: i, a: sortedJson(a), b: sortedJson(b), same: same(a, b) }).toEqual({ case: i, a: sortedJson(a), b: sortedJson(b), same: want });
    }
    // Both outcomes were exercised.
    expect(equal).toBeGreaterThan(2_000);
    expect(equal).toBeLessThan(18_000);
  });
});
