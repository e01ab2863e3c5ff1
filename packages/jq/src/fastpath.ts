// Compiles the program shapes stage selectors use — path chains (`.a.b["c-d"]`, `.[0]`, `.a[]`,
// `?`), `select(...)` with comparisons and and/or/not, `//`, `[...]`, `{...}` with constant keys,
// builtins such as `length` and `has("x")`, pipes and commas of those — to plain closures.
// Anything else returns null and the caller uses the interpreter. The closures reuse the
// interpreter's helpers (indexing, operators, builtins, error wording) so both give identical
// outputs and errors.
//
// The usual runtime errors of selectors (iterating a missing list, indexing a scalar) do not throw
// inside the closures: unwinding an exception through every closure frame costs more than the
// evaluation itself, and so does building an Error. A failing step returns FAIL (single-output
// closures) or the code FAILED (generators) and leaves a maker of the error in `failure`;
// run()/first() build and throw it at the top, tryRun() just returns null.
import { getField, indexValue, sliceValue } from './access.ts';
import type { Node } from './ast.ts';
import { VALUE_FUNCTIONS } from './builtins.ts';
import { JqRuntimeError } from './errors.ts';
import { binary } from './operators.ts';
import type { JqProgram } from './program.ts';
import { isObject, setOwn, sortedKeys, truthy, typeErrorPreview } from './values.ts';

type Vars = Record<string, unknown> | undefined;
/** No output (for optional single-output pieces). */
const NONE: unique symbol = Symbol('no output');
/** A runtime error; the error itself is in `failure`. */
const FAIL: unique symbol = Symbol('failed');
let failure: () => JqRuntimeError = () => new JqRuntimeError('no failure');

function fail(make: () => JqRuntimeError): typeof FAIL {
  failure = make;
  return FAIL;
}

/** Generator result codes. */
const GO_ON = 0;
const STOPPED = 1;
const FAILED = 2;
type Code = number;

/** One output, or NONE, or FAIL (or throws). */
type One = (x: unknown, vars: Vars) => unknown;
/** Any number of outputs; `emit` returns a Code (STOPPED to stop early); returns a Code. */
type Emit = (v: unknown) => Code;
type Many = (x: unknown, vars: Vars, emit: Emit) => Code;

interface Compiled {
  /** 'one': exactly one output (or an error); 'opt': zero or one; 'many': any number */
  kind: 'one' | 'opt' | 'many';
  one?: One;
  many?: Many;
}

const one = (f: One): Compiled => ({ kind: 'one', one: f });
const opt = (f: One): Compiled => ({ kind: 'opt', one: f });
const many = (f: Many): Compiled => ({ kind: 'many', many: f });

function asMany(c: Compiled): Many {
  if (c.kind === 'many') return c.many!;
  const f = c.one!;
  if (c.kind === 'one') {
    return (x, vars, emit) => {
      const v = f(x, vars);
      return v === FAIL ? FAILED : emit(v);
    };
  }
  return (x, vars, emit) => {
    const v = f(x, vars);
    return v === NONE ? GO_ON : v === FAIL ? FAILED : emit(v);
  };
}

/** `v[k]` as indexValue, but a type error is returned as FAIL instead of thrown. */
function safeIndex(v: unknown, k: unknown): unknown {
  if (typeof k === 'string') {
    if (isObject(v)) return getField(v, k);
    if (v === null || v === undefined) return null;
    return fail(() => new JqRuntimeError('expected an object but got: ' + typeErrorPreview(v)));
  }
  if (typeof k === 'number' && v !== null && v !== undefined && !Array.isArray(v) && typeof v !== 'string') {
    return fail(() => new JqRuntimeError('expected an array but got: ' + typeErrorPreview(v)));
  }
  try {
    return indexValue(v, k);
  } catch (e) {
    if (e instanceof JqRuntimeError) return fail(() => e);
    throw e;
  }
}

function field(key: string): (v: unknown) => unknown {
  return (v) => (isObject(v) ? getField(v, key) : v === null || v === undefined ? null : safeIndex(v, key));
}

/** The string keys of `.a.b["c"]…` applied to `.`, or null. */
function stringChain(n: Node): string[] | null {
  const keys: string[] = [];
  let cur = n;
  while (cur.k === 'index') {
    if (cur.index.k !== 'literal' || typeof cur.index.value !== 'string') return null;
    keys.push(cur.index.value);
    cur = cur.target;
  }
  return cur.k === 'identity' ? keys.reverse() : null;
}

