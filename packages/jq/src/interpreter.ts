// Tree-walking jq evaluator in continuation-passing style: every node calls `emit` once per output.
// `path` is null for ordinary evaluation; inside `path(f)`, `|=`, `del` etc. it is the path of the
// current value from the root (NO_PATH marks a value that is not addressable, e.g. a literal).
// Early exits (`limit`, `first`, `label`/`break`) unwind with BreakSignal exceptions.
import { delPaths, getField, getPath, indexValue, setPath, sliceValue } from './access.ts';
import type { FuncDef, Node, Pattern } from './ast.ts';
import { BreakSignal, JqRuntimeError } from './errors.ts';
import { applyFormat } from './formats.ts';
import { NATIVES } from './builtins.ts';
import { binary, add, subtract, multiply, divide, modulo } from './operators.ts';
import { preludeDefs } from './prelude.ts';
import { isObject, setOwn, sortedKeys, truthy, typeErrorPreview, toStringValue } from './values.ts';

export type Path = unknown[] | null;
export type Emit = (v: unknown, p: Path) => void;

export const NO_PATH: unknown[] = Object.freeze([]) as unknown as unknown[];

export type Scope = VarFrame | FuncFrame | ArgFrame | LabelFrame | null;
interface VarFrame {
  kind: 0;
  name: string;
  value: unknown;
  parent: Scope;
}
export interface FuncFrame {
  kind: 1;
  key: string;
  def: FuncDef;
  /** Scope the body runs in (the frame itself, so the function can call itself); null for the prelude. */
  closure: Scope;
  parent: Scope;
}
interface ArgFrame {
  kind: 2;
  key: string;
  body: Node;
  env: Scope;
  parent: Scope;
}
interface LabelFrame {
  kind: 3;
  name: string;
  token: object;
  parent: Scope;
}

export type Native = (input: unknown, path: Path, args: Node[], env: Scope, emit: Emit) => void;

/** Wraps an error raised downstream of a `try` body so that the `try` does not catch it. */
class Downstream {
  readonly error: unknown;
  readonly owner: object;
  constructor(error: unknown, owner: object) {
    this.error = error;
    this.owner = owner;
  }
}

export function invalidPath(v: unknown): JqRuntimeError {
  return new JqRuntimeError('invalid path against: ' + typeErrorPreview(v));
}

/** Path of `.[k]` below `p`; fails when `p` marks a non-addressable value. */
function extend(p: Path, k: unknown, v: unknown): Path {
  if (p === null) return null;
  if (p === NO_PATH) throw invalidPath(v);
  const out = p.slice();
  out.push(k);
  return out;
}

function valuePath(path: Path): Path {
  return path === null ? null : NO_PATH;
}

export function bindVar(env: Scope, name: string, value: unknown): Scope {
  return { kind: 0, name, value, parent: env };
}

export function lookupVar(env: Scope, name: string): { found: boolean; value: unknown } {
  for (let s = env; s !== null; s = s.parent) {
    if (s.kind === 0 && s.name === name) return { found: true, value: s.value };
  }
  return { found: false, value: undefined };
}

