// Builtins implemented in TypeScript: value functions (arguments evaluated, cartesian over their
// outputs) and control builtins that need the raw argument filters (path, select, limit, …).
import { delPaths, indexValue, indicesOf, setPath } from './access.ts';
import { applyFormat } from './formats.ts';
import type { Node } from './ast.ts';
import { dateBuiltins } from './dates.ts';
import { BreakSignal, JqRuntimeError } from './errors.ts';
import { cartesian, collect, ev, invalidPath, iterate, NO_PATH, type Emit, type Native, type Path, type Scope } from './interpreter.ts';
import { add, splitString } from './operators.ts';
import { regexBuiltins } from './regex.ts';
import {
  compare,
  equals,
  isObject,
  preview,
  setOwn,
  sortedKeys,
  toJson,
  toStringValue,
  truthy,
  typeErrorPreview,
  typeOf,
  type JsonObject,
} from './values.ts';

export const NATIVES = new Map<string, Native>();
/** The builtins that are plain functions of the input and their evaluated arguments (one output). */
export const VALUE_FUNCTIONS = new Map<string, (input: unknown, ...args: unknown[]) => unknown>();
/** Value functions whose arguments gojq evaluates last-outermost (its internal functions). */
export const LAST_ARG_OUTER = new Set<string>();

function vp(path: Path): Path {
  return path === null ? null : NO_PATH;
}

export function typeError0(name: string, v: unknown): JqRuntimeError {
  return new JqRuntimeError(`${name} cannot be applied to: ${typeErrorPreview(v)}`);
}
export function typeError1(name: string, v: unknown, a: unknown): JqRuntimeError {
  return new JqRuntimeError(`${name}(${preview(a)}) cannot be applied to: ${typeErrorPreview(v)}`);
}

/** Registers a function of the input and evaluated arguments with one output. */
export function defValue(
  name: string,
  arity: number,
  f: (input: unknown, ...args: unknown[]) => unknown,
  lastOuter = false,
): void {
  VALUE_FUNCTIONS.set(`${name}/${arity}`, f);
  if (lastOuter) LAST_ARG_OUTER.add(`${name}/${arity}`);
  if (arity === 0) {
    NATIVES.set(`${name}/0`, (input, path, _args, _env, emit) => emit(f(input), vp(path)));
    return;
  }
  NATIVES.set(`${name}/${arity}`, (input, path, args, env, emit) => {
    const p = vp(path);
    cartesian(args, input, env, (vals) => emit(f(input, ...vals), p), lastOuter);
  });
}

export function defNative(name: string, arity: number, f: Native): void {
  NATIVES.set(`${name}/${arity}`, f);
}

/** Elements of an array, or values of an object in key order (gojq's `values` helper). */
function elements(v: unknown): unknown[] | null {
  if (Array.isArray(v)) return v;
  if (isObject(v)) return sortedKeys(v).map((k) => v[k]);
  return null;
}

function codepointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++;
  }
  return n;
}

// ---- core ----

defNative('empty', 0, () => {});
defNative('not', 0, (input, path, _a, _e, emit) => emit(!truthy(input), vp(path)));
defNative('error', 0, (input) => {
  throw errorValue(input);
});
defNative('error', 1, (input, _path, args, env) => {
  ev(args[0]!, input, null, env, (v) => {
    throw errorValue(v);
  });
});
function errorValue(v: unknown): JqRuntimeError {
  return new JqRuntimeError(typeof v === 'string' ? 'error: ' + v : 'error: ' + toJson(v), v);
}

