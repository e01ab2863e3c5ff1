// Compiles the program shapes stage selectors use — path chains (`.a.b["c-d"]`, `.[0]`, `.a[]`,
// `?`), `select(...)` with comparisons and and/or/not, `//`, `[...]`, builtins of one output such
// as `length` and `has("x")`, pipes and commas of those — to plain closures. Anything else returns
// null and the caller uses the interpreter. The closures reuse the interpreter's helpers (indexing,
// operators, builtins, error wording) so both give identical outputs and errors.
import { getField, indexValue, sliceValue } from './access.ts';
import type { Node } from './ast.ts';
import { VALUE_FUNCTIONS } from './builtins.ts';
import { JqRuntimeError } from './errors.ts';
import { binary } from './operators.ts';
import type { JqProgram } from './program.ts';
import { isObject, sortedKeys, truthy, typeErrorPreview } from './values.ts';

type Vars = Record<string, unknown> | undefined;
/** No output (for optional single-output pieces). */
const NONE: unique symbol = Symbol('no output');
/** One output, or NONE, or throws. */
type One = (x: unknown, vars: Vars) => unknown;
/** Any number of outputs; `emit` returns true to stop early; returns true when stopped. */
type Many = (x: unknown, vars: Vars, emit: (v: unknown) => boolean) => boolean;

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
  if (c.kind === 'one') return (x, vars, emit) => emit(f(x, vars));
  return (x, vars, emit) => {
    const v = f(x, vars);
    return v === NONE ? false : emit(v);
  };
}

function field(key: string): (v: unknown) => unknown {
  return (v) => (isObject(v) ? getField(v, key) : v === null || v === undefined ? null : indexValue(v, key));
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
    isObject(v) ? getField(v, k) : v === null || v === undefined ? null : indexValue(v, k);
  const [a, b, c] = keys as [string, string, string];
  switch (keys.length) {
    case 1:
      return (x) => step(x, a);
    case 2:
      return (x) => step(step(x, a), b);
    case 3:
      return (x) => step(step(step(x, a), b), c);
    default:
      return (x) => {
        let v = x;
        for (let i = 0; i < keys.length; i++) v = step(v, keys[i]!);
        return v;
      };
  }
}

function iterateMany(t: unknown, emit: (v: unknown) => boolean): boolean {
  if (Array.isArray(t)) {
    for (let i = 0; i < t.length; i++) if (emit(t[i] === undefined ? null : t[i])) return true;
    return false;
  }
  if (isObject(t)) {
    for (const k of sortedKeys(t)) if (emit(t[k])) return true;
    return false;
  }
  throw new JqRuntimeError('cannot iterate over: ' + typeErrorPreview(t));
}

/** Applies a one-input step to every output of `c`. */
function then(c: Compiled, step: (v: unknown) => unknown): Compiled {
  if (c.kind === 'many') {
    const g = c.many!;
    return many((x, vars, emit) => g(x, vars, (v) => emit(step(v))));
  }
  const f = c.one!;
  if (c.kind === 'one') return one((x, vars) => step(f(x, vars)));
  return opt((x, vars) => {
    const v = f(x, vars);
    return v === NONE ? NONE : step(v);
  });
}

function compilePipe(left: Compiled, right: Compiled): Compiled {
  if (left.kind !== 'many' && right.kind !== 'many') {
    const f = left.one!;
    const g = right.one!;
    if (left.kind === 'one') {
      return right.kind === 'one' ? one((x, vars) => g(f(x, vars), vars)) : opt((x, vars) => g(f(x, vars), vars));
    }
    return opt((x, vars) => {
      const v = f(x, vars);
      return v === NONE ? NONE : g(v, vars);
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
        return f(x, vars);
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
      return g(x, vars, (v) => {
        downstream = true;
        const stop = emit(v);
        downstream = false;
        return stop;
      });
    } catch (e) {
      if (downstream || !(e instanceof JqRuntimeError)) throw e;
      return false;
    }
  });
}