export function ev(n: Node, input: unknown, path: Path, env: Scope, emit: Emit): void {
  switch (n.k) {
    case 'identity':
      emit(input, path);
      return;
    case 'index': {
      const idx = n.index;
      if (path === null) {
        // `.a.b[0]…` from `.`: walk the constant keys without a closure per step
        const chain = n.chain ?? (n.chain = constantChain(n));
        if (chain !== false) {
          let v = input;
          for (let i = 0; i < chain.length; i++) v = indexValue(v, chain[i]);
          emit(v, null);
          return;
        }
      }
      if (idx.k === 'literal') {
        const key = idx.value;
        if (n.target.k === 'identity') {
          emit(indexValue(input, key), extend(path, key, input));
          return;
        }
        ev(n.target, input, path, env, (t, tp) => emit(indexValue(t, key), extend(tp, key, t)));
        return;
      }
      // gojq: the index expression is the outer loop, the indexed term the inner one
      ev(idx, input, null, env, (key) => {
        ev(n.target, input, path, env, (t, tp) => emit(indexValue(t, key), extend(tp, key, t)));
      });
      return;
    }
    case 'iterate':
      ev(n.target, input, path, env, (t, tp) => iterate(t, tp, emit));
      return;
    case 'slice': {
      // gojq: start outermost, then end, then the sliced term
      const withTo = (from: unknown) => {
        const doSlice = (to: unknown) => {
          ev(n.target, input, path, env, (t, tp) => emit(sliceValue(t, from, to), extend(tp, { start: from, end: to }, t)));
        };
        if (n.to === null) doSlice(null);
        else ev(n.to, input, null, env, doSlice);
      };
      if (n.from === null) withTo(null);
      else ev(n.from, input, null, env, withTo);
      return;
    }
    case 'recurse':
      recurseAll(input, path, emit);
      return;
    case 'literal':
      emit(n.value, valuePath(path));
      return;
    case 'pipe':
      ev(n.left, input, path, env, (v, p) => ev(n.right, v, p, env, emit));
      return;
    case 'comma':
      ev(n.left, input, path, env, emit);
      ev(n.right, input, path, env, emit);
      return;
    case 'binop': {
      const op = n.op;
      const vp = valuePath(path);
      ev(n.right, input, null, env, (r) => {
        ev(n.left, input, null, env, (l) => emit(binary(op, l, r), vp));
      });
      return;
    }
    case 'and':
    case 'or': {
      const isAnd = n.k === 'and';
      const vp = valuePath(path);
      ev(n.left, input, null, env, (l) => {
        if (truthy(l) !== isAnd) {
          emit(!isAnd, vp);
          return;
        }
        ev(n.right, input, null, env, (r) => emit(truthy(r), vp));
      });
      return;
    }
    case 'neg': {
      const vp = valuePath(path);
      ev(n.body, input, null, env, (v) => {
        if (typeof v !== 'number') throw new JqRuntimeError('cannot negate: ' + typeErrorPreview(v));
        emit(-v, vp);
      });
      return;
    }
    case 'alt':
      evalAlternative(n.left, n.right, input, path, env, emit);
      return;
    case 'if':
      ev(n.cond, input, null, env, (c) => ev(truthy(c) ? n.then : n.else, input, path, env, emit));
      return;
    case 'try':
      evalTry(n.body, n.handler, input, path, env, emit);
      return;
    case 'array': {
      const out: unknown[] = [];
      if (n.body !== null) ev(n.body, input, null, env, (v) => void out.push(v));
      emit(out, valuePath(path));
      return;
    }
    case 'object':
      evalObject(n.entries, input, env, valuePath(path), emit);
      return;
    case 'string':
      evalString(n.parts, n.format, input, env, valuePath(path), emit);
      return;
    case 'format':
      emit(applyFormat(n.name, input), valuePath(path));
      return;
    case 'var': {
      if (n.name === 'ENV') {
        const found = lookupVar(env, 'ENV');
        emit(found.found ? found.value : {}, valuePath(path));
        return;
      }
      const found = lookupVar(env, n.name);
      if (!found.found) throw new JqRuntimeError('variable not defined: $' + n.name);
      emit(found.value, valuePath(path));
      return;
    }
    case 'bind':
      evalBind(n.source, n.patterns, n.body, input, path, env, emit);
      return;
    case 'reduce':
      evalReduce(n, input, path, env, emit);
      return;
    case 'foreach':
      evalForeach(n, input, path, env, emit);
      return;
    case 'funcdef': {
      const frame: FuncFrame = { kind: 1, key: `${n.def.name}/${n.def.params.length}`, def: n.def, closure: null, parent: env };
      frame.closure = frame;
      ev(n.rest, input, path, frame, emit);
      return;
    }
    case 'call':
      evalCall(n, input, path, env, emit);
      return;
    case 'label': {
      const token = {};
      try {
        ev(n.body, input, path, { kind: 3, name: n.name, token, parent: env }, emit);
      } catch (e) {
        if (e instanceof BreakSignal && e.label === token) return;
        throw e;
      }
      return;
    }
    case 'break': {
      for (let s = env; s !== null; s = s.parent) {
        if (s.kind === 3 && s.name === n.name) throw new BreakSignal(s.token);
      }
      throw new JqRuntimeError('label not defined: $' + n.name);
    }
    case 'update':
      evalUpdate(n.op, n.left, n.right, input, env, valuePath(path), emit);
      return;
  }
}

/** The keys of a chain of constant indexes applied to `.`, or false. */
function constantChain(n: Node): unknown[] | false {
  const keys: unknown[] = [];
  let cur = n;
  while (cur.k === 'index') {
    if (cur.index.k !== 'literal') return false;
    keys.push(cur.index.value);
    cur = cur.target;
  }
  return cur.k === 'identity' ? keys.reverse() : false;
}