defNative('select', 1, (input, path, args, env, emit) => {
  ev(args[0]!, input, null, env, (c) => {
    if (truthy(c)) emit(input, path);
  });
});
defNative('recurse', 0, (input, path, _args, _env, emit) => {
  const r = (v: unknown, p: Path): void => {
    emit(v, p);
    if (Array.isArray(v) || isObject(v)) iterate(v, p, r);
  };
  r(input, path);
});
// `def recurse(f): def r: ., (f | r); r;` — while f gives at most one output the chain is walked
// in a loop (a recursion per step would exhaust the stack on long chains); at a second output it
// falls back to the recursive form for that step, so order and errors are the same
const SECOND_OUTPUT = { secondOutput: true };
defNative('recurse', 1, (input, path, args, env, emit) => {
  const f = args[0]!;
  const r = (start: unknown, startPath: Path): void => {
    let v = start;
    let p = startPath;
    for (;;) {
      emit(v, p);
      let next: { v: unknown; p: Path } | null = null;
      let error: JqRuntimeError | null = null;
      try {
        ev(f, v, p, env, (x, xp) => {
          if (next !== null) throw SECOND_OUTPUT;
          next = { v: x, p: xp };
        });
      } catch (e) {
        if (e === SECOND_OUTPUT) {
          ev(f, v, p, env, r);
          return;
        }
        if (!(e instanceof JqRuntimeError)) throw e;
        error = e;
      }
      if (next === null) {
        if (error !== null) throw error;
        return;
      }
      const n: { v: unknown; p: Path } = next;
      if (error !== null) {
        r(n.v, n.p);
        throw error;
      }
      v = n.v;
      p = n.p;
    }
  };
  r(input, path);
});
defNative('path', 1, (input, path, args, env, emit) => {
  ev(args[0]!, input, [], env, (v, p) => {
    if (p === null || p === NO_PATH) throw invalidPath(v);
    emit(p, vp(path));
  });
});
defNative('getpath', 1, (input, path, args, env, emit) => {
  ev(args[0]!, input, null, env, (p) => {
    if (!Array.isArray(p)) throw typeError1('getpath', input, p);
    let v: unknown = input;
    for (const k of p) {
      if (v === null || v === undefined) {
        v = null;
        break;
      }
      if (typeof v !== 'object') throw typeError1('getpath', input, p);
      try {
        v = indexValue(v, k);
      } catch (e) {
        throw new JqRuntimeError(`getpath(${preview(p)}) cannot be applied to ${preview(input)}: ${(e as Error).message}`);
      }
    }
    if (path === null) emit(v, null);
    else if (path === NO_PATH) throw invalidPath(input);
    else emit(v, path.concat(p));
  });
});
defValue('setpath', 2, (input, p, v) => setPath(input, p, v), true);
defValue('delpaths', 1, (input, ps) => delPaths(input, ps));
defNative('first', 1, (input, path, args, env, emit) => {
  const token = {};
  try {
    ev(args[0]!, input, path, env, (v, p) => {
      emit(v, p);
      throw new BreakSignal(token);
    });
  } catch (e) {
    if (!(e instanceof BreakSignal && e.label === token)) throw e;
  }
});
defNative('last', 1, (input, path, args, env, emit) => {
  let any = false;
  let last: unknown;
  let lastPath: Path = null;
  ev(args[0]!, input, path, env, (v, p) => {
    any = true;
    last = v;
    lastPath = p;
  });
  if (any) emit(last, lastPath);
});
defNative('limit', 2, (input, path, args, env, emit) => {
  ev(args[0]!, input, null, env, (n) => {
    if (typeof n !== 'number') throw new JqRuntimeError('limit doesn\'t support non-number count');
    if (n < 0) throw new JqRuntimeError("limit doesn't support negative count");
    if (n === 0) return;
    let left = n;
    const token = {};
    try {
      ev(args[1]!, input, path, env, (v, p) => {
        left--;
        emit(v, p);
        if (left <= 0) throw new BreakSignal(token);
      });
    } catch (e) {
      if (!(e instanceof BreakSignal && e.label === token)) throw e;
    }
  });
});
defNative('skip', 2, (input, path, args, env, emit) => {
  ev(args[0]!, input, null, env, (n) => {
    if (typeof n !== 'number') throw new JqRuntimeError('skip doesn\'t support non-number count');
    if (n < 0) throw new JqRuntimeError("skip doesn't support negative count");
    let seen = 0;
    ev(args[1]!, input, path, env, (v, p) => {
      if (seen++ >= n) emit(v, p);
    });
  });
});
defNative('isempty', 1, (input, path, args, env, emit) => {
  const token = {};
  let empty = true;
  try {
    ev(args[0]!, input, null, env, () => {
      empty = false;
      throw new BreakSignal(token);
    });
  } catch (e) {
    if (!(e instanceof BreakSignal && e.label === token)) throw e;
  }
  emit(empty, vp(path));
});