/** A single-output operand (needed where the interpreter would take a cartesian product). */
function single(c: Compiled | null): One | null {
  return c !== null && c.kind === 'one' ? c.one! : null;
}

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
        return then(target, typeof key === 'string' ? field(key) : (v) => indexValue(v, key));
      }
      // `.[e]`: e is evaluated against the original input
      const idx = single(compileNode(n.index));
      if (idx === null || target.kind === 'many') return null;
      const t = target.one!;
      const make = target.kind === 'one' ? one : opt;
      return make((x, vars) => {
        const tv = t(x, vars);
        if (tv === NONE) return NONE;
        return indexValue(tv, idx(x, vars));
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
        if (tv === NONE) return NONE;
        const fromV = from(x, vars);
        return sliceValue(tv, fromV, to(x, vars));
      });
    }
    case 'iterate': {
      const target = compileNode(n.target);
      if (target === null) return null;
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
      return many((x, vars, emit) => f(x, vars, emit) || g(x, vars, emit));
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
          return binary(op, l(x, vars), rv);
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
        if (isAnd) return one((x, vars) => truthy(l(x, vars)) && truthy(r(x, vars)));
        return one((x, vars) => truthy(l(x, vars)) || truthy(r(x, vars)));
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
          return v !== NONE && truthy(v) ? v : g(x, vars);
        });
      }
      const f = asMany(compileTry(left));
      const g = asMany(right);
      return many((x, vars, emit) => {
        let any = false;
        const stopped = f(x, vars, (v) => {
          if (!truthy(v)) return false;
          any = true;
          return emit(v);
        });
        if (stopped) return true;
        return any ? false : g(x, vars, emit);
      });
    }
    case 'array': {
      if (n.body === null) return one(() => []);
      const body = compileNode(n.body);
      if (body === null) return null;
      if (body.kind === 'one') {
        const f = body.one!;
        return one((x, vars) => [f(x, vars)]);
      }
      const g = asMany(body);
      return one((x, vars) => {
        const out: unknown[] = [];
        g(x, vars, (v) => {
          out.push(v);
          return false;
        });
        return out;
      });
    }
    case 'if': {
      const condC = compileNode(n.cond);
      const a = compileNode(n.then);
      const b = compileNode(n.else);
      if (condC === null || a === null || b === null) return null;
      const cond = single(condC);
      if (cond === null) {
        const fc = asMany(condC);
        const fa = asMany(a);
        const fb = asMany(b);
        return many((x, vars, emit) => fc(x, vars, (c) => (truthy(c) ? fa(x, vars, emit) : fb(x, vars, emit))));
      }
      if (a.kind === 'many' || b.kind === 'many') {
        const fa = asMany(a);
        const fb = asMany(b);
        return many((x, vars, emit) => (truthy(cond(x, vars)) ? fa(x, vars, emit) : fb(x, vars, emit)));
      }
      const fa = a.one!;
      const fb = b.one!;
      const make = a.kind === 'one' && b.kind === 'one' ? one : opt;
      return make((x, vars) => (truthy(cond(x, vars)) ? fa(x, vars) : fb(x, vars)));
    }
    case 'object': {
      // only constant keys with single-output values; others go to the interpreter
      const keys: string[] = [];
      const vals: One[] = [];
      for (const e of n.entries) {
        if (e.key.k !== 'literal' || typeof e.key.value !== 'string') return null;
        const key = e.key.value;
        const v = e.value === null ? one((x) => (isObject(x) ? getField(x, key) : indexValue(x, key))) : compileNode(e.value);
        const f = single(v);
        if (f === null) return null;
        keys.push(key);
        vals.push(f);
      }
      return one((x, vars) => {
        const o: Record<string, unknown> = {};
        for (let i = 0; i < keys.length; i++) o[keys[i]!] = vals[i]!(x, vars);
        return o;
      });
    }
    case 'neg': {
      const body = compileNode(n.body);
      if (body === null) return null;
      return then(body, (v) => {
        if (typeof v !== 'number') throw new JqRuntimeError('cannot negate: ' + typeErrorPreview(v));
        return -v;
      });
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
        return many((x, vars, emit) => g(x, vars, (c) => (truthy(c) ? emit(x) : false)));
      }
      const f = cond.one!;
      return opt((x, vars) => {
        const c = f(x, vars);
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
        g(x, vars, (v) => {
          found = v;
          return true;
        });
        return found;
      });
    }
    case 'map/1': {
      const body = compileNode(n.args[0]!);
      if (body === null) return null;
      const g = asMany(body);
      return one((x, vars) => {
        const out: unknown[] = [];
        iterateMany(x, (v) =>
          g(v, vars, (w) => {
            out.push(w);
            return false;
          }),
        );
        return out;
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
      const step = (i: number): boolean => {
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
      return one((x, vars) => f(x, a0(x, vars)));
    }
    default:
      return one((x, vars) => f(x, ...args.map((a) => a(x, vars))));
  }
}

/** Holder for first() on a many-output program (avoids allocating a closure per call). */
let firstValue: unknown = undefined;
const takeFirst = (v: unknown): boolean => {
  firstValue = v;
  return true;
};

class FastProgram implements JqProgram {
  readonly source: string;
  readonly fastPath = true;
  private readonly compiled: Compiled;
  constructor(source: string, compiled: Compiled) {
    this.source = source;
    this.compiled = compiled;
    const c = compiled;
    if (c.kind !== 'many') {
      const f = c.one!;
      this.first = (input, vars) => {
        const v = f(input, vars);
        return v === NONE ? undefined : v;
      };
      this.run = (input, vars) => {
        const v = f(input, vars);
        return v === NONE ? [] : [v];
      };
    } else {
      const g = c.many!;
      this.first = (input, vars) => {
        firstValue = undefined;
        g(input, vars, takeFirst);
        const v = firstValue;
        firstValue = undefined;
        return v;
      };
      this.run = (input, vars) => {
        const out: unknown[] = [];
        g(input, vars, (v) => {
          out.push(v);
          return false;
        });
        return out;
      };
    }
  }
  run: (input: unknown, vars?: Record<string, unknown>) => unknown[];
  first: (input: unknown, vars?: Record<string, unknown>) => unknown;
  /** 'one' | 'opt' | 'many': how many outputs the compiled form can produce. */
  get shape(): string {
    return this.compiled.kind;
  }
}

export function compileFast(src: string, ast: Node): JqProgram | null {
  const c = compileNode(ast);
  return c === null ? null : new FastProgram(src, c);
}