export function iterate(t: unknown, tp: Path, emit: Emit): void {
  if (Array.isArray(t)) {
    if (tp === null) {
      for (let i = 0; i < t.length; i++) emit(t[i] === undefined ? null : t[i], null);
    } else {
      for (let i = 0; i < t.length; i++) emit(t[i], extend(tp, i, t));
    }
    return;
  }
  if (isObject(t)) {
    // gojq iterates objects in key order
    for (const k of sortedKeys(t)) emit(t[k], extend(tp, k, t));
    return;
  }
  throw new JqRuntimeError('cannot iterate over: ' + typeErrorPreview(t));
}

function recurseAll(v: unknown, p: Path, emit: Emit): void {
  emit(v, p);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) recurseAll(v[i], extend(p, i, v), emit);
  } else if (isObject(v)) {
    for (const k of sortedKeys(v)) recurseAll(v[k], extend(p, k, v), emit);
  }
}

/** Runs `body`, catching errors it raises itself but not those raised by `emit` (downstream). */
function guarded(body: (emit: Emit) => void, emit: Emit, onError: (e: JqRuntimeError) => void): void {
  const owner = {};
  try {
    body((v, p) => {
      try {
        emit(v, p);
      } catch (e) {
        throw new Downstream(e, owner);
      }
    });
  } catch (e) {
    if (e instanceof Downstream) {
      if (e.owner === owner) throw e.error;
      throw e;
    }
    if (e instanceof JqRuntimeError) {
      onError(e);
      return;
    }
    throw e;
  }
}

function evalTry(body: Node, handler: Node | null, input: unknown, path: Path, env: Scope, emit: Emit): void {
  guarded(
    (inner) => ev(body, input, path, env, inner),
    emit,
    (e) => {
      if (handler !== null) ev(handler, e.value, null, env, (v) => emit(v, valuePath(path)));
    },
  );
}

function evalAlternative(left: Node, right: Node, input: unknown, path: Path, env: Scope, emit: Emit): void {
  let any = false;
  guarded(
    (inner) =>
      ev(left, input, path, env, (v, p) => {
        if (truthy(v)) {
          any = true;
          inner(v, p);
        }
      }),
    emit,
    () => {},
  );
  if (!any) ev(right, input, path, env, emit);
}

function evalObject(entries: { key: Node; value: Node | null }[], input: unknown, env: Scope, vp: Path, emit: Emit): void {
  const build = (i: number, acc: Record<string, unknown>) => {
    if (i === entries.length) {
      emit(acc, vp);
      return;
    }
    const entry = entries[i]!;
    ev(entry.key, input, null, env, (k) => {
      if (typeof k !== 'string') {
        throw new JqRuntimeError('expected a string for object key but got: ' + typeErrorPreview(k));
      }
      const put = (v: unknown) => {
        const next = { ...acc };
        setOwn(next, k, v);
        build(i + 1, next);
      };
      if (entry.value === null) put(indexValue(input, k));
      else ev(entry.value, input, null, env, put);
    });
  };
  build(0, {});
}

function evalString(parts: (string | Node)[], format: string | null, input: unknown, env: Scope, vp: Path, emit: Emit): void {
  // jq evaluates later interpolations in the outer loop
  const build = (i: number, suffix: string) => {
    if (i < 0) {
      emit(suffix, vp);
      return;
    }
    const part = parts[i]!;
    if (typeof part === 'string') {
      build(i - 1, part + suffix);
      return;
    }
    ev(part, input, null, env, (v) => {
      const s = format === null ? toStringValue(v) : (applyFormat(format, v) as string);
      build(i - 1, s + suffix);
    });
  };
  build(parts.length - 1, '');
}

