import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FALLBACK, fastYamlToJson } from './fast-yaml.ts';
import { fullYamlToJson } from './yaml11.ts';

// The KWOK stage files beside the stage engine are the YAML this fast path exists for.
const TESTDATA = path.resolve(import.meta.dirname, '../../stages/testdata');
const files = readdirSync(TESTDATA, { recursive: true, withFileTypes: true })
  .filter((e) => e.isFile() && e.name.endsWith('.yaml'))
  .map((e) => path.join(e.parentPath, e.name));

describe('fastYamlToJson', () => {
  it.each(files.map((f) => [path.relative(TESTDATA, f), f]))('agrees with the full YAML 1.1 parser or defers: %s', (_n, f) => {
    const text = readFileSync(f, 'utf8');
    if (text.includes('\n---')) return;
    const fast = fastYamlToJson(text);
    if (fast !== FALLBACK) expect(fast).toEqual(fullYamlToJson(text));
  });

  const cases: [string, unknown][] = [
    ['a: 1\nb: "x: y"\nc: \'it\'\'s\'\nd: yes\ne: ~\nf: 1.5\ng: 10.0.0.1\nh: 2006-01-02T15:04:05Z\ni: {}\nj: []\nk:\n', {
      a: 1, b: 'x: y', c: "it's", d: true, e: null, f: 1.5, g: '10.0.0.1', h: '2006-01-02T15:04:05Z', i: {}, j: [], k: null,
    }],
    ['list:\n- a: 1\n  b:\n  - x\n  - y\n- - z\n', FALLBACK],
    ['list:\n- a: 1\n  b:\n  - x\n  - "y"\n-\n- plain text # comment\nafter: 2\n', { list: [{ a: 1, b: ['x', 'y'] }, null, 'plain text'], after: 2 }],
    ['  nested:\n    deep: 1\n  other: true\n', { nested: { deep: 1 }, other: true }],
    ['a: |\n  text\n', FALLBACK],
    ['a: &x 1\n', FALLBACK],
    ['a: [1, 2]\n', FALLBACK],
    ['a: b\n  continued\n', FALLBACK],
    ['a: 0777\n', FALLBACK],
    ['', null],
    ['# only a comment\n', null],
    ['"quoted key": "esc \\" \\u00e9"\n', { 'quoted key': 'esc " é' }],
  ];
  it.each(cases.map(([t, v]) => [JSON.stringify(t), t, v] as const))('%s', (_n, text, want) => {
    const got = fastYamlToJson(text);
    expect(got).toEqual(want);
    if (want !== FALLBACK) expect(got).toEqual(fullYamlToJson(text));
  });
});
