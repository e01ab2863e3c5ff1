import { describe, expect, it } from 'vitest';
import { JqSyntaxError } from './errors.ts';
import { parse } from './parser.ts';

function syntaxError(expr: string): JqSyntaxError {
  try {
    parse(expr);
  } catch (e) {
    if (e instanceof JqSyntaxError) return e;
    throw e;
  }
  throw new Error(`expected a syntax error for ${expr}`);
}

describe('jq parser', () => {
  it('parses the selector shapes KWOK stage files use', () => {
    expect(parse('.status.phase')).toEqual({
      k: 'index',
      target: { k: 'index', target: { k: 'identity' }, index: { k: 'literal', value: 'status' } },
      index: { k: 'literal', value: 'phase' },
    });
    // `.a.[]` (jq 1.7 / gojq) is the same as `.a[]`
    expect(parse('.status.conditions.[]')).toEqual(parse('.status.conditions[]'));
    expect(parse('.metadata.labels["x-y"]')).toEqual(parse('.metadata.labels."x-y"'));
    expect(parse('.a | select( .type == "Ready" ) | .status').k).toBe('pipe');
  });

  it('gives `,` lower precedence than `//` and `|` the lowest', () => {
    const n = parse('.a // .b, .c | .d');
    expect(n.k).toBe('pipe');
    if (n.k !== 'pipe') return;
    expect(n.left.k).toBe('comma');
    if (n.left.k !== 'comma') return;
    expect(n.left.left.k).toBe('alt');
  });

  it('binds `as` to the whole expression before it (not past `,`) and the body to the rest of the pipe', () => {
    const n = parse('1 + .a as $x | $x, 2');
    expect(n.k).toBe('bind');
    if (n.k !== 'bind') return;
    expect(n.source.k).toBe('binop');
    expect(n.body.k).toBe('comma');
    const m = parse('1, 2 as $x | $x');
    expect(m.k).toBe('comma');
  });

  it('turns `term.suffix?` into `term | try .suffix` (gojq)', () => {
    expect(parse('.a.b?')).toEqual(parse('.a | try .b'));
    expect(parse('.a[]?')).toEqual(parse('.a | try .[]'));
    expect(parse('(.a.b)?')).toEqual(parse('try (.a.b)'));
  });

  it('parses string interpolation with nested strings', () => {
    const n = parse('"a\\("b\\(1)c")d"');
    expect(n.k).toBe('string');
  });

  it('reports syntax errors with the 0-based offset and what was expected', () => {
    const cases: [string, number, RegExp][] = [
      ['.a[', 3, /unexpected end of input/],
      ['.a | ', 5, /expected a term/],
      ['.a ]', 3, /unexpected "\]", expected end of input/],
      ['{a: 1', 5, /expected "," or "}"/],
      ['if . then 1', 11, /"elif", "else" or "end"/],
      ['1 == 2 == 3', 7, /comparisons do not chain/],
      ['"abc', 4, /unterminated string/],
      ['"\\q"', 1, /invalid escape/],
      ['.a as x | x', 6, /pattern/],
      ['reduce .[] as $x (0)', 19, /";"/],
      ['.foo & 1', 5, /unexpected character "&"/],
      ['def f: 1', 8, /";"/],
    ];
    for (const [expr, pos, message] of cases) {
      const e = syntaxError(expr);
      expect({ expr, pos: e.position }).toEqual({ expr, pos });
      expect(e.expression).toBe(expr);
      expect(e.message).toMatch(message);
      expect(e.message).toContain(`position ${pos}`);
    }
  });

  it('rejects any garbage with a JqSyntaxError inside the expression, never another error', () => {
    const pieces = ['.', 'a', '[', ']', '{', '}', '(', ')', '|', ',', ':', ';', '?', '"', '\\', '$', '@', '1', ' ', '-',
      '*', '=', '<', '!', 'if', 'then', 'else', 'end', 'as', '$x', 'reduce', 'def', 'f', 'try', 'catch', 'label',
      'break', '..', '//', '"\\(', '#', '\n', 'select', 'and', 'not'];
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    let rejected = 0;
    for (let i = 0; i < 20000; i++) {
      let expr = '';
      for (let j = 1 + Math.floor(rnd() * 10); j > 0; j--) expr += pieces[Math.floor(rnd() * pieces.length)];
      try {
        parse(expr);
      } catch (e) {
        expect(e, expr).toBeInstanceOf(JqSyntaxError);
        const pos = (e as JqSyntaxError).position;
        expect(pos >= 0 && pos <= expr.length, `${expr} @${pos}`).toBe(true);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(10000);
  });
});