/** Binds `value` to `pattern`, calling `k` with each resulting scope. */
function bindPattern(pattern: Pattern, value: unknown, input: unknown, env: Scope, k: (env: Scope) => void): void {
  switch (pattern.k) {
    case 'pvar':
      k(bindVar(env, pattern.name, value));
      return;
    case 'parray': {
      if (value !== null && value !== undefined && !Array.isArray(value)) {
        throw new JqRuntimeError('expected an array but got: ' + typeErrorPreview(value));
      }
      const step = (i: number, e: Scope) => {
        if (i === pattern.elems.length) {
          k(e);
          return;
        }
        bindPattern(pattern.elems[i]!, indexValue(value, i), input, e, (e2) => step(i + 1, e2));
      };
      step(0, env);
      return;
    }
    case 'pobject': {
      if (value !== null && value !== undefined && !isObject(value)) {
        throw new JqRuntimeError('expected an object but got: ' + typeErrorPreview(value));
      }
      const step = (i: number, e: Scope) => {
        if (i === pattern.entries.length) {
          k(e);
          return;
        }
        const entry = pattern.entries[i]!;
        ev(entry.key, input, null, e, (key) => {
          if (typeof key !== 'string') {
            throw new JqRuntimeError('expected a string for object key but got: ' + typeErrorPreview(key));
          }
          const v = isObject(value) ? getField(value, key) : null;
          let e2 = e;
          if (entry.keyVar !== null) e2 = bindVar(e2, entry.keyVar, v);
          if (entry.value === null) step(i + 1, e2);
          else bindPattern(entry.value, v, input, e2, (e3) => step(i + 1, e3));
        });
      };
      step(0, env);
      return;
    }
  }
}

function patternVars(p: Pattern, out: string[]): string[] {
  if (p.k === 'pvar') out.push(p.name);
  else if (p.k === 'parray') for (const e of p.elems) patternVars(e, out);
  else
    for (const e of p.entries) {
      if (e.keyVar !== null) out.push(e.keyVar);
      if (e.value !== null) patternVars(e.value, out);
    }
  return out;
}

function evalBind(source: Node, patterns: Pattern[], body: Node, input: unknown, path: Path, env: Scope, emit: Emit): void {
  ev(source, input, null, env, (v) => {
    if (patterns.length === 1) {
      bindPattern(patterns[0]!, v, input, env, (e) => ev(body, input, path, e, emit));
      return;
    }
    // `?//`: every variable of every alternative is bound (null by default); on an error the next
    // alternative is tried, the last one's error propagates
    let base = env;
    for (const p of patterns) for (const name of patternVars(p, [])) base = bindVar(base, name, null);
    const attempt = (i: number): void => {
      if (i === patterns.length - 1) {
        bindPattern(patterns[i]!, v, input, base, (e) => ev(body, input, path, e, emit));
        return;
      }
      let failed = false;
      guarded(
        (inner) => bindPattern(patterns[i]!, v, input, base, (e) => ev(body, input, path, e, inner)),
        emit,
        () => {
          failed = true;
        },
      );
      if (failed) attempt(i + 1);
    };
    attempt(0);
  });
}

function evalReduce(n: Extract<Node, { k: 'reduce' }>, input: unknown, path: Path, env: Scope, emit: Emit): void {
  ev(n.init, input, null, env, (init) => {
    let acc = init;
    ev(n.source, input, null, env, (item) => {
      bindPattern(n.pattern, item, input, env, (e) => {
        // gojq: the last output of the update is the new state; no output keeps the state
        ev(n.update, acc, null, e, (v) => {
          acc = v;
        });
      });
    });
    emit(acc, valuePath(path));
  });
}

function evalForeach(n: Extract<Node, { k: 'foreach' }>, input: unknown, path: Path, env: Scope, emit: Emit): void {
  const vp = valuePath(path);
  ev(n.init, input, null, env, (init) => {
    let acc = init;
    ev(n.source, input, null, env, (item) => {
      bindPattern(n.pattern, item, input, env, (e) => {
        ev(n.update, acc, null, e, (v) => {
          acc = v;
          if (n.extract === null) emit(v, vp);
          else ev(n.extract, v, null, e, (x) => emit(x, vp));
        });
      });
    });
  });
}

function evalCall(n: Extract<Node, { k: 'call' }>, input: unknown, path: Path, env: Scope, emit: Emit): void {
  const key = n.key ?? (n.key = `${n.name}/${n.args.length}`);
  for (let s = env; s !== null; s = s.parent) {
    if (s.kind === 1) {
      if (s.key === key) {
        callDef(s.def, s.closure, n.args, input, path, env, emit);
        return;
      }
    } else if (s.kind === 2 && s.key === key) {
      ev(s.body, input, path, s.env, emit);
      return;
    }
  }
  const native = NATIVES.get(key);
  if (native !== undefined) {
    native(input, path, n.args, env, emit);
    return;
  }
  const def = preludeDefs().get(key);
  if (def !== undefined) {
    callDef(def, null, n.args, input, path, env, emit);
    return;
  }
  throw new JqRuntimeError('function not defined: ' + key);
}

