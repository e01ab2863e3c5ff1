// printf as Go's fmt formats template values.

import { describe, expect, it } from 'vitest';
import { parseTemplate } from './index.ts';

const run = (src: string, data: unknown = {}) => parseTemplate(src).execute(data);

describe('printf', () => {
  const cases: [string, string][] = [
    ['{{ printf "%d|%5d|%-5d|%05d|%+d" 42 42 42 42 42 }}', '42|   42|42   |00042|+42'],
    ['{{ printf "%x|%X|%#x|%o|%b|%x" 255 255 255 8 5 -255 }}', 'ff|FF|0xff|10|101|-ff'],
    ['{{ printf "%c|%q|%U" 65 65 128512 }}', "A|'A'|U+1F600"],
    ['{{ printf "%s|%10s|%-4s|%.2s|%8.3s" "ab" "ab" "ab" "abc" "abcdef" }}', 'ab|        ab|ab  |ab|     abc'],
    ['{{ printf "%q" "a\\"b\\n\\x01é" }}', '"a\\"b\\n\\x01é"'],
    ['{{ printf "%x|%X" "hi" "hi" }}', '6869|6869'],
    ['{{ printf "%f|%.2f|%6.2f|%e|%E|%g|%g|%v" 3.14159 3.14159 3.14159 1234.5678 1234.5678 1e6 0.5 2.0 }}', '3.141590|3.14|  3.14|1.234568e+03|1.234568E+03|1e+06|0.5|2'],
    ['{{ printf "%t|%v" true false }}', 'true|false'],
    ['{{ printf "%%|%v|%s" .m .l }}', '%|map[a:1 b:x]|[x y]'],
    ['{{ printf "%T|%T|%T|%T|%T|%T|%T" 1 1.5 "s" true .n .m .l }}', 'int|float64|string|bool|json.Number|map[string]interface {}|[]interface {}'],
  ];
  for (const [src, want] of cases) {
    it(src, () => {
      expect(run(src, { m: { b: 'x', a: 1 }, l: ['x', 'y'], n: 5 })).toBe(want);
    });
  }

  it('formats data numbers (json.Number) as strings: %s and %v work, %d is a bad verb', () => {
    expect(run('{{ printf "%s|%v|%d" .n .n .n }}', { n: 5 })).toBe('5|5|%!d(json.Number=5)');
  });
  it('reports bad verbs, missing and extra operands as Go does', () => {
    expect(run('{{ printf "%d|%s|%f" "x" 1 2 }}')).toBe('%!d(string=x)|%!s(int=1)|%!f(int=2)');
    expect(run('{{ printf "%d %d" 1 }}')).toBe('1 %!d(MISSING)');
    expect(run('{{ printf "%d" 1 2 "x" }}')).toBe('1%!(EXTRA int=2, string=x)');
    expect(run('{{ printf "%s|%v|%d" nil nil .nope }}')).toBe('%!s(<nil>)|<nil>|%!d(<nil>)');
  });
  it('takes widths from arguments with *', () => {
    expect(run('{{ printf "%*d|%-*d|" 4 7 3 7 }}')).toBe('   7|7  |');
  });
  it('requires a string format', () => {
    expect(() => run('{{ printf .n }}', { n: 1 })).toThrow('wrong type for value; expected string; got json.Number');
  });
});

describe('print and println spacing', () => {
  it('adds spaces only between two non-string operands (json.Number counts as a string)', () => {
    expect(run('{{ print 1 2 }}|{{ print "a" 1 }}|{{ print 1 "a" }}|{{ print .n .n }}|{{ print true false }}', { n: 7 })).toBe('1 2|a1|1a|77|true false');
    expect(run('{{ println "a" "b" 1 }}')).toBe('a b 1\n');
  });
});