/** One closure for a whole constant path (unrolled for the usual depths). */
function chainGetter(keys: string[]): One {
  const step = (v: unknown, k: string): unknown =>
    isObject(v) ? getField(v, k) : v === null || v === undefined ? null : safeIndex(v, k);
  const [a, b, c] = keys as [string, string, string];
  switch (keys.length) {
    case 1:
      return (x) => step(x, a);
    case 2:
      return (x) => {
        const v = step(x, a);
        return v === FAIL ? FAIL : step(v, b);
      };
    case 3:
      return (x) => {
        const v = step(x, a);
        if (v === FAIL) return FAIL;
        const w = step(v, b);
        return w === FAIL ? FAIL : step(w, c);
      };
    default:
      return (x) => {
        let v = x;
        for (let i = 0; i < keys.length; i++) {
          v = step(v, keys[i]!);
          if (v === FAIL) return FAIL;
        }
        return v;
      };
  }
}

function iterateMany(t: unknown, emit: Emit): Code {
  if (Array.isArray(t)) {
    for (let i = 0; i < t.length; i++) {
      const r = emit(t[i] === undefined ? null : t[i]);
      if (r !== GO_ON) return r;
    }
    return GO_ON;
  }
  if (isObject(t)) {
    for (const k of sortedKeys(t)) {
      const r = emit(t[k]);
      if (r !== GO_ON) return r;
    }
    return GO_ON;
  }
  failure = () => new JqRuntimeError('cannot iterate over: ' + typeErrorPreview(t));
  return FAILED;
}

/** Applies a one-input step (which may return FAIL) to every output of `c`. */
function then(c: Compiled, step: (v: unknown) => unknown): Compiled {
  if (c.kind === 'many') {
    const g = c.many!;
    return many((x, vars, emit) =>
      g(x, vars, (v) => {
        const w = step(v);
        return w === FAIL ? FAILED : emit(w);
      }),
    );
  }
  const f = c.one!;
  if (c.kind === 'one') {
    return one((x, vars) => {
      const v = f(x, vars);
      return v === FAIL ? FAIL : step(v);
    });
  }
  return opt((x, vars) => {
    const v = f(x, vars);
    return v === NONE || v === FAIL ? v : step(v);
  });
}

function compilePipe(left: Compiled, right: Compiled): Compiled {
  if (left.kind !== 'many' && right.kind !== 'many') {
    const f = left.one!;
    const g = right.one!;
    const make = left.kind === 'one' && right.kind === 'one' ? one : opt;
    return make((x, vars) => {
      const v = f(x, vars);
      return v === NONE || v === FAIL ? v : g(v, vars);
    });
  }
  const f = asMany(left);
  const g = asMany(right);
  return many((x, vars, emit) => f(x, vars, (v) => g(v, vars, emit)));
}

function compileTry(body: Compiled): Compiled {
  if (body.kind !== 'many') {
    const f = body.one!;
    return opt((x, vars) => {
      try {
        const v = f(x, vars);
        return v === FAIL ? NONE : v;
      } catch (e) {
        if (e instanceof JqRuntimeError) return NONE;
        throw e;
      }
    });
  }
  const g = body.many!;
  return many((x, vars, emit) => {
    // errors raised by what consumes our outputs are not ours to catch
    let downstream = false;
    try {
      const r = g(x, vars, (v) => {
        downstream = true;
        const code = emit(v);
        if (code !== FAILED) downstream = false;
        return code;
      });
      return r === FAILED && !downstream ? GO_ON : r;
    } catch (e) {
      if (downstream || !(e instanceof JqRuntimeError)) throw e;
      return GO_ON;
    }
  });
}

/** A single-output operand (needed where the interpreter would take a cartesian product). */
function single(c: Compiled | null): One | null {
  return c !== null && c.kind === 'one' ? c.one! : null;
}

const collectInto = (out: unknown[]): Emit => (v) => {
  out.push(v);
  return GO_ON;
};

