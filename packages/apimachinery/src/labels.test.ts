import { describe, expect, it } from 'vitest';
import { LabelSelector } from './labels.ts';

const L = { app: 'web', tier: 'front', cpu: '8', 'kubevirt.io/nodeName': 'node-1' };

describe('LabelSelector.parse', () => {
  it('matches every operator of the string syntax', () => {
    const cases: Array<[string, boolean]> = [
      ['', true],
      ['app=web', true],
      ['app==web', true],
      ['app!=web', false],
      ['app!=db', true],
      ['missing!=x', true],
      ['app in (web,db)', true],
      ['app notin (web,db)', false],
      ['missing notin (a)', true],
      ['app', true],
      ['!app', false],
      ['!missing', true],
      ['app=web,tier=back', false],
      ['app=web,tier in (front)', true],
      ['kubevirt.io/nodeName=node-1', true],
      ['cpu>4', true],
      ['cpu<4', false],
      ['app>4', false],
      ['  app  =  web  ', true],
      ['app in (in,notin)', false],
    ];
    for (const [s, want] of cases) expect([s, LabelSelector.parse(s).matches(L)]).toEqual([s, want]);
  });
  it('treats "in" and "notin" as values where a value is expected', () => {
    expect(LabelSelector.parse('x in (in)').matches({ x: 'in' })).toBe(true);
  });
  it('accepts empty values and the empty set as k8s does', () => {
    expect(LabelSelector.parse('app=').matches({ app: '' })).toBe(true);
    expect(LabelSelector.parse('x in (foo,,baz)').requirements[0]!.values).toEqual(['', 'baz', 'foo']);
    expect(LabelSelector.parse('x notin ()').requirements[0]!.values).toEqual(['']);
  });
  it('sorts requirements by key and prints them back', () => {
    expect(LabelSelector.parse('z=1,a in (b,a),!m').toString()).toBe('a in (a,b),!m,z=1');
    expect(LabelSelector.parse('').isEmpty()).toBe(true);
  });
  it('refuses bad syntax with the parser message', () => {
    expect(() => LabelSelector.parse('app=web,')).toThrow("found '', expected: identifier after ','");
    expect(() => LabelSelector.parse('app=web tier=x')).toThrow("found 'tier', expected: ',' or 'end of string'");
    expect(() => LabelSelector.parse('x in a')).toThrow("unable to parse requirement: found 'a' expected: '('");
    expect(() => LabelSelector.parse('a b')).toThrow("unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt");
    expect(() => LabelSelector.parse('=x')).toThrow("found '=', expected: !, identifier, or 'end of string'");
    expect(() => LabelSelector.parse('!a=b')).toThrow("found '=', expected: ',' or 'end of string'");
    expect(() => LabelSelector.parse('a@b=c')).toThrow(/unable to parse requirement: <nil>: Invalid value: "a@b": name part must consist of/);
    expect(() => LabelSelector.parse('a=b@c')).toThrow(/Invalid value: "b@c": a valid label must be an empty string/);
    expect(() => LabelSelector.parse('cpu>x')).toThrow("for 'Gt', 'Lt' operators, the value must be an integer");
  });
});

describe('LabelSelector.fromObject', () => {
  it('combines matchLabels and matchExpressions', () => {
    const s = LabelSelector.fromObject({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['front', 'mid'] },
        { key: 'gone', operator: 'DoesNotExist' },
        { key: 'cpu', operator: 'Gt', values: ['7'] },
      ],
    });
    expect(s.matches(L)).toBe(true);
    expect(s.matches({ ...L, gone: 'x' })).toBe(false);
    expect(s.requirements.map((r) => r.operator)).toEqual(['=', 'gt', '!', 'in']);
  });
  it('selects everything for {} and nothing for null', () => {
    expect(LabelSelector.fromObject({}).matches({})).toBe(true);
    expect(LabelSelector.fromObject({}).isEmpty()).toBe(true);
    expect(LabelSelector.fromObject(null).matches({})).toBe(false);
    expect(LabelSelector.fromObject(null).isEmpty()).toBe(false);
  });
  it('refuses unknown operators and empty In sets', () => {
    expect(() => LabelSelector.fromObject({ matchExpressions: [{ key: 'a', operator: 'Equals', values: ['b'] }] })).toThrow(
      '"Equals" is not a valid label selector operator',
    );
    expect(() => LabelSelector.fromObject({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] })).toThrow(
      "values set can't be empty",
    );
    expect(() => LabelSelector.fromObject({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] })).toThrow(
      'values set must be empty for exists and does not exist',
    );
  });
});