/** Runs `f` on `v`; returns its outputs (so single-output steps can loop instead of recursing). */
function outputs(f: Node, v: unknown, p: Path, env: Scope): { vs: unknown[]; ps: Path[] } {
  const vs: unknown[] = [];
  const ps: Path[] = [];
  ev(f, v, p, env, (x, xp) => {
    vs.push(x);
    ps.push(xp);
  });
  return { vs, ps };
}

defNative('until', 2, (input, path, args, env, emit) => {
  const [cond, next] = [args[0]!, args[1]!];
  const step = (v: unknown, p: Path): void => {
    for (;;) {
      const cs = collect(cond, v, env);
      let more: { vs: unknown[]; ps: Path[] } | null = null;
      for (const c of cs) {
        if (truthy(c)) emit(v, p);
        else {
          const o = outputs(next, v, p, env);
          if (cs.length === 1 && o.vs.length === 1) more = o;
          else for (let i = 0; i < o.vs.length; i++) step(o.vs[i], o.ps[i]!);
        }
      }
      if (more === null) return;
      v = more.vs[0];
      p = more.ps[0]!;
    }
  };
  step(input, path);
});
defNative('while', 2, (input, path, args, env, emit) => {
  const [cond, update] = [args[0]!, args[1]!];
  const step = (v: unknown, p: Path): void => {
    for (;;) {
      const cs = collect(cond, v, env);
      let more: { vs: unknown[]; ps: Path[] } | null = null;
      for (const c of cs) {
        if (!truthy(c)) continue;
        emit(v, p);
        const o = outputs(update, v, p, env);
        if (cs.length === 1 && o.vs.length === 1) more = o;
        else for (let i = 0; i < o.vs.length; i++) step(o.vs[i], o.ps[i]!);
      }
      if (more === null) return;
      v = more.vs[0];
      p = more.ps[0]!;
    }
  };
  step(input, path);
});
// jq and gojq: `def repeat(f): def _repeat: f, _repeat; _repeat;` (f applied to the same input, forever)
defNative('repeat', 1, (input, path, args, env, emit) => {
  for (;;) ev(args[0]!, input, path, env, emit);
});

function rangeOut(from: unknown, upto: unknown, by: unknown, emit: Emit): void {
  for (const x of [from, upto, by]) if (typeof x !== 'number') throw typeError0('range', x);
  const a = from as number;
  const b = upto as number;
  const s = by as number;
  if (s > 0) for (let i = a; i < b; i += s) emit(i, null);
  else if (s < 0) for (let i = a; i > b; i += s) emit(i, null);
}
defNative('range', 1, (input, path, args, env, emit) => {
  const p = vp(path);
  ev(args[0]!, input, null, env, (n) => rangeOut(0, n, 1, (v) => emit(v, p)));
});
defNative('range', 2, (input, path, args, env, emit) => {
  const p = vp(path);
  cartesian(args, input, env, ([a, b]) => rangeOut(a, b, 1, (v) => emit(v, p)));
});
defNative('range', 3, (input, path, args, env, emit) => {
  const p = vp(path);
  cartesian(args, input, env, ([a, b, c]) => rangeOut(a, b, c, (v) => emit(v, p)));
});
defNative('input', 0, () => {
  throw new JqRuntimeError('input(s)/0 is not allowed');
});
defNative('inputs', 0, () => {
  throw new JqRuntimeError('input(s)/0 is not allowed');
});
defNative('debug', 0, (input, path, _a, _e, emit) => emit(input, path));
defNative('debug', 1, (input, path, _a, _e, emit) => emit(input, path));
defNative('stderr', 0, (input, path, _a, _e, emit) => emit(input, path));
defValue('input_filename', 0, () => null);
defValue('halt', 0, () => {
  throw new JqRuntimeError('halt is not supported');
});
defValue('have_decnum', 0, () => false);

// ---- values ----