function compileNode(n: Node): Compiled | null {
  switch (n.k) {
    case 'identity':
      return one((x) => x);
    case 'literal': {
      const v = n.value;
      return one(() => v);
    }
    case 'var': {
      const name = n.name;
      if (name === 'ENV') return one((_x, vars) => (vars !== undefined && Object.hasOwn(vars, 'ENV') ? vars['ENV'] : {}));
      return one((_x, vars) => {
        if (vars === undefined || !Object.hasOwn(vars, name)) throw new JqRuntimeError('variable not defined: $' + name);
        return vars[name];
      });
    }
    case 'index': {
      const keys = stringChain(n);
      if (keys !== null) return one(chainGetter(keys));
      const target = compileNode(n.target);
      if (target === null) return null;
      if (n.index.k === 'literal') {
        const key = n.index.value;
        return then(target, typeof key === 'string' ? field(key) : (v) => safeIndex(v, key));
      }
      // `.[e]`: e is evaluated against the original input
      const idx = single(compileNode(n.index));
      if (idx === null || target.kind === 'many') return null;
      const t = target.one!;
      const make = target.kind === 'one' ? one : opt;
      return make((x, vars) => {
        const tv = t(x, vars);
        if (tv === NONE || tv === FAIL) return tv;
        const k = idx(x, vars);
        return k === FAIL ? FAIL : safeIndex(tv, k);
      });
    }
    case 'slice': {
      const target = compileNode(n.target);
      const constant = (b: Node | null) => b === null || b.k === 'literal';
      if (target !== null && constant(n.from) && constant(n.to)) {
        const fromV = n.from === null ? null : (n.from as { value: unknown }).value;
        const toV = n.to === null ? null : (n.to as { value: unknown }).value;
        return then(target, (v) => sliceValue(v, fromV, toV));
      }
      const from = n.from === null ? () => null : single(compileNode(n.from));
      const to = n.to === null ? () => null : single(compileNode(n.to));
      if (target === null || from === null || to === null || target.kind === 'many') return null;
      const t = target.one!;
      const make = target.kind === 'one' ? one : opt;
      return make((x, vars) => {
        const tv = t(x, vars);
        if (tv === NONE || tv === FAIL) return tv;
        const fromV = from(x, vars);
        if (fromV === FAIL) return FAIL;
        const toV = to(x, vars);
        return toV === FAIL ? FAIL : sliceValue(tv, fromV, toV);
      });
    }
    case 'iterate': {
      const target = compileNode(n.target);
      if (target === null) return null;
      if (target.kind === 'one') {
        const f = target.one!;
        return many((x, vars, emit) => {
          const t = f(x, vars);
          return t === FAIL ? FAILED : iterateMany(t, emit);
        });
      }
      const g = asMany(target);
      return many((x, vars, emit) => g(x, vars, (t) => iterateMany(t, emit)));
    }
    case 'try': {
      if (n.handler !== null) return null;
      const body = compileNode(n.body);
      return body === null ? null : compileTry(body);
    }
    case 'pipe': {
      const left = compileNode(n.left);
      const right = left === null ? null : compileNode(n.right);
      return left === null || right === null ? null : compilePipe(left, right);
    }
    case 'comma': {
      const left = compileNode(n.left);
      const right = left === null ? null : compileNode(n.right);
      if (left === null || right === null) return null;
      const f = asMany(left);
      const g = asMany(right);
      return many((x, vars, emit) => {
        const r = f(x, vars, emit);
        return r !== GO_ON ? r : g(x, vars, emit);
      });
    }
    case 'binop': {
      const left = compileNode(n.left);
      const right = left === null ? null : compileNode(n.right);
      if (left === null || right === null) return null;
      const op = n.op;
      const l = single(left);
      const r = single(right);
      if (l !== null && r !== null) {
        // the interpreter evaluates the right operand first (outer loop)
        return one((x, vars) => {
          const rv = r(x, vars);
          if (rv === FAIL) return FAIL;
          const lv = l(x, vars);
          return lv === FAIL ? FAIL : binary(op, lv, rv);
        });
      }
      const fl = asMany(left);
      const fr = asMany(right);
      return many((x, vars, emit) => fr(x, vars, (rv) => fl(x, vars, (lv) => emit(binary(op, lv, rv)))));
    }
    case 'and':
    case 'or': {
      const left = compileNode(n.left);
      const right = left === null ? null : compileNode(n.right);
      if (left === null || right === null) return null;
      const l = single(left);
      const r = single(right);
      const isAnd = n.k === 'and';
      if (l !== null && r !== null) {
        return one((x, vars) => {
          const lv = l(x, vars);
          if (lv === FAIL) return FAIL;
          if (truthy(lv) !== isAnd) return !isAnd;
          const rv = r(x, vars);
          return rv === FAIL ? FAIL : truthy(rv);
        });
      }
      const fl = asMany(left);
      const fr = asMany(right);
      return many((x, vars, emit) =>
        fl(x, vars, (lv) => (truthy(lv) !== isAnd ? emit(!isAnd) : fr(x, vars, (rv) => emit(truthy(rv))))),
      );
    }
    case 'alt': {
      const left = compileNode(n.left);
      const right = compileNode(n.right);
      if (left === null || right === null) return null;
      if (left.kind !== 'many' && right.kind !== 'many') {
        const f = left.one!;
        const g = right.one!;
        const make = right.kind === 'one' ? one : opt;
        return make((x, vars) => {
          let v: unknown;
          try {
            v = f(x, vars);
          } catch (e) {
            if (!(e instanceof JqRuntimeError)) throw e;
            v = NONE;
          }
          return v !== NONE && v !== FAIL && truthy(v) ? v : g(x, vars);
        });
      }
      const f = asMany(compileTry(left));
      const g = asMany(right);
      return many((x, vars, emit) => {
        let any = false;
        const r = f(x, vars, (v) => {
          if (!truthy(v)) return GO_ON;
          any = true;
          return emit(v);
        });
        if (r !== GO_ON) return r;
        return any ? GO_ON : g(x, vars, emit);
      });
    }
    case 'array': {
      if (n.body === null) return one(() => []);
      const body = compileNode(n.body);
      if (body === null) return null;
      if (body.kind === 'one') {
        const f = body.one!;
        return one((x, vars) => {
          const v = f(x, vars);
          return v === FAIL ? FAIL : [v];
        });
      }
      const g = asMany(body);
      return one((x, vars) => {
        const out: unknown[] = [];
        return g(x, vars, collectInto(out)) === FAILED ? FAIL : out;
      });
    }
    case 'object': {
      // only constant keys with single-output values; others go to the interpreter
      const keys: string[] = [];
      const vals: One[] = [];
      for (const e of n.entries) {
        if (e.key.k !== 'literal' || typeof e.key.value !== 'string') return null;
        const key = e.key.value;
        const f = e.value === null ? field(key) : single(compileNode(e.value));
        if (f === null) return null;
        keys.push(key);
        vals.push(f);
      }
      return one((x, vars) => {
        const o: Record<string, unknown> = {};
        for (let i = 0; i < keys.length; i++) {
          const v = vals[i]!(x, vars);
          if (v === FAIL) return FAIL;
          setOwn(o, keys[i]!, v);
        }
        return o;
      });
    }
    case 'if': {
      const condC = compileNode(n.cond);
      const a = compileNode(n.then);
      const b = compileNode(n.else);
      if (condC === null || a === null || b === null) return null;
      const cond = single(condC);
      if (cond === null || a.kind === 'many' || b.kind === 'many') {
        const fc = asMany(condC);
        const fa = asMany(a);
        const fb = asMany(b);
        return many((x, vars, emit) => fc(x, vars, (c) => (truthy(c) ? fa(x, vars, emit) : fb(x, vars, emit))));
      }
      const fa = a.one!;
      const fb = b.one!;
      const make = a.kind === 'one' && b.kind === 'one' ? one : opt;
      return make((x, vars) => {
        const c = cond(x, vars);
        if (c === FAIL) return FAIL;
        return truthy(c) ? fa(x, vars) : fb(x, vars);
      });
    }
    case 'neg': {
      const body = compileNode(n.body);
      if (body === null) return null;
      return then(body, (v) =>
        typeof v === 'number' ? -v : fail(() => new JqRuntimeError('cannot negate: ' + typeErrorPreview(v))),
      );
    }
    case 'call':
      return compileCall(n);
    default:
      return null;
  }
}

