import { describe, expect, it } from 'vitest';
import { compileJqInterpreted, JqRuntimeError, JqSyntaxError } from './index.ts';

const run = (expr: string, input: unknown = null, vars?: Record<string, unknown>) =>
  compileJqInterpreted(expr, { varNames: vars ? Object.keys(vars) : [] }).run(input, vars);

function runtimeError(expr: string, input: unknown = null): JqRuntimeError {
  try {
    run(expr, input);
  } catch (e) {
    if (e instanceof JqRuntimeError) return e;
    throw e;
  }
  throw new Error(`expected a runtime error for ${expr}`);
}

const pod = {
  metadata: {
    name: 'p',
    labels: { app: 'x' },
    annotations: { 'kwok.x-k8s.io/delay': '5s' },
    ownerReferences: [{ kind: 'ReplicaSet' }, { kind: 'Job' }],
    finalizers: ['a', 'b'],
  },
  status: {
    phase: 'Running',
    conditions: [
      { type: 'Initialized', status: 'True' },
      { type: 'Ready', status: 'False' },
    ],
  },
};

describe('jq interpreter core', () => {
  const table: [string, unknown, unknown[]][] = [
    ['.status.phase', pod, ['Running']],
    ['.metadata.deletionTimestamp', pod, [null]],
    ['.metadata.annotations["kwok.x-k8s.io/delay"]', pod, ['5s']],
    ['.status.conditions.[] | select( .type == "Ready" ) | .status', pod, ['False']],
    ['.metadata.ownerReferences.[].kind', pod, ['ReplicaSet', 'Job']],
    ['.metadata.finalizers.[]', pod, ['a', 'b']],
    ['.spec.nodeSelector.type', pod, [null]],
    ['(.status.initContainerStatuses.[].state.running.startedAt)?', pod, []],
    ['[.a?]', 5, [[]]],
    ['[.[] | . * 2]', [1, 2], [[2, 4]]],
    ['{a, $v, "b": 1, (.k): 2}', { a: 1, k: 'z' }, [{ a: 1, v: 41, b: 1, z: 2 }]],
    ['{(.[]): 1}', ['a', 'b'], [{ a: 1 }, { b: 1 }]],
    ['[(1,2) * (3,4)]', null, [[3, 6, 4, 8]]],
    ['"\\(1,2)-\\(3,4)"', null, ['1-3', '2-3', '1-4', '2-4']],
    ['[.[] as [$a, {b: $c}] | $a + $c]', [[1, { b: 2 }], [3, { b: 4 }]], [[3, 7]]],
    ['. as {$a, b: [$c]} | [$a, $c]', { a: 1, b: [2] }, [[1, 2]]],
    ['.[] as [$a] ?// $a | $a', [[1], 2], [1, 2]],
    ['def f(g): [g, g]; f(.a)', { a: 1 }, [[1, 1]]],
    ['def f($x; y): $x + y; f(1; 2)', null, [3]],
    ['def fac: if . <= 1 then 1 else . * (. - 1 | fac) end; 10 | fac', null, [3628800]],
    ['reduce range(5) as $x (0; . + $x)', null, [10]],
    ['[foreach range(4) as $x (0; . + $x; [$x, .])]', null, [[[0, 0], [1, 1], [2, 3], [3, 6]]]],
    ['[label $out | 1, 2, break $out, 3]', null, [[1, 2]]],
    ['try error("x") catch .', null, ['x']],
    ['try error({a: 1}) catch .a', null, [1]],
    ['[.[] | try (if . == 2 then error("e") else . end)]', [1, 2, 3], [[1, 3]]],
    ['[(1, error("x"), 3)?]', null, [[1]]],
    ['.a // "d"', { a: false }, ['d']],
    ['[.[] // 9]', [null, false], [[9]]],
    ['(error("x")) // 1', null, [1]],
    ['[.[] | (1 < .) and (. < 4)]', [1, 2, 5], [[false, true, false]]],
    ['[null, false, true, 0, "a", [], {}] | sort == .', null, [true]],
    ['{"b":1,"a":2} | keys, [.[]]', null, [['a', 'b'], [2, 1]]],
    ['.a.b |= . + 1', { a: { b: 1 } }, [{ a: { b: 2 } }]],
    ['.a += 1, .a -= 1, .a *= 2, .a /= 2, .a %= 2, .b //= 3', { a: 3 }, [{ a: 4 }, { a: 2 }, { a: 6 }, { a: 1.5 }, { a: 1 }, { a: 3, b: 3 }]],
    ['.[] |= empty', [1, 2, 3], [[]]],
    ['to_entries', { b: 2, a: 1 }, [[{ key: 'a', value: 1 }, { key: 'b', value: 2 }]]],
    ['with_entries(.value += 1)', { a: 1 }, [{ a: 2 }]],
    ['[paths]', { a: [1] }, [[['a'], ['a', 0]]]],
    ['del(.a, .b[0])', { a: 1, b: [1, 2] }, [{ b: [2] }]],
    ['pick(.a.b)', { a: { b: 1, c: 2 }, d: 3 }, [{ a: { b: 1 } }]],
    ['getpath(["a","x","y"])', { a: {} }, [null]],
    ['[limit(3; range(10))], [first(range(5;9))], [last(range(5))], nth(2; range(10;20))', null, [[0, 1, 2], [5], [4], 12]],
    ['[.[]?]', 1, [[]]],
    ['[..]', [[1]], [[[[1]], [1], 1]]],
    ['"abc" | .[1:], .[:-1], .[5:]', null, ['bc', 'ab', '']],
    ['.[2:4], .[-2:]', [0, 1, 2, 3, 4], [[2, 3], [3, 4]]],
    ['"x" * 3, 0 * "x", 1.5 * "ab", -1 * "x"', null, ['xxx', '', 'ab', null]],
    ['{} | .a.b.c = 1', null, [{ a: { b: { c: 1 } } }]],
    ['$ENV, env', null, [{}, {}]],
    ['$v + 1', null, [42]],
    ['"\\u00e9" | utf8bytelength, length', null, [2, 1]],
    ['@json "v=\\(.)", @sh "echo \\(.)", @uri "\\(.)"', "a b'", ['v="a b\'"', "echo 'a b'\\'''", 'a%20b%27']],
    ['[.[] | tostring]', [1, 'a', [1], null], [['1', 'a', '[1]', 'null']]],
    ['1e1000, -1e1000 | tojson', null, ['1.7976931348623157e+308', '-1.7976931348623157e+308']],
    ['[nan] | tojson, (nan < 1)', null, ['[null]', true]],
    ['[splits(", *")]', 'a, b,c', [['a', 'b', 'c']]],
    ['gsub("(?<x>[a-z])"; "<\\(.x)>")', 'a1b', ['<a>1<b>']],
    ['[scan("c")], capture("(?<n>[0-9]+)")', 'abcc12', [['c', 'c'], { n: '12' }]],
    ['ascii_downcase, ascii_upcase, ltrimstr("A"), rtrimstr("c")', 'AbC', ['abc', 'ABC', 'bC', 'AbC']],
    ['"2015-03-05T23:51:47Z" | fromdate | ., todate', null, [1425599507, '2015-03-05T23:51:47Z']],
    ['"2015-03-05T23:51:47.5+01:00" | fromdate', null, [1425595907.5]],
    ['1425599507 | gmtime | mktime', null, [1425599507]],
    ['[range(0; 10; 3)], [range(5; 0; -2)]', null, [[0, 3, 6, 9], [5, 3, 1]]],
    ['[limit(3; repeat(1))]', null, [[1, 1, 1]]],
    ['[.[] | until(. > 100; . * 2)]', [1, 3], [[128, 192]]],
    ['[while(. < 20; . * 3)]', 1, [[1, 3, 9]]],
    ['[recurse(if . < 3 then . + 1 else empty end)]', 0, [[0, 1, 2, 3]]],
    ['[range(100000)] | length', null, [100000]],
    ['last(range(200000))', null, [199999]],
    ['[limit(5; repeat(1))] | add', null, [5]],
    ['"abc" | [.[0], .[-1], .[9]]', null, [['a', 'c', null]]],
    ['input_filename, ([1,[2]] | flatten, tostream)', null, [null, [1, 2], [[0], 1], [[1, 0], 2], [[1, 0]], [[1]]]],
    ['fromstream(tostream)', { a: [1, { b: 2 }] }, [{ a: [1, { b: 2 }] }]],
    ['[.[] | tonumber?]', ['1', 'x', '2.5', ' 3'], [[1, 2.5]]],
    ['map(abs), (map(toarray) | add), (.[0] | significand)', [-1, 2], [[1, 2], [-1, 2], -1]],
    ['[splits("a")] | length', 'banana', [4]],
    ['(.. | numbers) |= . + 1', { a: [1, { b: 2 }], c: 'x' }, [{ a: [2, { b: 3 }], c: 'x' }]],
    ['walk(if type == "array" then sort else . end)', [[2, 1], 3], [[3, [1, 2]]]],
    ['any(.[]; . > 2), all(. > 0), any, all', [1, 3], [true, true, true, true]],
    ['isempty(empty), isempty(1, error("x"))', null, [true, false]],
    ['[combinations]', [[1, 2], [3]], [[[1, 3], [2, 3]]]],
    ['(group_by(.a) | map(length)), (unique_by(.a) | length), min_by(.a).a, max_by(.a).a', [{ a: 2 }, { a: 1 }, { a: 2 }], [[1, 2], 2, 1, 2]],
    ['indices(", "), index(","), rindex(",")', 'a, b, c', [[1, 4], 1, 4]],
    ['implode, (implode | explode)', [65, 128512], ['A\u{1F600}', [65, 128512]]],
    ['@base64, (@base64 | @base64d), @base32, (@base32 | @base32d)', 'hello', ['aGVsbG8=', 'hello', 'NBSWY3DP', 'hello']],
    ['@csv, @tsv, @html', [1, 'a"b', null, true], ['1,"a""b",,true', '1\ta"b\t\ttrue', '[1,&quot;a\\&quot;b&quot;,null,true]']],
    ['splits("x") | length', 'axbxc', [1, 1, 1]],
    ['ltrimstr("x")', 'xx', ['x']],
    ['keys_unsorted', { b: 1, a: 2 }, [['b', 'a']]],
    ['to_entries | from_entries', { a: 1, b: [2] }, [{ a: 1, b: [2] }]],
    ['from_entries', [{ name: 'a', value: 1 }, { Key: 'b', Value: 2 }, { key: 'c', value: null, Value: 3 }], [{ a: 1, b: 2, c: null }]],
    ['[-2.5, 2.5, 1.4] | map(round)', null, [[-3, 3, 1]]],
    ['[limit(0; 1, 2)], [first(empty)], [.[1.7], .[-1.5:]]', [0, 1, 2], [[], [], [1, [2]]]],
    ['.[] | has("a")', [{ a: null }, {}], [true, false]],
    ['.a | in({"x": 1}), inside("xyz")', { a: 'x' }, [true, true]],
    ['contains({a: [1]}), contains({a: [3]})', { a: [1, 2] }, [true, false]],
    ['contains("bar")', 'foobar', [true]],
  ];
  for (const [expr, input, want] of table) {
    it(`${expr}  on ${JSON.stringify(input)?.slice(0, 40)}`, () => {
      expect(run(expr, input, expr.includes('$v') ? { v: 41 } : undefined)).toEqual(want);
    });
  }

  it('follows gojq where it differs from jq', () => {
    // `?` guards only the last indexing step
    expect(() => run('.foo.bar.baz?', { foo: 128 })).toThrow('expected an object but got: number (128)');
    expect(run('[.[].name?]', [1, { name: 2 }, 3, { name: 4 }])).toEqual([[2, 4]]);
    expect(() => run('.[].foo?', 128)).toThrow('cannot iterate over: number (128)');
    // `as` takes the whole expression before it; unary minus folds into literals
    expect(run('1 + 2 as $x | -$x')).toEqual([-3]);
    expect(run('[-1 as $x | 1, $x]')).toEqual([[1, -1]]);
    expect(run('true // 1 as $x | [$x]')).toEqual([[true]]);
    expect(run('[-reduce -.[] as $i (0; . + $i)]', [1, 2, 3])).toEqual([[6]]);
    // the index expression is the outer loop; internal functions loop over their last argument outermost
    expect(run('[.c[][.a[]]]', { a: ['x', 'y'], c: [{ x: 1, y: 2 }, { x: 3, y: 4 }] })).toEqual([[1, 3, 2, 4]]);
    expect(run('[setpath([0], [1]; 5, 6)]', null)).toEqual([[[5], [null, 5], [6], [null, 6]]]);
    // an update with no output keeps the state
    expect(run('reduce range(5) as $x (0; . + $x | select($x != 2))')).toEqual([8]);
    // `$x` binds values, `x` is still the argument filter
    expect(run('def f($x): [$x, x]; [f(1, 2)]')).toEqual([[[1, 1, 2], [2, 1, 2]]]);
    // sub: the i-th replacement output builds the i-th result; no output leaves the string alone
    expect(run('[gsub("a"; "b", "c")], sub("a"; empty)', 'aXa')).toEqual([['bXb', 'cXc'], 'aXa']);
    expect(run('has(0), contains(null)', null)).toEqual([false, true]);
    expect(() => run('contains(true)', false)).toThrow('contains(true) cannot be applied to: boolean (false)');
    expect(run('flatten(0.5)', [[[[1]]]])).toEqual([[1]]);
    expect(run('1, # a comment \\\n still the comment\n 2')).toEqual([1, 2]);
    expect(run('[range(5)] | JOIN({"0": "a"}; tostring) | .[0]')).toEqual([[0, 'a']]);
  });

  it('iterates objects in key order, as gojq does', () => {
    expect(run('[.[]]', { z: 1, a: 2, m: 3 })).toEqual([[2, 3, 1]]);
    expect(run('tojson', { z: 1, a: { y: 1, b: 2 } })).toEqual(['{"a":{"b":2,"y":1},"z":1}']);
  });

  it('never changes its input (the stage engine shares cached objects)', () => {
    const deepFreeze = <T>(v: T): T => {
      if (typeof v === 'object' && v !== null) {
        Object.values(v).forEach(deepFreeze);
        Object.freeze(v);
      }
      return v;
    };
    const input = deepFreeze({ a: [3, 1, 2], b: { c: 1, d: [{ e: 1 }] }, s: 'x' });
    const before = JSON.stringify(input);
    for (const expr of [
      '.a |= sort', '.b.c = 2', '.b.d[0].e += 1', 'del(.a[0], .b.d)', '.a[1:2] = ["x", "y"]', 'to_entries',
      'setpath(["b", "c"]; 9)', 'delpaths([["a", 0]])', '.a | sort | reverse', 'walk(if type == "number" then . + 1 else . end)',
      '.b * {c: 5}', '. + {z: 1}', 'map_values(tostring)', '.a |= map(. * 2)', '.[] |= empty', 'pick(.b.c)',
    ]) {
      run(expr, input);
    }
    expect(JSON.stringify(input)).toBe(before);
  });

  it('walks long recurse(f) chains without exhausting the stack', () => {
    expect(run('[recurse(if . < 20000 then . + 1 else empty end)] | length', 0)).toEqual([20001]);
    expect(run('[recurse(.[]?)] | length', [[1, 2], [3]])).toEqual([6]);
    expect(() => run('[recurse(if . < 3 then . + 1 else error("at \\(.)") end)]', 0)).toThrow('at 3');
    expect(run('[.[] | try recurse(if . < 2 then . + 1 else error("x") end) catch "caught"]', [0])).toEqual([[0, 1, 2, 'caught']]);
  });

  it('reports runaway recursion as a runtime error', () => {
    expect(() => run('def f: 1 + f; f')).toThrow(JqRuntimeError);
    expect(compileJqInterpreted('def f: 1 + f; f').tryRun(null)).toBeNull();
  });

  it('treats "__proto__" as an ordinary key', () => {
    const input = JSON.parse('{"__proto__": {"x": 1}, "a": 1}');
    expect(run('.["__proto__"].x, has("__proto__"), (keys | length)', input)).toEqual([1, true, 2]);
    const [set] = run('.["__proto__"] = 5 | {"__proto__": 7} + . | [.["__proto__"], (keys | length)]', {});
    expect(set).toEqual([5, 1]);
    expect(run('from_entries | .["__proto__"]', [{ key: '__proto__', value: 3 }])).toEqual([3]);
    expect(Object.getPrototypeOf(run('{"__proto__": 1}', null)[0])).toBe(Object.prototype);
  });

  it('does not read inherited properties', () => {
    expect(run('.constructor, .__proto__, .toString', {})).toEqual([null, null, null]);
    expect(run('has("constructor")', {})).toEqual([false]);
  });

  it('first() stops the program after one output (later errors are not raised)', () => {
    const p = compileJqInterpreted('1, error("late")');
    expect(p.first(null)).toBe(1);
    expect(() => p.run(null)).toThrow(JqRuntimeError);
    expect(compileJqInterpreted('empty').first(null)).toBeUndefined();
  });

  it('rejects unknown functions and variables at compile time with their position', () => {
    expect(() => compileJqInterpreted('.a | foo(1)')).toThrow(/position 5: function not defined: foo\/1/);
    expect(() => compileJqInterpreted('.a + $nope')).toThrow(JqSyntaxError);
    expect(() => compileJqInterpreted('$x', { varNames: ['x'] })).not.toThrow();
    expect(() => compileJqInterpreted('1, break $nope')).toThrow(/position 3: label not defined: \$nope/);
  });
});

