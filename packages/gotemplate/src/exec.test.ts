// Execution semantics against Go's text/template over KWOK's data model: the
// object decoded from JSON with UseNumber, so data numbers are json.Number
// (printed as written, compared as strings, always truthy), while number
// literals in the template are Go ints and float64s.

import { describe, expect, it } from 'vitest';
import { markNative, parseTemplate, sprigFuncs, TemplateExecError, withSignature } from './index.ts';
import type { FuncMap } from './index.ts';

function run(src: string, data: unknown = {}, funcs?: FuncMap): string {
  return parseTemplate(src, { name: 't', funcNames: funcs ? Object.keys(funcs) : [] }).execute(data, funcs);
}

function execError(src: string, data: unknown = {}, funcs?: FuncMap): string {
  try {
    run(src, data, funcs);
  } catch (e) {
    expect(e).toBeInstanceOf(TemplateExecError);
    return (e as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(src)} to fail`);
}

describe('text, comments and trimming', () => {
  it('trims whitespace on the marked side only', () => {
    expect(run('a  {{- 1 -}}  b')).toBe('a1b');
    expect(run('a  {{- 1 }}  b')).toBe('a1  b');
    expect(run('a \n {{ 1 -}} \n b')).toBe('a \n 1b');
    expect(run('x {{- /* gone */ -}} y')).toBe('xy');
    expect(run('{{/* c */}}z')).toBe('z');
  });
  it('reads "{{-3}}" as the number -3, not a trim marker', () => {
    expect(run('a {{-3}}')).toBe('a -3');
  });
  it('allows actions across lines', () => {
    expect(run('{{\n  .a\n}}', { a: 'x' })).toBe('x');
  });
});

describe('fields and missing values', () => {
  const data = { a: { b: 'B' }, n: null, s: 'str', l: [1, 2] };
  it('prints <no value> for a missing key, at any depth', () => {
    expect(run('{{ .nope }}|{{ .nope.deeper }}|{{ .a.nope }}', data)).toBe('<no value>|<no value>|<no value>');
  });
  it('prints <no value> for a null field (the nil interface is dug out), <nil> through print', () => {
    expect(run('{{ .n }}|{{ print .n }}|{{ print .nope }}', data)).toBe('<no value>|<nil>|<nil>');
  });
  it('walks nested maps and the root with $', () => {
    expect(run('{{ .a.b }}{{ with .a }}{{ .b }}{{ $.s }}{{ end }}', data)).toBe('BBstr');
  });
  it('fails walking through null, as Go does for a nil interface', () => {
    // Go positions a field chain at its second field.
    expect(execError('{{ .n.x }}', data)).toBe('template: t:1:5: executing "t" at <.n.x>: nil pointer evaluating interface {}.x');
  });
  it('fails on a field of a non-map', () => {
    // A value taken from a map has Go type interface {}; a variable holds the concrete value.
    expect(execError('{{ .s.x }}', data)).toBe('template: t:1:5: executing "t" at <.s.x>: can\'t evaluate field x in type interface {}');
    expect(execError('{{ $s := .s }}{{ $s.x }}', data)).toContain("can't evaluate field x in type string");
    expect(execError('{{ .l.x }}', data)).toContain("can't evaluate field x in type interface {}");
  });
  it('does not confuse map keys with Object.prototype members', () => {
    expect(run('{{ .toString }}|{{ .constructor }}|{{ .__proto__ }}', {})).toBe('<no value>|<no value>|<no value>');
  });
  it('evaluates fields on a parenthesized pipeline', () => {
    expect(run('{{ (index .items 1).name }}', { items: [{ name: 'a' }, { name: 'b' }] })).toBe('b');
  });
});

describe('printing values as Go does', () => {
  it('formats maps (sorted keys), slices, nil elements and bools', () => {
    expect(run('{{ . }}', { b: [1, 'x', null], a: { z: true, y: false } })).toBe('map[a:map[y:false z:true] b:[1 x <nil>]]');
  });
  it('prints data numbers as their JSON text (json.Number)', () => {
    expect(run('{{ .a }} {{ .b }} {{ .c }} {{ .d }}', { a: 1000000, b: 1.5, c: -3, d: 1e21 })).toBe('1000000 1.5 -3 1e+21');
  });
  it('prints int literals as ints and float literals as Go float64 (%g, shortest)', () => {
    expect(run('{{ 1000000 }} {{ 1e6 }} {{ 1.0 }} {{ 1.5 }} {{ 123456789.0 }} {{ 0.0001 }} {{ 0.00001 }} {{ 0x10 }} {{ \'a\' }}'))
      .toBe('1000000 1e+06 1 1.5 1.23456789e+08 0.0001 1e-05 16 97');
  });
  it('prints strings raw and rejects printing functions', () => {
    expect(run('{{ "a\\tb" }}{{ `raw\\n` }}')).toBe('a\tbraw\\n');
    expect(execError('{{ .f }}', { f: () => 1 })).toContain("can't print .f of type");
  });
});

describe('variables', () => {
  it('declares, assigns and scopes variables', () => {
    expect(run('{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ $y := 3 }}{{ $y }}{{ end }}{{ $x }}')).toBe('32');
  });
  it('lets inner declarations shadow and then restores the outer variable', () => {
    expect(run('{{ $x := "o" }}{{ with 1 }}{{ $x := "i" }}{{ $x }}{{ end }}{{ $x }}')).toBe('io');
  });
  it('keeps assignments made inside range (KWOK node-initialize relies on it)', () => {
    const src = '{{ $has := false }}{{ range .addrs }}{{ if eq .type "InternalIP" }}{{ $has = true }}{{ end }}{{ end }}{{ $has }}';
    expect(run(src, { addrs: [{ type: 'Hostname' }, { type: 'InternalIP' }] })).toBe('true');
    expect(run(src, { addrs: [] })).toBe('false');
  });
  it('prints nothing for a declaration', () => {
    expect(run('[{{ $x := 5 }}]')).toBe('[]');
  });
});

describe('if, with, range', () => {
  it('uses Go truthiness: empty string/list/map, false, 0 and missing are false', () => {
    const src = '{{ if .v }}T{{ else }}F{{ end }}';
    for (const v of ['', [], {}, false, null, undefined]) expect(run(src, { v })).toBe('F');
    for (const v of ['x', [0], { a: 1 }, true]) expect(run(src, { v })).toBe('T');
    expect(run('{{ if 0 }}T{{ else }}F{{ end }}{{ if 0.0 }}T{{ else }}F{{ end }}')).toBe('FF');
  });
  it('treats a data number, even 0, as true (json.Number is a non-empty string)', () => {
    expect(run('{{ if .zero }}T{{ else }}F{{ end }}', { zero: 0 })).toBe('T');
  });
  it('chains else if / else with', () => {
    const src = '{{ if eq .x 1 }}one{{ else if eq .x 2 }}two{{ else }}many{{ end }}';
    expect([1n, 2n, 3n].map((x) => run(src.replaceAll('.x', `${x}`)))).toEqual(['one', 'two', 'many']);
    expect(run('{{ with .a }}A{{ else with .b }}{{ . }}{{ else }}none{{ end }}', { b: 'B' })).toBe('B');
  });
  it('ranges over lists with index and element, and over maps in key order', () => {
    expect(run('{{ range $i, $v := .l }}{{ $i }}={{ $v }} {{ end }}', { l: ['a', 'b'] })).toBe('0=a 1=b ');
    expect(run('{{ range $k, $v := .m }}{{ $k }}={{ $v }} {{ end }}', { m: { b: 2, a: 1, c: 3 } })).toBe('a=1 b=2 c=3 ');
    expect(run('{{ range .l }}[{{ . }}]{{ end }}', { l: [1, 2] })).toBe('[1][2]');
    expect(run('{{ range $v := .l }}{{ $v }}{{ end }}', { l: ['x', 'y'] })).toBe('xy');
  });
  it('ranges over an int (Go 1.22)', () => {
    expect(run('{{ range 3 }}{{ . }}{{ end }}')).toBe('012');
  });
  it('runs else for empty or missing collections and fails on non-iterables', () => {
    expect(run('{{ range .l }}x{{ else }}empty{{ end }}', { l: [] })).toBe('empty');
    expect(run('{{ range .nope }}x{{ else }}empty{{ end }}', {})).toBe('empty');
    expect(execError('{{ range .s }}{{ end }}', { s: 'abc' })).toContain("range can't iterate over abc");
  });
  it('supports break and continue', () => {
    expect(run('{{ range .l }}{{ if eq . "c" }}{{ break }}{{ end }}{{ if eq . "a" }}{{ continue }}{{ end }}{{ . }}{{ end }}', { l: ['a', 'b', 'c', 'd'] })).toBe('b');
  });
});

describe('define, template, block', () => {
  it('invokes templates with their own $ and no inherited variables', () => {
    expect(run('{{ define "t2" }}<{{ . }}|{{ $ }}>{{ end }}{{ $x := 1 }}{{ template "t2" .a }}', { a: 'A' })).toBe('<A|A>');
    expect(run('{{ block "b" .a }}[{{ . }}]{{ end }}', { a: 'A' })).toBe('[A]');
    expect(run('{{ define "x" }}none{{ end }}{{ template "x" }}')).toBe('none');
  });
  it('keeps a definition when the same name is later defined empty, and lets defines fill an empty main body', () => {
    expect(run('{{ define "x" }}X{{ end }}{{ define "x" }} {{ end }}{{ template "x" }}')).toBe('X');
    const t = parseTemplate('{{ define "t" }}from define{{ end }}', { name: 't' });
    expect(t.execute({})).toBe('from define');
  });
  it('recurses', () => {
    const src = '{{ define "r" }}{{ .n }}{{ with .c }}>{{ template "r" . }}{{ end }}{{ end }}{{ template "r" . }}';
    expect(run(src, { n: 1, c: { n: 2, c: { n: 3 } } })).toBe('1>2>3');
  });
  it('reports an undefined template at execution', () => {
    expect(execError('{{ template "missing" }}')).toBe('template: t:1:12: executing "t" at <{{template "missing"}}>: template "missing" not defined');
  });
  it('names the executing template in errors raised inside it', () => {
    expect(execError('{{ define "in" }}{{ .a.b }}{{ end }}{{ template "in" . }}', { a: null })).toContain('executing "in" at <.a.b>');
  });
});

describe('builtin functions', () => {
  it('and/or return the deciding operand and short-circuit', () => {
    expect(run('{{ or .a "d" }}|{{ or "" 0 }}|{{ and 1 "x" }}|{{ and 0 (index .l 9) }}', { l: [] })).toBe('d|0|x|0');
    expect(run('{{ .a | or "" }}', { a: 'piped' })).toBe('piped');
  });
  it('not, len (bytes), index, slice', () => {
    expect(run('{{ not "" }} {{ len "héllo" }} {{ len .l }} {{ len .m }}', { l: [1, 2], m: { a: 1 } })).toBe('true 6 2 1');
    expect(run('{{ index .l 1 }} {{ index .m "k" }} {{ index .m "nope" }} {{ index .n "a" 0 }}', { l: ['x', 'y'], m: { k: 'v' }, n: { a: ['deep'] } }))
      .toBe('y v <no value> deep');
    expect(run('{{ slice "hello" 1 3 }} {{ slice .l 1 }}', { l: [1, 2, 3] })).toBe('el [2 3]');
  });
  it('reports index errors as Go does', () => {
    expect(execError('{{ index .l 5 }}', { l: [] })).toBe('template: t:1:3: executing "t" at <index .l 5>: error calling index: index out of range: 5');
    expect(execError('{{ index .nope 0 }}')).toContain('error calling index: index of untyped nil');
    expect(execError('{{ index .l "a" }}', { l: [1] })).toContain('cannot index slice/array with type string');
    expect(execError('{{ index .m 1 }}', { m: {} })).toContain('value has type int; should be string');
  });
  it('compares with eq (several operands), ne, lt, le, gt, ge', () => {
    expect(run('{{ eq 1 2 3 1 }} {{ ne "a" "b" }} {{ lt 1 2 }} {{ le 2 2 }} {{ gt "b" "a" }} {{ ge 1.5 2.5 }}')).toBe('true true true true true false');
    expect(run('{{ eq .nope "x" }} {{ eq .nope .nada }} {{ eq .b true }}', { b: true })).toBe('false true true');
  });
  it('compares data numbers as json.Number: equal to their text, incompatible with ints', () => {
    expect(run('{{ eq .n "5" }}', { n: 5 })).toBe('true');
    expect(execError('{{ eq .n 5 }}', { n: 5 })).toBe('template: t:1:3: executing "t" at <eq .n 5>: error calling eq: incompatible types for comparison: json.Number and int');
    expect(execError('{{ lt 1 1.5 }}')).toContain('incompatible types for comparison: int and float64');
    expect(execError('{{ lt .m 1 }}', { m: {} })).toContain('error calling lt: invalid type for comparison');
    expect(execError('{{ eq 1 }}')).toContain('error calling eq: missing argument for comparison');
  });
  it('checks builtin arity', () => {
    expect(execError('{{ not 1 2 }}')).toBe('template: t:1:3: executing "t" at <not>: wrong number of args for not: want 1 got 2');
  });
  it('print, println, printf through pipelines', () => {
    expect(run('{{ print 1 2 "a" "b" 3 }}|{{ println "x" 1 }}|{{ "x" | printf "%s-%s" "a" }}')).toBe('1 2ab3|x 1\n|a-x');
  });
  it('html, js and urlquery escape like Go', () => {
    expect(run(`{{ html "<a href='x'>&\\"" }}`)).toBe('&lt;a href=&#39;x&#39;&gt;&amp;&#34;');
    expect(run(`{{ js "it's <b>=\\n" }}`)).toBe("it\\'s \\u003Cb\\u003E\\u003D\\u000A");
    expect(run('{{ urlquery "a b&c/é" }}')).toBe('a+b%26c%2F%C3%A9');
  });
  it('call invokes a function value', () => {
    expect(run('{{ call .f 2 }}', { f: (x: bigint) => x * 2n })).toBe('4');
  });
  it('fails on nil as a command', () => {
    expect(execError('{{ nil }}')).toContain('nil is not a command');
  });
});

