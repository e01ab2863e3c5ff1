import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { goYamlKeyLess, marshalGoYaml } from './go-yaml.ts';
import { referencePath } from '@virtsim/testkit/reference';

const REF = referencePath('kwok', 'stages');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

describe('marshalGoYaml (sigs.k8s.io/yaml.Marshal)', () => {
  const outputs = walk(REF).filter((f) => f.endsWith('.output.yaml'));
  it.each(outputs.map((f) => [path.relative(REF, f), f]))('re-emits KWOK golden %s byte for byte', (_n, f) => {
    const text = readFileSync(f, 'utf8');
    expect(marshalGoYaml(parse(text))).toBe(text);
  });

  it('double-quotes strings that YAML 1.1 would read as something else', () => {
    expect(marshalGoYaml({ a: 'yes', b: 'True', c: '2006-01-02T15:04:05Z', d: '1', e: '', f: '0x1F', g: '1:20', h: 'null' })).toBe(
      'a: "yes"\nb: "True"\nc: "2006-01-02T15:04:05Z"\nd: "1"\ne: ""\nf: "0x1F"\ng: "1:20"\nh: "null"\n',
    );
  });

  it('single-quotes strings plain style cannot carry, literal blocks for multi-line text', () => {
    expect(marshalGoYaml({ a: 'x: y', b: '*', c: ' lead', d: 'a\nb', e: 'a\n', f: "it's" })).toBe(
      "a: 'x: y'\nb: '*'\nc: ' lead'\nd: |-\n  a\n  b\ne: |\n  a\nf: it's\n",
    );
  });

  it('writes indentless sequences, nested sequences and empty collections as yaml.v2', () => {
    expect(marshalGoYaml({ l: [[1, 2], { b: [], a: {} }], m: null })).toBe('l:\n- - 1\n  - 2\n- a: {}\n  b: []\nm: null\n');
  });

  it('folds long plain strings at spaces past column 80', () => {
    const s = 'word '.repeat(30).trim();
    const out = marshalGoYaml({ message: s });
    const lines = out.split('\n');
    expect(lines.length).toBeGreaterThan(2);
    expect(lines[1]!.startsWith('  word')).toBe(true);
    expect(parse(out).message).toBe(s);
  });

  it('orders keys as yaml.v2: digits numerically, non-letters before letters', () => {
    const keys = ['b10', 'b9', 'B', 'a', '_x', '10', '9'];
    expect([...keys].sort((x, y) => (goYamlKeyLess(x, y) ? -1 : goYamlKeyLess(y, x) ? 1 : 0))).toEqual(['_x', '9', '10', 'B', 'a', 'b9', 'b10']);
  });

  it('prints non-integral floats as Go strconv g', () => {
    expect(marshalGoYaml({ a: 1.5, b: 1234567.5, c: 0.00001 })).toBe('a: 1.5\nb: 1.2345675e+06\nc: 1e-05\n');
  });
});