describe('jq runtime errors (gojq wording)', () => {
  const table: [string, unknown, string][] = [
    ['.[]', null, 'cannot iterate over: null'],
    ['.[]', 1, 'cannot iterate over: number (1)'],
    ['.a', [1], 'expected an object but got: array ([1])'],
    ['.a', 'x', 'expected an object but got: string ("x")'],
    ['.[0]', {}, 'expected an array but got: object ({})'],
    ['.[{}]', [1], 'expected "start" and "end" for slicing but got: object ({})'],
    ['.[true]', [1], 'expected a number for indexing an array but got: boolean (true)'],
    ['{(1): 2}', null, 'expected a string for object key but got: number (1)'],
    ['1 + "a"', null, 'cannot add: number (1) and string ("a")'],
    ['{} - 1', null, 'cannot subtract: object ({}) and number (1)'],
    ['[] * 2', null, 'cannot multiply: array ([]) and number (2)'],
    ['1 / 0', null, 'cannot divide number (1) by: number (0)'],
    ['1 % 0', null, 'cannot modulo number (1) by: number (0)'],
    ['-"a"', null, 'cannot negate: string ("a")'],
    ['length', true, 'length cannot be applied to: boolean (true)'],
    ['keys', 1, 'keys cannot be applied to: number (1)'],
    ['has(0)', {}, 'has(0) cannot be applied to: object ({})'],
    ['startswith(1)', 'a', 'startswith(1) cannot be applied to: string ("a")'],
    ['error("boom")', null, 'error: boom'],
    ['error({a:1})', null, 'error: {"a":1}'],
    ['tonumber', 'abc', 'tonumber cannot be applied to "abc": invalid number'],
    ['path(1)', null, 'invalid path against: number (1)'],
    ['.[] as [$a] | $a', [{}], 'expected an array but got: object ({})'],
    ['"x" | test("(")', null, 'invalid regular expression'],
    ['test("a")', 1, 'test("a"; null) cannot be applied to: number (1)'],
    ['from_entries', [{ key: 1, value: 2 }], 'expected a string for object key but got: number (1)'],
    ['getpath(["a", "b"])', { a: 1 }, 'getpath(["a","b"]) cannot be applied to: object ({"a":1})'],
    ['getpath(["a", 0])', { a: {} }, 'getpath(["a",0]) cannot be applied to {"a":{}}: expected an array but got: object ({})'],
    ['[limit(-1; 1)]', null, "limit doesn't support negative count"],
    ['nth(-1; 1)', null, "nth doesn't support negative index"],
    ['.a', 'a very long string value that will be truncated in the preview', 'expected an object but got: string ("a very long string value ...")'],
  ];
  for (const [expr, input, message] of table) {
    it(`${expr} on ${JSON.stringify(input)}`, () => {
      const e = runtimeError(expr, input);
      expect(e.message).toContain(message);
    });
  }

  it('passes error values through try/catch and keeps errors raised after a try body', () => {
    expect(run('try error(null) catch .')).toEqual([null]);
    expect(() => run('try 1 catch . | error("after")')).toThrow(/after/);
    expect(() => run('(.a)? | error("downstream")', {})).toThrow(/downstream/);
    expect(run('[.[] | (.a)?]', [1, { a: 2 }])).toEqual([[2]]);
  });
});