function callDef(def: FuncDef, closure: Scope, args: Node[], input: unknown, path: Path, callerEnv: Scope, emit: Emit): void {
  const params = def.params;
  if (params.length === 0) {
    ev(def.body, input, path, closure, emit);
    return;
  }
  const bindParam = (i: number, e: Scope): void => {
    if (i === params.length) {
      ev(def.body, input, path, e, emit);
      return;
    }
    const name = params[i]!;
    const arg = args[i]!;
    if (name.charCodeAt(0) === 36 /* $ */) {
      const plain = name.slice(1);
      // `$x` binds each value of the argument; `x` stays the argument filter itself
      ev(arg, input, null, callerEnv, (v) => {
        const withVar = bindVar(e, plain, v);
        bindParam(i + 1, { kind: 2, key: plain + '/0', body: arg, env: callerEnv, parent: withVar });
      });
      return;
    }
    bindParam(i + 1, { kind: 2, key: name + '/0', body: arg, env: callerEnv, parent: e });
  };
  bindParam(0, closure);
}

// ---- helpers shared with the natives ----

/** All outputs of `n` on `input` (value mode). */
export function collect(n: Node, input: unknown, env: Scope): unknown[] {
  const out: unknown[] = [];
  ev(n, input, null, env, (v) => void out.push(v));
  return out;
}

/** All paths `n` denotes on `input`. */
export function collectPaths(n: Node, input: unknown, env: Scope): unknown[][] {
  const out: unknown[][] = [];
  ev(n, input, [], env, (v, p) => {
    if (p === NO_PATH || p === null) throw invalidPath(v);
    out.push(p);
  });
  return out;
}

/**
 * Evaluates each argument (value mode) and calls `k` for every combination: first argument
 * outermost (functions gojq defines in jq), or last argument outermost (gojq's internal ones).
 */
export function cartesian(args: Node[], input: unknown, env: Scope, k: (vals: unknown[]) => void, lastOuter = false): void {
  const vals = new Array<unknown>(args.length);
  const n = args.length;
  const step = (j: number) => {
    if (j === n) {
      k(vals.slice());
      return;
    }
    const i = lastOuter ? n - 1 - j : j;
    ev(args[i]!, input, null, env, (v) => {
      vals[i] = v;
      step(j + 1);
    });
  };
  step(0);
}

function arith(op: string, l: unknown, r: unknown): unknown {
  switch (op) {
    case '+=':
      return add(l, r);
    case '-=':
      return subtract(l, r);
    case '*=':
      return multiply(l, r);
    case '/=':
      return divide(l, r);
    case '%=':
      return modulo(l, r);
    default:
      return truthy(l) ? l : r; // `//=`
  }
}

function evalUpdate(op: string, left: Node, right: Node, input: unknown, env: Scope, vp: Path, emit: Emit): void {
  if (op === '|=') {
    emit(modify(left, input, env, (old) => {
      const out = { has: false, value: undefined as unknown };
      const token = {};
      try {
        ev(right, old, null, env, (v) => {
          out.has = true;
          out.value = v;
          throw new BreakSignal(token);
        });
      } catch (e) {
        if (!(e instanceof BreakSignal && e.label === token)) throw e;
      }
      return out;
    }), vp);
    return;
  }
  ev(right, input, null, env, (rv) => {
    const owned = new WeakSet<object>();
    let acc = input;
    if (op === '=') {
      for (const p of collectPaths(left, input, env)) acc = setPath(acc, p, rv, owned);
    } else {
      for (const p of collectPaths(left, input, env)) acc = setPath(acc, p, arith(op, getPath(acc, p), rv), owned);
    }
    emit(acc, vp);
  });
}

/** `paths |= f` with jq 1.7 semantics: the first output replaces the value, no output deletes the path. */
export function modify(
  left: Node,
  input: unknown,
  env: Scope,
  f: (old: unknown) => { has: boolean; value: unknown },
): unknown {
  let acc = input;
  const dels: unknown[] = [];
  const owned = new WeakSet<object>();
  for (const p of collectPaths(left, input, env)) {
    const r = f(getPath(acc, p));
    if (r.has) acc = setPath(acc, p, r.value, owned);
    else dels.push(p);
  }
  return dels.length > 0 ? delPaths(acc, dels) : acc;
}