describe('functions supplied at execute time', () => {
  it('hands plain JS numbers and null to functions not marked native', () => {
    const seen: unknown[] = [];
    const funcs: FuncMap = { f: (...a: unknown[]) => (seen.push(...a), 'ok') };
    expect(run('{{ f 1 2.5 .nope "s" true }}', {}, funcs)).toBe('ok');
    expect(seen).toEqual([1, 2.5, null, 's', true]);
  });
  it('converts Go numbers inside lists and dicts the template built', () => {
    let got: unknown;
    const funcs: FuncMap = { ...sprigFuncs, see: (v: unknown) => ((got = v), '') };
    parseTemplate('{{ see (dict "i" 1 "f" 1.5 "l" (list 2 "x")) }}', { funcNames: Object.keys(funcs) }).execute({}, funcs);
    expect(got).toEqual({ i: 1, f: 1.5, l: [2, 'x'] });
  });
  it('gives functions marked native the Go values as they are', () => {
    const seen: unknown[] = [];
    const funcs: FuncMap = { raw: markNative((...a: unknown[]) => (seen.push(...a), '')) };
    run('{{ raw 1 .nope }}', {}, funcs);
    expect(seen).toEqual([1n, undefined]);
  });
  it('checks arguments of functions given Go parameter types', () => {
    const funcs: FuncMap = { twice: withSignature((n: number) => n * 2, 'i') };
    expect(run('{{ twice 21 }}', {}, funcs)).toBe('42');
    expect(execError('{{ twice .n }}', { n: 21 }, funcs)).toContain('at <.n>: wrong type for value; expected int; got json.Number');
  });
  it('pipes the previous value as the last argument', () => {
    const funcs: FuncMap = { wrap: (a: string, b: string) => `${a}(${b})` };
    expect(run('{{ "in" | wrap "f" }}', {}, funcs)).toBe('f(in)');
  });
  it('reports errors thrown by functions as "error calling"', () => {
    const funcs: FuncMap = { boom: () => { throw new Error('bad input'); } };
    expect(execError('x\n  {{ boom }}', {}, funcs)).toBe('template: t:2:5: executing "t" at <boom>: error calling boom: bad input');
  });
  it('reports a function declared at parse time but absent at execution', () => {
    const t = parseTemplate('{{ gone }}', { name: 't', funcNames: ['gone'] });
    expect(() => t.execute({}, {})).toThrow('template: t:1:3: executing "t" at <gone>: "gone" is not a defined function');
  });
  it('lets supplied functions override builtins, as Go does', () => {
    expect(run('{{ len "abc" }}', {}, { len: () => 'mine' })).toBe('mine');
  });
  it('shows the whole failing node as context, as current Go does', () => {
    expect(execError('{{ index .someLongField "key" "x" }}', { someLongField: { key: 'v' } })).toContain('at <index .someLongField "key" "x">: error calling index: cannot index slice/array with type string');
  });
});
