import { describe, expect, it } from 'vitest';
import { compileCelRule } from './cel.ts';

describe('compileCelRule (subset)', () => {
  it('evaluates the KubeVirt CRD rules', () => {
    expect(compileCelRule("self.startsWith('/')").check('/mnt')).toBe(true);
    expect(compileCelRule("self.startsWith('/')").check('mnt')).toBe(false);
    expect(compileCelRule("!self.contains('..')").check('/a/../b')).toBe(false);
    expect(compileCelRule('self == true').check(false)).toBe(false);
  });
  it('evaluates common rule shapes', () => {
    const obj = { min: 1, max: 3, name: 'abc', list: [1, 2] };
    expect(compileCelRule('self.min <= self.max').check(obj)).toBe(true);
    expect(compileCelRule('size(self.list) < 2 || has(self.name)').check(obj)).toBe(true);
    expect(compileCelRule('self.name.size() == 3 && self.list[1] == 2').check(obj)).toBe(true);
    expect(compileCelRule("has(self.gone) ? self.gone == 'x' : true").check(obj)).toBe(true);
    expect(compileCelRule("self.name in ['a', 'b']").check(obj)).toBe(false);
    expect(compileCelRule("self.name.matches('^[a-c]+$')").check(obj)).toBe(true);
  });
  it('refuses rules outside the subset and does not enforce runtime errors', () => {
    expect(() => compileCelRule('self.all(x, x > 0)')).not.toThrow();
    expect(compileCelRule('self.all(x, x > 0)').check([1])).toBe(true);
    expect(() => compileCelRule('self == oldSelf')).toThrow();
    expect(compileCelRule('self.missing == 1').check({})).toBe(true);
  });
});
