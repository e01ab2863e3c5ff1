// Parse errors: Go's wording, with the line and the column (byte offset in
// the line, as Go's ErrorContext counts it) of the offending token.

import { describe, expect, it } from 'vitest';
import { parseTemplate, TemplateParseError } from './index.ts';

function parseError(src: string, funcNames: string[] = []): TemplateParseError {
  try {
    parseTemplate(src, { name: 't', funcNames });
  } catch (e) {
    expect(e).toBeInstanceOf(TemplateParseError);
    return e as TemplateParseError;
  }
  throw new Error(`expected ${JSON.stringify(src)} not to parse`);
}

describe('parse errors', () => {
  const cases: [string, string, number, number][] = [
    // source, reason, line, column
    ['{{ .a', 'unclosed action', 1, 5],
    ['line one\n  {{ foo }}', 'function "foo" not defined', 2, 5],
    ['{{ if .a }}x', 'unexpected EOF', 1, 12],
    ['a\n{{ end }}', 'unexpected {{end}}', 2, 3],
    ['{{ else }}', 'unexpected {{else}}', 1, 3],
    ['{{ $x }}', 'undefined variable "$x"', 1, 3],
    ['{{ "abc }}', 'unterminated quoted string', 1, 3],
    ['{{ `abc }}', 'unterminated raw quoted string', 1, 3],
    ['{{ 3x }}', 'bad number syntax: "3x"', 1, 3],
    ['{{ .a | 3 }}', 'non executable command in pipeline stage 2', 1, 8],
    ['{{ break }}', '{{break}} outside {{range}}', 1, 3],
    ['{{ range . }}{{ continue 1 }}{{ end }}', 'unexpected "1" in {{continue}}', 1, 25],
    ['{{ range $i, $j, $k := . }}{{ end }}', 'too many declarations in range', 1, 15],
    ['{{ /* c */ }}', 'unexpected "/" in command', 1, 3],
    ['{{/* c */ x }}', 'comment ends before closing delimiter', 1, 9],
    ['{{/* c ', 'unclosed comment', 1, 2],
    ['{{ ) }}', 'unexpected ")" in command', 1, 3],
    ['{{ 1e }}', 'illegal number syntax: "1e"', 1, 3],
    ["{{ '\\x' }}", 'invalid syntax', 1, 3],
    ['{{ with 1 }}{{ else if 1 }}{{ end }}', 'unexpected <if> in input', 1, 20],
    ['{{ "\u00e9" }}{{ .a \u0001 }}', 'unrecognized character in action: U+0001', 1, 16],
    ['{{ (1 }}', 'unclosed left paren', 1, 6],
    ['{{ define "x" }}abc', 'unexpected EOF', 1, 19],
    ['{{ if }}{{ end }}', 'missing value for if', 1, 6],
    ['{{ template .x }}', 'unexpected ".x" in template clause', 1, 12],
    ['{{ template . }}', 'unexpected <.> in template clause', 1, 12],
    ['{{ 1.a }}', 'bad number syntax: "1.a"', 1, 3],
    ['{{ true.a }}', 'unexpected . after term "true"', 1, 3],
    ['{{ .a b }}', 'function "b" not defined', 1, 6],
    ['{{ $x := 1 }}{{ if true }}{{ $y := 2 }}{{ end }}{{ $y }}', 'undefined variable "$y"', 1, 51],
    ['{{ define "x" }}a{{ end }}{{ define "x" }}b{{ end }}', 'template: multiple definition of template "x"', 1, 36],
    ['héllo {{ .a ! }}', 'unexpected "!" in operand', 1, 13],
  ];
  for (const [src, reason, line, column] of cases) {
    it(`${JSON.stringify(src)} -> ${reason}`, () => {
      const e = parseError(src);
      expect(e.reason).toBe(reason);
      expect([e.line, e.column]).toEqual([line, column]);
      expect(e.message).toBe(`template: t:${line}:${column}: ${reason}`);
    });
  }

  it('names the template given in the options (KWOK uses "_")', () => {
    expect(() => parseTemplate('{{ nope }}')).toThrow('template: _:1:3: function "nope" not defined');
  });

  it('accepts functions declared at parse time', () => {
    expect(() => parseTemplate('{{ Now | Quote }}', { funcNames: ['Now', 'Quote'] })).not.toThrow();
  });
});

describe('parses every construct', () => {
  const ok = [
    '{{/* comment */}}text{{- /* trimmed */ -}}',
    '{{ $x := 1 }}{{ $x = 2 }}{{ $ }}',
    '{{ if .a }}{{ else if .b }}{{ else }}{{ end }}',
    '{{ with .a }}{{ else with .b }}{{ else }}{{ end }}',
    '{{ range $i, $v := .l }}{{ break }}{{ continue }}{{ else }}{{ end }}',
    '{{ range $v := .l }}{{ end }}{{ range .m }}{{ end }}',
    '{{ define "a" }}x{{ end }}{{ template "a" . }}{{ block "b" .x }}y{{ end }}',
    '{{ (index .l 0).name }}{{ $.a.b }}{{ .a | printf "%s" | len }}',
    "{{ 'a' }}{{ 0x1F }}{{ 1_000 }}{{ -2.5e3 }}{{ 0o17 }}{{ 0b101 }}{{ nil | not }}",
    '{{ and 1 (or 0 "x") (not false) (eq 1 1 2) (ne "a" "b") (lt 1 2) (le 1 1) (gt 2 1) (ge 2 2) }}',
    '{{ print }}{{ println }}{{ html "" }}{{ js "" }}{{ urlquery "" }}{{ slice "abc" 1 }}{{ call .f }}',
    '{{\n  .a\n}}',
  ];
  for (const src of ok) {
    it(JSON.stringify(src), () => {
      expect(() => parseTemplate(src)).not.toThrow();
    });
  }
});
