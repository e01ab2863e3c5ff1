// A small subset of CEL, enough for the x-kubernetes-validations rules found in CRDs like
// KubeVirt's (`self.startsWith('/')`, `!self.contains('..')`, `self == true`, `size(self) <= 10`,
// `has(self.x)`, `self.a == self.b || ...`). A rule using anything outside the subset (macros,
// oldSelf transition rules, ...) does not compile and is then not enforced.
import { deepEqual, isObject } from './json.ts';

type Node =
  | { k: 'lit'; v: unknown }
  | { k: 'id'; name: string }
  | { k: 'sel'; obj: Node; field: string }
  | { k: 'idx'; obj: Node; index: Node }
  | { k: 'call'; fn: string; target?: Node; args: Node[] }
  | { k: 'has'; obj: Node; field: string }
  | { k: 'un'; op: string; x: Node }
  | { k: 'bin'; op: string; l: Node; r: Node }
  | { k: 'cond'; c: Node; t: Node; f: Node }
  | { k: 'list'; items: Node[] };

const TOKEN_RE = /\s*(?:(\d+\.\d+(?:[eE][+-]?\d+)?|\d+u?)|('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|([A-Za-z_][A-Za-z0-9_]*)|(==|!=|<=|>=|&&|\|\||[!<>+\-*/%?:.,()[\]]))/y;

function tokenize(src: string): string[] {
  const out: string[] = [];
  TOKEN_RE.lastIndex = 0;
  let pos = 0;
  while (pos < src.length) {
    if (/^\s*$/.test(src.slice(pos))) break;
    TOKEN_RE.lastIndex = pos;
    const m = TOKEN_RE.exec(src);
    if (!m) throw new Error(`unexpected character at ${pos}`);
    out.push((m[1] ?? m[2] ?? m[3] ?? m[4])!);
    pos = TOKEN_RE.lastIndex;
  }
  return out;
}

function unquote(s: string): string {
  const body = s.slice(1, -1);
  return body.replace(/\\(.)/g, (_m, c: string) => ({ n: '\n', t: '\t', r: '\r' })[c] ?? c);
}

class Parser {
  private i = 0;
  private readonly t: string[];
  constructor(t: string[]) {
    this.t = t;
  }
  private peek(): string | undefined {
    return this.t[this.i];
  }
  private take(expect?: string): string {
    const tok = this.t[this.i++];
    if (tok === undefined || (expect !== undefined && tok !== expect)) throw new Error(`expected ${expect ?? 'token'}`);
    return tok;
  }
  parse(): Node {
    const n = this.cond();
    if (this.i !== this.t.length) throw new Error(`unexpected ${this.peek()}`);
    return n;
  }
  private cond(): Node {
    const c = this.or();
    if (this.peek() !== '?') return c;
    this.take('?');
    const t = this.cond();
    this.take(':');
    return { k: 'cond', c, t, f: this.cond() };
  }
  private binary(next: () => Node, ops: string[]): Node {
    let l = next();
    while (ops.includes(this.peek() ?? '')) {
      const op = this.take();
      l = { k: 'bin', op, l, r: next() };
    }
    return l;
  }
  private or = (): Node => this.binary(this.and, ['||']);
  private and = (): Node => this.binary(this.rel, ['&&']);
  private rel = (): Node => this.binary(this.add, ['==', '!=', '<', '<=', '>', '>=', 'in']);
  private add = (): Node => this.binary(this.mul, ['+', '-']);
  private mul = (): Node => this.binary(this.unary, ['*', '/', '%']);
  private unary = (): Node => {
    const p = this.peek();
    if (p === '!' || p === '-') {
      this.take();
      return { k: 'un', op: p, x: this.unary() };
    }
    return this.member();
  };
  private args(): Node[] {
    const out: Node[] = [];
    this.take('(');
    while (this.peek() !== ')') {
      out.push(this.cond());
      if (this.peek() === ',') this.take(',');
      else break;
    }
    this.take(')');
    return out;
  }
  private member(): Node {
    let n = this.primary();
    for (;;) {
      if (this.peek() === '.') {
        this.take('.');
        const name = this.take();
        if (!/^[A-Za-z_]/.test(name)) throw new Error('expected field');
        if (this.peek() === '(') n = { k: 'call', fn: name, target: n, args: this.args() };
        else n = { k: 'sel', obj: n, field: name };
      } else if (this.peek() === '[') {
        this.take('[');
        const index = this.cond();
        this.take(']');
        n = { k: 'idx', obj: n, index };
      } else return n;
    }
  }
  private primary(): Node {
    const tok = this.take();
    if (tok === '(') {
      const n = this.cond();
      this.take(')');
      return n;
    }
    if (tok === '[') {
      const items: Node[] = [];
      while (this.peek() !== ']') {
        items.push(this.cond());
        if (this.peek() === ',') this.take(',');
        else break;
      }
      this.take(']');
      return { k: 'list', items };
    }
    if (tok[0] === "'" || tok[0] === '"') return { k: 'lit', v: unquote(tok) };
    if (/^\d/.test(tok)) return { k: 'lit', v: Number(tok.replace(/u$/, '')) };
    if (tok === 'true' || tok === 'false') return { k: 'lit', v: tok === 'true' };
    if (tok === 'null') return { k: 'lit', v: null };
    if (tok === 'has') {
      const a = this.args();
      const sel = a[0];
      if (a.length !== 1 || sel?.k !== 'sel') throw new Error('has() needs a field selection');
      return { k: 'has', obj: sel.obj, field: sel.field };
    }
    if (this.peek() === '(') return { k: 'call', fn: tok, args: this.args() };
    if (tok === 'oldSelf') throw new Error('transition rules are not supported');
    if (!/^[A-Za-z_]/.test(tok)) throw new Error(`unexpected ${tok}`);
    return { k: 'id', name: tok };
  }
}

class EvalError extends Error {}

function size(v: unknown): number {
  if (typeof v === 'string') return [...v].length;
  if (Array.isArray(v)) return v.length;
  if (isObject(v)) return Object.keys(v).length;
  throw new EvalError('size of non-collection');
}

function evaluate(n: Node, self: unknown): unknown {
  switch (n.k) {
    case 'lit':
      return n.v;
    case 'id':
      if (n.name === 'self') return self;
      throw new EvalError(`undeclared reference to '${n.name}'`);
    case 'list':
      return n.items.map((x) => evaluate(x, self));
    case 'sel': {
      const o = evaluate(n.obj, self);
      if (!isObject(o) || !Object.hasOwn(o, n.field)) throw new EvalError(`no such key: ${n.field}`);
      return o[n.field];
    }
    case 'has': {
      const o = evaluate(n.obj, self);
      return isObject(o) && Object.hasOwn(o, n.field);
    }
    case 'idx': {
      const o = evaluate(n.obj, self);
      const i = evaluate(n.index, self);
      if (Array.isArray(o) && typeof i === 'number' && i >= 0 && i < o.length) return o[i];
      if (isObject(o) && typeof i === 'string' && Object.hasOwn(o, i)) return o[i];
      throw new EvalError('index out of range');
    }
    case 'un': {
      const x = evaluate(n.x, self);
      if (n.op === '!') {
        if (typeof x !== 'boolean') throw new EvalError('! of non-bool');
        return !x;
      }
      if (typeof x !== 'number') throw new EvalError('- of non-number');
      return -x;
    }
    case 'cond': {
      const c = evaluate(n.c, self);
      if (typeof c !== 'boolean') throw new EvalError('condition is not a bool');
      return evaluate(c ? n.t : n.f, self);
    }
    case 'bin':
      return binary(n.op, n.l, n.r, self);
    case 'call':
      return call(n, self);
  }
}

// eslint-disable-next-line complexity -- not split yet: known debt (issue 14), listed in ARCHITECTURE.md
function binary(op: string, ln: Node, rn: Node, self: unknown): unknown {
  if (op === '&&' || op === '||') {
    // CEL's commutative logic: an error on one side is absorbed when the other side decides.
    let l: unknown;
    let lerr: unknown;
    try {
      l = evaluate(ln, self);
    } catch (e) {
      lerr = e;
    }
    if (op === '&&' && l === false) return false;
    if (op === '||' && l === true) return true;
    const r = evaluate(rn, self);
    if (op === '&&' && r === false) return false;
    if (op === '||' && r === true) return true;
    if (lerr) throw lerr;
    if (typeof l !== 'boolean' || typeof r !== 'boolean') throw new EvalError('logic on non-bool');
    return op === '&&' ? l && r : l || r;
  }
  const l = evaluate(ln, self);
  const r = evaluate(rn, self);
  switch (op) {
    case '==':
      return deepEqual(l, r);
    case '!=':
      return !deepEqual(l, r);
    case 'in':
      if (Array.isArray(r)) return r.some((x) => deepEqual(x, l));
      if (isObject(r) && typeof l === 'string') return Object.hasOwn(r, l);
      throw new EvalError('in on non-collection');
    case '+':
      if (typeof l === 'number' && typeof r === 'number') return l + r;
      if (typeof l === 'string' && typeof r === 'string') return l + r;
      if (Array.isArray(l) && Array.isArray(r)) return [...l, ...r];
      throw new EvalError('bad operands for +');
  }
  if (typeof l === 'number' && typeof r === 'number') {
    switch (op) {
      case '-':
        return l - r;
      case '*':
        return l * r;
      case '/':
        if (r === 0) throw new EvalError('division by zero');
        return Number.isInteger(l) && Number.isInteger(r) ? Math.trunc(l / r) : l / r;
      case '%':
        if (r === 0) throw new EvalError('modulus by zero');
        return l % r;
      case '<':
        return l < r;
      case '<=':
        return l <= r;
      case '>':
        return l > r;
      case '>=':
        return l >= r;
    }
  }
  if (typeof l === 'string' && typeof r === 'string') {
    switch (op) {
      case '<':
        return l < r;
      case '<=':
        return l <= r;
      case '>':
        return l > r;
      case '>=':
        return l >= r;
    }
  }
  throw new EvalError(`no such overload: ${op}`);
}

function str(v: unknown): string {
  if (typeof v !== 'string') throw new EvalError('not a string');
  return v;
}

function call(n: Extract<Node, { k: 'call' }>, self: unknown): unknown {
  const args = n.args.map((a) => evaluate(a, self));
  const target = n.target ? evaluate(n.target, self) : undefined;
  switch (n.fn) {
    case 'size':
      return size(n.target ? target : args[0]);
    case 'startsWith':
      return str(target).startsWith(str(args[0]));
    case 'endsWith':
      return str(target).endsWith(str(args[0]));
    case 'contains':
      return str(target).includes(str(args[0]));
    case 'matches':
      return new RegExp(str(args[0]), 'u').test(str(n.target ? target : args[0]));
    case 'lowerAscii':
      return str(target).replace(/[A-Z]/g, (c) => c.toLowerCase());
    case 'upperAscii':
      return str(target).replace(/[a-z]/g, (c) => c.toUpperCase());
    case 'int': {
      const v = args[0];
      if (typeof v === 'number') return Math.trunc(v);
      if (typeof v === 'string' && /^[+-]?\d+$/.test(v)) return Number(v);
      throw new EvalError('bad int()');
    }
    case 'string':
      return typeof args[0] === 'string' ? args[0] : JSON.stringify(args[0]);
    default:
      throw new EvalError(`unknown function ${n.fn}`);
  }
}

export interface CompiledRule {
  /** True when the value satisfies the rule. An evaluation error counts as satisfied (not enforced). */
  check(self: unknown): boolean;
}

/** Compiles a CEL rule of the supported subset; throws when the rule is outside it. */
export function compileCelRule(rule: string): CompiledRule {
  const ast = new Parser(tokenize(rule)).parse();
  return {
    check(self: unknown): boolean {
      try {
        return evaluate(ast, self) !== false;
      } catch (e) {
        if (e instanceof EvalError) return true;
        throw e;
      }
    },
  };
}