defValue('length', 0, (v) => {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'string') return codepointLength(v);
  if (Array.isArray(v)) return v.length;
  if (typeof v === 'number') return Math.abs(v);
  if (isObject(v)) return Object.keys(v).length;
  throw typeError0('length', v);
});
defValue('utf8bytelength', 0, (v) => {
  if (typeof v !== 'string') throw typeError0('utf8bytelength', v);
  return Buffer.byteLength(v, 'utf8');
});
defValue('type', 0, (v) => typeOf(v));
defValue('keys', 0, (v) => {
  if (Array.isArray(v)) return v.map((_, i) => i);
  if (isObject(v)) return sortedKeys(v);
  throw typeError0('keys', v);
});
defValue('keys_unsorted', 0, (v) => {
  if (Array.isArray(v)) return v.map((_, i) => i);
  if (isObject(v)) return Object.keys(v);
  throw typeError0('keys_unsorted', v);
});
defValue('has', 1, (v, k) => {
  if (v === null || v === undefined) return false;
  if (isObject(v) && typeof k === 'string') return Object.prototype.hasOwnProperty.call(v, k);
  if (Array.isArray(v) && typeof k === 'number') return k >= 0 && k < v.length;
  throw typeError1('has', v, k);
});
defValue('contains', 1, (v, x) => contains(v, x));
/** gojq: arrays and objects compare element-wise (a type mismatch inside is just "not contained"). */
function containsOrError(l: unknown, r: unknown): boolean | JqRuntimeError {
  if (typeof l === 'number' && typeof r === 'number') return l === r;
  if (typeof l === 'string' && typeof r === 'string') return l.includes(r);
  if (Array.isArray(l) && Array.isArray(r)) return r.every((y) => l.some((x) => containsOrError(x, y) === true));
  if (isObject(l) && isObject(r)) {
    if (Object.keys(l).length < Object.keys(r).length) return false;
    return Object.keys(r).every((k) => Object.prototype.hasOwnProperty.call(l, k) && containsOrError(l[k], r[k]) === true);
  }
  if (equals(l, r) && typeof l !== 'object') return true;
  if ((l === null || l === undefined) && (r === null || r === undefined)) return true;
  return typeError1('contains', l, r);
}
function contains(l: unknown, r: unknown): boolean {
  const c = containsOrError(l, r);
  if (c instanceof JqRuntimeError) throw c;
  return c;
}
defValue('add', 0, (v) => {
  const xs = elements(v);
  if (xs === null) {
    if (v === null || v === undefined) return null;
    throw typeError0('add', v);
  }
  let acc: unknown = null;
  for (const x of xs) acc = add(acc, x);
  return acc;
});
defValue('flatten', 0, (v) => flattenValue(v, Infinity));
defValue('flatten', 1, (v, d) => {
  if (typeof d !== 'number') throw typeError0('flatten', d);
  if (d < 0) throw new JqRuntimeError('flatten depth should not be negative: ' + toJson(d));
  return flattenValue(v, d);
});
function flattenValue(v: unknown, depth: number): unknown[] {
  const xs = elements(v);
  if (xs === null) throw typeError0('flatten', v);
  const out: unknown[] = [];
  // gojq flattens while the depth is not exactly 0 (so a fractional depth flattens everything)
  const rec = (arr: unknown[], d: number) => {
    for (const x of arr) {
      if (Array.isArray(x) && d !== 0) rec(x, d - 1);
      else out.push(x);
    }
  };
  rec(xs, depth);
  return out;
}
defValue('tostring', 0, (v) => toStringValue(v));
defValue('tojson', 0, (v) => toJson(v));
defValue('fromjson', 0, (v) => {
  if (typeof v !== 'string') throw typeError0('fromjson', v);
  try {
    return JSON.parse(v);
  } catch (e) {
    throw new JqRuntimeError(`fromjson cannot be applied to ${preview(v)}: ${(e as Error).message}`);
  }
});
const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
defValue('tonumber', 0, (v) => {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (!NUMBER_RE.test(v)) throw new JqRuntimeError(`tonumber cannot be applied to ${preview(v)}: invalid number`);
    const n = Number(v.endsWith('.') ? v + '0' : v);
    return n;
  }
  throw typeError0('tonumber', v);
});
defValue('toboolean', 0, (v) => {
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  if (typeof v === 'string') throw new JqRuntimeError(`toboolean cannot be applied to ${preview(v)}: invalid boolean`);
  throw typeError0('toboolean', v);
});
defValue('infinite', 0, () => Infinity);
defValue('nan', 0, () => NaN);
// gojq: these answer false for non-numbers; isfinite is "not infinite" (NaN is finite)
defValue('isinfinite', 0, (v) => v === Infinity || v === -Infinity);
defValue('isfinite', 0, (v) => typeof v === 'number' && v !== Infinity && v !== -Infinity);
defValue('isnan', 0, (v) => typeof v === 'number' && Number.isNaN(v));
defValue('isnormal', 0, (v) => typeof v === 'number' && Number.isFinite(v) && v !== 0 && Math.abs(v) >= 2.2250738585072014e-308);
defValue('isvalid', 1, () => true);
defValue('abs', 0, (v) => {
  if (typeof v !== 'number') throw typeError0('abs', v);
  return Math.abs(v);
});