function compileCall(n: Extract<Node, { k: 'call' }>): Compiled | null {
  const key = `${n.name}/${n.args.length}`;
  switch (key) {
    case 'empty/0':
      return opt(() => NONE);
    case 'not/0':
      return one((x) => !truthy(x));
    case 'select/1': {
      const cond = compileNode(n.args[0]!);
      if (cond === null) return null;
      if (cond.kind === 'many') {
        const g = cond.many!;
        return many((x, vars, emit) => g(x, vars, (c) => (truthy(c) ? emit(x) : GO_ON)));
      }
      const f = cond.one!;
      return opt((x, vars) => {
        const c = f(x, vars);
        if (c === FAIL) return FAIL;
        return c !== NONE && truthy(c) ? x : NONE;
      });
    }
    case 'first/1': {
      const body = compileNode(n.args[0]!);
      if (body === null) return null;
      if (body.kind !== 'many') return body;
      const g = body.many!;
      return opt((x, vars) => {
        let found: unknown = NONE;
        const r = g(x, vars, (v) => {
          found = v;
          return STOPPED;
        });
        return r === FAILED ? FAIL : found;
      });
    }
    case 'map/1': {
      const body = compileNode(n.args[0]!);
      if (body === null) return null;
      const g = asMany(body);
      return one((x, vars) => {
        const out: unknown[] = [];
        const push = collectInto(out);
        return iterateMany(x, (v) => g(v, vars, push)) === FAILED ? FAIL : out;
      });
    }
  }
  const f = VALUE_FUNCTIONS.get(key);
  if (f === undefined) return null;
  const compiledArgs: Compiled[] = [];
  for (const a of n.args) {
    const c = compileNode(a);
    if (c === null) return null;
    compiledArgs.push(c);
  }
  if (compiledArgs.some((c) => c.kind !== 'one')) {
    // cartesian product over the arguments' outputs, first argument outermost (as the interpreter)
    const gens = compiledArgs.map(asMany);
    return many((x, vars, emit) => {
      const vals: unknown[] = new Array(gens.length);
      const step = (i: number): Code => {
        if (i === gens.length) return emit(f(x, ...vals));
        return gens[i]!(x, vars, (v) => {
          vals[i] = v;
          return step(i + 1);
        });
      };
      return step(0);
    });
  }
  const args = compiledArgs.map((c) => c.one!);
  switch (args.length) {
    case 0:
      return one((x) => f(x));
    case 1: {
      const a0 = args[0]!;
      return one((x, vars) => {
        const a = a0(x, vars);
        return a === FAIL ? FAIL : f(x, a);
      });
    }
    default:
      return one((x, vars) => {
        const vals = args.map((a) => a(x, vars));
        return vals.includes(FAIL) ? FAIL : f(x, ...vals);
      });
  }
}

