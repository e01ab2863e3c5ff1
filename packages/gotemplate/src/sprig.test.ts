// Sprig functions with sprig's Go semantics (cast conversions, int64/float64
// results, Go's emptiness), as KWOK's templates see them.

import { describe, expect, it } from 'vitest';
import { parseTemplate, sprigFuncs } from './index.ts';

const names = Object.keys(sprigFuncs);
const run = (src: string, data: unknown = {}) => parseTemplate(src, { funcNames: names }).execute(data, sprigFuncs);

describe('sprig', () => {
  it('defaults and emptiness follow Go zero values', () => {
    expect(run('{{ default "d" .nope }}|{{ default "d" "" }}|{{ default "d" 0 }}|{{ default "d" .zero }}|{{ default "d" .l }}', { zero: 0, l: [] }))
      .toBe('d|d|d|0|d');
    expect(run('{{ empty .nope }} {{ empty "" }} {{ empty .m }} {{ empty "x" }}', { m: {} })).toBe('true true true false');
    expect(run('{{ coalesce .a "" .b "c" }}|{{ ternary "y" "n" (eq 1 1) }}|{{ all 1 "x" }}|{{ any 0 "" }}', { b: 'B' })).toBe('B|y|true|false');
  });

  it('or with dict builds a default map (KWOK chaos stages)', () => {
    const src = '{{ $a := or .metadata.annotations dict }}{{ or (index $a "k") "dflt" }}';
    expect(run(src, { metadata: {} })).toBe('dflt');
    expect(run(src, { metadata: { annotations: { k: 'set' } } })).toBe('set');
  });

  it('does integer arithmetic as int64 through cast (strings and data numbers parse)', () => {
    expect(run('{{ add 1 2 .n "4" }} {{ sub 5 .n }} {{ mul 2 3 4 }} {{ div 7 2 }} {{ mod 7 3 }} {{ add1 .n }}', { n: 3 })).toBe('10 2 24 3 1 4');
    expect(run('{{ max 1 5 3 }} {{ min 4 2 9 }} {{ int "42" }} {{ int64 "0x10" }} {{ int "x" }} {{ atoi "12" }}')).toBe('5 2 42 16 0 12');
    expect(run('{{ typeOf (add 1 1) }} {{ typeOf (addf 1 1) }} {{ typeOf (len "x") }} {{ kindOf (max 1 2) }}')).toBe('int64 float64 int int64');
    expect(() => run('{{ div 1 0 }}')).toThrow('error calling div: runtime error: integer divide by zero');
  });

  it('keeps int64 results distinct from int, as Go does', () => {
    expect(run('{{ eq (add 1 1) 2 }} {{ lt (sub 1 2) 0 }} {{ index (list "a" "b") (add 0 1) }} {{ printf "%d|%v|%T" (mul 2 3) (div 9 2) (mod 5 3) }}')).toBe('true true b 6|4|int64');
    expect(run('{{ range (add 1 1) }}{{ . }}{{ end }} {{ has 1 (list (add 0 1)) }} {{ has (add 0 1) (list (add 0 1)) }}')).toBe('01 false true');
    // sprig's duration reads int64 (and strings), not int.
    expect(run('{{ duration (add 60 30) }}')).toBe('1m30s');
    expect(() => run('{{ repeat (sub 3 1) "x" }}')).toThrow('wrong type for value; expected int; got int64');
  });

  it('does float arithmetic as float64', () => {
    expect(run('{{ addf 1.5 2 }} {{ mulf 1.5 2 }} {{ divf 1 4 }} {{ floor 1.7 }} {{ ceil 1.2 }} {{ round 1.2345 2 }} {{ float64 "2.5" }}')).toBe('3.5 3 0.25 1 2 1.23 2.5');
  });

  it('string functions take the string last, as sprig does', () => {
    expect(run('{{ upper "ab" }} {{ lower "AB" }} {{ title "hello world" }} {{ trim "  x " }} {{ trimAll "-" "--x--" }} {{ trimPrefix "a" "abc" }} {{ trimSuffix "c" "abc" }}'))
      .toBe('AB ab Hello World x x bc ab');
    expect(run('{{ replace "a" "b" "aaa" }} {{ contains "b" "abc" }} {{ hasPrefix "a" "abc" }} {{ hasSuffix "c" "abc" }} {{ repeat 3 "x" }} {{ substr 1 3 "hello" }} {{ trunc 3 "hello" }}'))
      .toBe('bbb true true true xxx el hel');
    expect(run('{{ quote "a" 1 .nope }}|{{ squote "b" }}|{{ cat "a" 1 nil "b" }}|{{ indent 2 "a\\nb" }}|{{ nindent 2 "x" }}')).toBe('"a" "1"|\'b\'|a 1 b|  a\n  b|\n  x');
    expect(run('{{ toString 5 }} {{ toString .n }} {{ nospace "a b c" }} {{ snakecase "FooBar" }} {{ kebabcase "FooBar" }} {{ camelcase "foo_bar" }}', { n: 1.5 }))
      .toBe('5 1.5 abc foo_bar foo-bar FooBar');
  });

  it('splits and joins', () => {
    expect(run('{{ join "," (list 1 "x" nil 2) }}|{{ splitList "," "a,b" }}|{{ split "," "a,b" }}|{{ (split "," "a,b")._1 }}|{{ join "-" .l }}', { l: ['p', 'q'] }))
      .toBe('1,x,2|[a b]|map[_0:a _1:b]|b|p-q');
    expect(run('{{ sortAlpha (list "b" "a") }} {{ splitn "," 2 "a,b,c" }}')).toBe('[a b] map[_0:a _1:b,c]');
  });

  it('builds and queries lists', () => {
    expect(run('{{ first .l }} {{ last .l }} {{ rest .l }} {{ initial .l }} {{ append .l 4 }} {{ prepend .l 0 }} {{ concat .l (list 9) }}', { l: [1, 2, 3] }))
      .toBe('1 3 [2 3] [1 2] [1 2 3 4] [0 1 2 3] [1 2 3 9]');
    expect(run('{{ reverse (list 1 2) }} {{ uniq (list 1 1 2) }} {{ without (list 1 2 3) 2 }} {{ has 2 (list 1 2) }} {{ compact (list 1 "" nil 2) }} {{ until 3 }} {{ untilStep 0 10 4 }} {{ seq 3 }}'))
      .toBe('[2 1] [1 2] [1 3] true [1 2] [0 1 2] [0 4 8] 1 2 3');
  });

  it('builds and queries dicts', () => {
    expect(run('{{ $d := dict "b" 2 "a" 1 "odd" }}{{ $d }} {{ get $d "a" }} {{ get $d "zz" }}| {{ hasKey $d "b" }} {{ keys $d }} {{ values $d }}'))
      .toBe('map[a:1 b:2 odd:] 1 | true [a b odd] [1 2 ]');
    expect(run('{{ $d := dict }}{{ $_ := set $d "k" "v" }}{{ $d.k }} {{ pick (dict "a" 1 "b" 2) "a" }} {{ omit (dict "a" 1 "b" 2) "a" }} {{ pluck "a" (dict "a" 1) (dict "a" 2) }} {{ dig "x" "y" "d" (dict "x" (dict "y" "found")) }}'))
      .toBe('v map[a:1] map[b:2] [1 2] found');
  });

  it('encodes JSON as Go does: sorted keys, HTML-safe, numbers as written', () => {
    expect(run('{{ toJson . }}', { b: '<x>&', a: [1, 2.5, null, true], n: 1e21 })).toBe('{"a":[1,2.5,null,true],"b":"\\u003cx\\u003e\\u0026","n":1e+21}');
    expect(run('{{ toRawJson . }}', { b: '<x>' })).toBe('{"b":"<x>"}');
    expect(run('{{ toPrettyJson . }}', { a: { b: 1 } })).toBe('{\n  "a": {\n    "b": 1\n  }\n}');
    expect(run('{{ toJson (dict "i" 1 "f" 1.5) }}')).toBe('{"f":1.5,"i":1}');
  });

  it('formats dates with Go layouts and durations with Go units', () => {
    expect(run('{{ dateInZone "2006-01-02T15:04:05Z07:00" 86400 "UTC" }}|{{ dateInZone "Mon Jan _2 15:04:05 MST 2006" 0 "UTC" }}|{{ dateInZone "3:04PM .000" 3600 "UTC" }}'))
      .toBe('1970-01-02T00:00:00Z|Thu Jan  1 00:00:00 UTC 1970|1:00AM .000');
    expect(run('{{ unixEpoch (dateModify "1h" now) | len }}')).toBe('10');
    // sprig 3.2.3 reads only strings and int64 in duration: an int literal gives 0s under KWOK.
    expect(run('{{ duration "90" }} {{ duration "3661" }} {{ duration 90 }} {{ durationRound "90m" }} {{ durationRound "49h" }}')).toBe('1m30s 1h1m1s 0s 1h 2d');
    expect(run('{{ dateInZone "2006-01-02 15:04 -07:00 MST" 0 "America/New_York" }}')).toBe('1969-12-31 19:00 -05:00 EST');
    expect(run('{{ dateInZone "15:04 -07:00" 0 "Asia/Kolkata" }}')).toBe('05:30 +05:30');
    // An unknown zone falls back to UTC, as sprig does when LoadLocation fails.
    expect(run('{{ dateInZone "15:04 MST" 0 "Nowhere/Nope" }}')).toBe('00:00 UTC');
  });

  it('encodes, hashes and matches', () => {
    expect(run('{{ b64enc "hi" }} {{ b64dec "aGk=" }} {{ sha256sum "a" | trunc 8 }} {{ sha1sum "a" | trunc 8 }} {{ adler32sum "a" }}')).toBe('aGk= hi ca978112 86f7e437 6422626');
    expect(run('{{ regexMatch "^a.c$" "abc" }} {{ regexFind "b+" "abbbc" }} {{ regexFindAll "[0-9]" "a1b2c3" 2 }} {{ regexReplaceAll "a(x*)b" "-ab-axxb-" "${1}W" }} {{ regexReplaceAllLiteral "a" "aa" "$1" }} {{ regexSplit "," "a,b,c" -1 }}'))
      .toBe('true bbb [1 2] -W-xxW- $1$1 [a b c]');
  });

  it('generates random values of the requested shape', () => {
    expect(run('{{ uuidv4 }}')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(run('{{ randAlphaNum 12 }}')).toMatch(/^[A-Za-z0-9]{12}$/);
    expect(run('{{ randNumeric 5 }}')).toMatch(/^[0-9]{5}$/);
  });

  it('reports kinds and types', () => {
    expect(run('{{ kindOf .m }} {{ kindOf .l }} {{ kindOf .n }} {{ kindOf "s" }} {{ kindIs "map" .m }} {{ typeOf .n }} {{ typeIs "string" "x" }}', { m: {}, l: [], n: 1 }))
      .toBe('map slice string string true json.Number true');
  });

  it('fail stops the template with the message', () => {
    expect(() => run('{{ fail "no way" }}')).toThrow('error calling fail: no way');
  });

  it('has no Helm-only functions (KWOK rejects them too)', () => {
    for (const f of ['toYaml', 'fromJson', 'required', 'include', 'tpl']) expect(Object.hasOwn(sprigFuncs, f)).toBe(false);
  });
});

describe('sprig argument types (Go checks them before the call)', () => {
  const err = (src: string, data: unknown = {}) => {
    try {
      run(src, data);
    } catch (e) {
      return (e as Error).message;
    }
    return 'no error';
  };
  it('rejects a data number where sprig takes a string, at the argument', () => {
    expect(err('{{ upper .n }}', { n: 5 })).toBe('template: _:1:9: executing "_" at <.n>: wrong type for value; expected string; got json.Number');
    expect(err('{{ .n | b64enc }}', { n: 5 })).toContain('wrong type for value; expected string; got json.Number');
  });
  it('rejects literals of the wrong syntax', () => {
    expect(err('{{ repeat "3" "x" }}')).toBe('template: _:1:10: executing "_" at <"3">: expected integer; found "3"');
    expect(err('{{ ternary "a" "b" "x" }}')).toContain('expected bool; found "x"');
    expect(err('{{ upper nil }}')).toContain('cannot assign nil to string');
  });
  it('rejects a missing value for a string and accepts it for a map', () => {
    expect(err('{{ upper .nope }}')).toContain('invalid value; expected string');
    expect(run('{{ hasKey .nope "x" }}')).toBe('false');
    expect(err('{{ get .s "x" }}', { s: 'str' })).toContain('wrong type for value; expected map[string]interface {}; got string');
  });
  it('checks arity', () => {
    expect(err('{{ upper "a" "b" }}')).toBe('template: _:1:3: executing "_" at <upper>: wrong number of args for upper: want 1 got 2');
    expect(err('{{ replace "a" }}')).toContain('wrong number of args for replace: want 3 got 1');
  });
});