const MATH1: Record<string, (x: number) => number> = {
  floor: Math.floor, ceil: Math.ceil, round: (x) => Math.sign(x) * Math.round(Math.abs(x)), sqrt: Math.sqrt, fabs: Math.abs,
  trunc: Math.trunc, log: Math.log, log2: Math.log2, log10: Math.log10, log1p: Math.log1p,
  exp: Math.exp, exp2: (x) => 2 ** x, exp10: (x) => 10 ** x, expm1: Math.expm1,
  sin: Math.sin, cos: Math.cos, tan: Math.tan, asin: Math.asin, acos: Math.acos, atan: Math.atan,
  sinh: Math.sinh, cosh: Math.cosh, tanh: Math.tanh, asinh: Math.asinh, acosh: Math.acosh, atanh: Math.atanh,
  cbrt: Math.cbrt, significand: (x) => (x === 0 || !Number.isFinite(x) ? x : x / 2 ** Math.floor(Math.log2(Math.abs(x)))),
  logb: (x) => Math.floor(Math.log2(Math.abs(x))), nearbyint: roundEven, rint: roundEven,
};
function roundEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
for (const [name, f] of Object.entries(MATH1)) {
  defValue(name, 0, (v) => {
    if (typeof v !== 'number') throw typeError0(name, v);
    return f(v);
  });
}
const MATH2: Record<string, (x: number, y: number) => number> = {
  pow: Math.pow, atan2: Math.atan2, fmin: Math.min, fmax: Math.max, fmod: (x, y) => x % y,
  ldexp: (x, e) => x * 2 ** e, scalb: (x, e) => x * 2 ** e, scalbln: (x, e) => x * 2 ** e,
  copysign: (x, y) => Math.sign(y) * Math.abs(x) || (Object.is(y, -0) ? -Math.abs(x) : Math.abs(x)),
  drem: (x, y) => x - y * roundEven(x / y), remainder: (x, y) => x - y * roundEven(x / y),
  fdim: (x, y) => (x > y ? x - y : Number.isNaN(x) || Number.isNaN(y) ? NaN : 0), hypot: Math.hypot,
};
for (const [name, f] of Object.entries(MATH2)) {
  defValue(
    name,
    2,
    (_v, a, b) => {
      if (typeof a !== 'number') throw typeError0(name, a);
      if (typeof b !== 'number') throw typeError0(name, b);
      return f(a, b);
    },
    true,
  );
}

defValue(
  'fma',
  3,
  (_v, x, y, z) => {
    for (const a of [x, y, z]) if (typeof a !== 'number') throw typeError0('fma', a);
    return (x as number) * (y as number) + (z as number);
  },
  true,
);
defValue('frexp', 0, (v) => {
  if (typeof v !== 'number') throw typeError0('frexp', v);
  if (v === 0 || !Number.isFinite(v)) return [v, 0];
  const e = Math.floor(Math.log2(Math.abs(v))) + 1;
  return [v / 2 ** e, e];
});
defValue('modf', 0, (v) => {
  if (typeof v !== 'number') throw typeError0('modf', v);
  if (!Number.isFinite(v)) return [Number.isNaN(v) ? v : 0 * Math.sign(v), v];
  const i = Math.trunc(v);
  return [v - i, i];
});

// ---- arrays ----