/** Holder for first() on a many-output program (avoids allocating a closure per call). */
let firstValue: unknown = undefined;
const takeFirst: Emit = (v) => {
  firstValue = v;
  return STOPPED;
};

class FastProgram implements JqProgram {
  readonly source: string;
  readonly fastPath = true;
  /** 'one' | 'opt' | 'many': how many outputs the compiled form can produce. */
  readonly shape: string;
  run: (input: unknown, vars?: Record<string, unknown>) => unknown[];
  first: (input: unknown, vars?: Record<string, unknown>) => unknown;
  tryRun: (input: unknown, vars?: Record<string, unknown>) => unknown[] | null;

  constructor(source: string, c: Compiled) {
    this.source = source;
    this.shape = c.kind;
    if (c.kind !== 'many') {
      const f = c.one!;
      this.first = (input, vars) => {
        const v = f(input, vars);
        if (v === FAIL) throw failure();
        return v === NONE ? undefined : v;
      };
      this.run = (input, vars) => {
        const v = f(input, vars);
        if (v === FAIL) throw failure();
        return v === NONE ? [] : [v];
      };
      this.tryRun = (input, vars) => {
        let v: unknown;
        try {
          v = f(input, vars);
        } catch (e) {
          if (e instanceof JqRuntimeError) return null;
          throw e;
        }
        return v === FAIL ? null : v === NONE ? [] : [v];
      };
    } else {
      const g = c.many!;
      this.first = (input, vars) => {
        firstValue = undefined;
        const r = g(input, vars, takeFirst);
        const v = firstValue;
        firstValue = undefined;
        if (r === FAILED) throw failure();
        return v;
      };
      this.run = (input, vars) => {
        const out: unknown[] = [];
        if (g(input, vars, collectInto(out)) === FAILED) throw failure();
        return out;
      };
      this.tryRun = (input, vars) => {
        const out: unknown[] = [];
        try {
          return g(input, vars, collectInto(out)) === FAILED ? null : out;
        } catch (e) {
          if (e instanceof JqRuntimeError) return null;
          throw e;
        }
      };
    }
  }
}

export function compileFast(src: string, ast: Node): JqProgram | null {
  const c = compileNode(ast);
  return c === null ? null : new FastProgram(src, c);
}
