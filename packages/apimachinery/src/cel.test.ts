import { describe, expect, it } from 'vitest';
import { CelScalar, celFunc } from '@bufbuild/cel';
import { CelEnvironment, CelSyntaxError, compileCelRule, toCelInput } from './cel.ts';

describe('compileCelRule', () => {
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
  it('refuses transition rules and does not enforce runtime errors', () => {
    expect(() => compileCelRule('self.all(x, x > 0)')).not.toThrow();
    expect(compileCelRule('self.all(x, x > 0)').check([1])).toBe(true);
    expect(() => compileCelRule('self == oldSelf')).toThrow();
    expect(compileCelRule('self.missing == 1').check({})).toBe(true);
  });
});

describe('CelEnvironment', () => {
  it('gives each evaluation the clock its caller passes, and none after it', () => {
    const env = new CelEnvironment((ctx) => [celFunc('NowMs', [], CelScalar.DOUBLE, () => ctx().nowMs)]);
    const prog = env.compile('NowMs() + 1.0');
    expect(prog.eval({}, { nowMs: 41, random: () => 0 })).toBe(42);
    expect(prog.eval({}, { nowMs: 9, random: () => 0 })).toBe(10);
    expect(prog.eval({})).toBe(1);
  });
  it('reports syntax errors with their line and column, and CEL errors as Error', () => {
    const env = new CelEnvironment();
    expect(() => env.compile('self.a ==')).toThrow(CelSyntaxError);
    expect(() => env.compile('self.a').eval({ self: toCelInput({}) })).toThrow(Error);
    expect(env.compile('self.a + 1').eval({ self: toCelInput({ a: 1 }) })).toBe(2n);
  });
});