function sortKeyed(name: string, input: unknown, f: Node | null, env: Scope): { v: unknown; key: unknown }[] {
  if (!Array.isArray(input)) throw typeError0(name, input);
  const items = input.map((v) => ({ v, key: f === null ? v : collect(f, v, env) }));
  // Array.prototype.sort is stable, as jq's sort_by is
  items.sort((a, b) => compare(a.key, b.key));
  return items;
}
defValue('sort', 0, (v) => sortKeyed('sort', v, null, null).map((x) => x.v));
defNative('sort_by', 1, (input, path, args, env, emit) =>
  emit(sortKeyed('sort_by', input, args[0]!, env).map((x) => x.v), vp(path)),
);
defNative('group_by', 1, (input, path, args, env, emit) => {
  const groups: unknown[][] = [];
  let lastKey: unknown = undefined;
  for (const item of sortKeyed('group_by', input, args[0]!, env)) {
    if (groups.length > 0 && equals(lastKey, item.key)) groups[groups.length - 1]!.push(item.v);
    else groups.push([item.v]);
    lastKey = item.key;
  }
  emit(groups, vp(path));
});
defNative('unique_by', 1, (input, path, args, env, emit) => {
  const out: unknown[] = [];
  let lastKey: unknown = undefined;
  for (const item of sortKeyed('unique_by', input, args[0]!, env)) {
    if (out.length === 0 || !equals(lastKey, item.key)) out.push(item.v);
    lastKey = item.key;
  }
  emit(out, vp(path));
});
defValue('unique', 0, (v) => {
  const out: unknown[] = [];
  for (const item of sortKeyed('unique', v, null, null)) {
    if (out.length === 0 || !equals(out[out.length - 1], item.v)) out.push(item.v);
  }
  return out;
});
function extremum(name: string, input: unknown, f: Node | null, env: Scope, max: boolean): unknown {
  if (!Array.isArray(input)) throw typeError0(name, input);
  if (input.length === 0) return null;
  let best = input[0];
  let bestKey = f === null ? best : collect(f, best, env);
  for (let i = 1; i < input.length; i++) {
    const k = f === null ? input[i] : collect(f, input[i], env);
    const c = compare(k, bestKey);
    if (max ? c >= 0 : c < 0) {
      best = input[i];
      bestKey = k;
    }
  }
  return best;
}
defValue('min', 0, (v) => extremum('min', v, null, null, false));
defValue('max', 0, (v) => extremum('max', v, null, null, true));
defNative('min_by', 1, (input, path, args, env, emit) => emit(extremum('min_by', input, args[0]!, env, false), vp(path)));
defNative('max_by', 1, (input, path, args, env, emit) => emit(extremum('max_by', input, args[0]!, env, true), vp(path)));
defValue('reverse', 0, (v) => {
  if (Array.isArray(v)) return v.slice().reverse();
  if (typeof v === 'string') return Array.from(v).reverse().join('');
  if (v === null || v === undefined) return [];
  throw typeError0('reverse', v);
});
defValue('to_entries', 0, (v) => {
  if (isObject(v)) return sortedKeys(v).map((key) => ({ key, value: v[key] }));
  if (Array.isArray(v)) return v.map((value, key) => ({ key, value }));
  throw typeError0('keys', v);
});
// gojq: the key is the first truthy of key/Key/name/Name and must be a string; the value is
// `value` when present, else `Value`
defValue('from_entries', 0, (v) => {
  const xs = elements(v);
  if (xs === null) throw new JqRuntimeError('cannot iterate over: ' + typeErrorPreview(v));
  const out: JsonObject = {};
  for (const e of xs) {
    if (e === null || e === undefined) throw new JqRuntimeError('expected a string for object key but got: null');
    if (!isObject(e)) throw new JqRuntimeError('expected an object but got: ' + typeErrorPreview(e));
    let key: unknown = null;
    for (const name of ['key', 'Key', 'name', 'Name']) {
      const k = e[name];
      if (truthy(k)) {
        key = k;
        break;
      }
      key = k === undefined ? null : k;
    }
    if (typeof key !== 'string') throw new JqRuntimeError('expected a string for object key but got: ' + typeErrorPreview(key));
    const value = Object.prototype.hasOwnProperty.call(e, 'value') ? e['value'] : e['Value'];
    setOwn(out, key, value === undefined ? null : value);
  }
  return out;
});
defValue('bsearch', 1, (v, target) => {
  if (!Array.isArray(v)) throw typeError1('bsearch', v, target);
  let lo = 0;
  let hi = v.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = compare(v[mid], target);
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1 - lo;
});
defValue('indices', 1, (v, x) => indicesValue('indices', v, x));
defValue('index', 1, (v, x) => {
  const r = indicesValue('index', v, x);
  return Array.isArray(r) ? (r.length > 0 ? r[0] : null) : null;
});
defValue('rindex', 1, (v, x) => {
  const r = indicesValue('rindex', v, x);
  return Array.isArray(r) ? (r.length > 0 ? r[r.length - 1] : null) : null;
});
function indicesValue(name: string, v: unknown, x: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' && typeof x === 'string') {
    if (x === '') return [];
    // offsets in code points, like gojq
    const cps = Array.from(v);
    const sub = Array.from(x);
    const out: number[] = [];
    for (let i = 0; i + sub.length <= cps.length; i++) {
      let ok = true;
      for (let j = 0; j < sub.length; j++) if (cps[i + j] !== sub[j]) { ok = false; break; }
      if (ok) out.push(i);
    }
    return out;
  }
  if (Array.isArray(v) && Array.isArray(x)) return indicesOf(v, x);
  if (Array.isArray(v)) return indicesOf(v, [x]);
  throw typeError1(name, v, x);
}
defValue('tojson', 0, (v) => toJson(v));

// ---- strings ----

function str1(name: string, f: (s: string, a: string) => unknown): void {
  defValue(name, 1, (v, a) => {
    if (typeof v !== 'string' || typeof a !== 'string') throw typeError1(name, v, a);
    return f(v, a);
  });
}
str1('startswith', (s, a) => s.startsWith(a));
str1('endswith', (s, a) => s.endsWith(a));
str1('ltrimstr', (s, a) => (s.startsWith(a) ? s.slice(a.length) : s));
str1('rtrimstr', (s, a) => (a !== '' && s.endsWith(a) ? s.slice(0, s.length - a.length) : s));
str1('trimstr', (s, a) => {
  let r = s.startsWith(a) ? s.slice(a.length) : s;
  if (a !== '' && r.endsWith(a)) r = r.slice(0, r.length - a.length);
  return r;
});
defValue('split', 1, (v, sep) => {
  if (typeof v !== 'string') throw typeError0('split', v);
  if (typeof sep !== 'string') throw typeError0('split', sep);
  return splitString(v, sep);
});
function strFn(name: string, f: (s: string) => unknown): void {
  defValue(name, 0, (v) => {
    if (typeof v !== 'string') throw typeError0(name, v);
    return f(v);
  });
}
strFn('ascii_downcase', (s) => s.replace(/[A-Z]/g, (c) => c.toLowerCase()));
strFn('ascii_upcase', (s) => s.replace(/[a-z]/g, (c) => c.toUpperCase()));
// Go's unicode.IsSpace
const SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const LEADING_SPACE = new RegExp(`^[${SPACE}]+`);
const TRAILING_SPACE = new RegExp(`[${SPACE}]+$`);
strFn('ltrim', (s) => s.replace(LEADING_SPACE, ''));
strFn('rtrim', (s) => s.replace(TRAILING_SPACE, ''));
strFn('trim', (s) => s.replace(LEADING_SPACE, '').replace(TRAILING_SPACE, ''));
strFn('explode', (s) => Array.from(s, (c) => c.codePointAt(0)!));
defValue('implode', 0, (v) => {
  if (!Array.isArray(v)) throw typeError0('implode', v);
  let out = '';
  for (const c of v) {
    if (typeof c !== 'number') throw typeError0('implode', v);
    const cp = Math.trunc(c);
    out += cp >= 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) ? String.fromCodePoint(cp) : '\ufffd';
  }
  return out;
});
defValue('join', 1, (v, sep) => {
  const xs = elements(v);
  if (xs === null) throw typeError1('join', v, sep);
  if (xs.length === 0) return '';
  let acc: unknown = '';
  xs.forEach((x, i) => {
    if (i > 0) acc = add(acc, sep);
    if (typeof x === 'boolean' || typeof x === 'number') x = toJson(x);
    acc = add(acc, x);
  });
  return acc;
});
defValue('format', 1, (v, name) => {
  if (typeof name !== 'string') throw typeError0('format', name);
  return applyFormat(name, v);
});
defValue('ascii', 0, (v) => {
  if (typeof v !== 'number') throw typeError0('ascii', v);
  return String.fromCodePoint(v);
});
defValue('builtins', 0, () => [...NATIVES.keys()]);

regexBuiltins(defValue, defNative);
dateBuiltins(defValue);
