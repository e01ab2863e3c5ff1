// Compiles the parse tree into closures once, so execute() only runs them:
// no tree walking, no name lookups (variables are frame slots), text appended
// as-is. Semantics follow text/template's exec.go: pipelines dig nil
// interfaces down to "no value", map fields missing -> no value, chained
// fields through nil -> "nil pointer evaluating", and Go's error wording.

import type {
  ArgNode, ChainNode, CommandNode, ListNode, Node, PipeNode, VariableNode,
} from './ast.ts';
import { nodeString } from './ast.ts';
import { BUILTIN_ARITY, BUILTINS, nativeFuncs } from './builtins.ts';
import { lineColumn, TemplateExecError } from './errors.ts';
import { arityError, literalError, paramAt, signatureOf, valueError } from './signatures.ts';
import type { Signature } from './signatures.ts';
import type { ParsedTemplate, ParseResult } from './parser.ts';
import { formatV, GoFloat, GoInt64, intValue, isGoInt, isMap, isTrue, jsonNumberText, sortedKeys, toPlain, typeName } from './values.ts';

export type FuncMap = Record<string, (...args: any[]) => unknown>;

/** Run-time state of one execute() call. */
export interface State {
  out: string;
  funcs: FuncMap | undefined;
  /** Name of the template being executed (for error messages). */
  tmpl: string;
  depth: number;
  /** The argument and/or last evaluated: Go reports type errors of their result there. */
  andOrAt: Loc | undefined;
}

type Frame = unknown[];
/** Executes a node; returns 0, or BREAK / CONTINUE to unwind to the enclosing range. */
type Exec = (s: State, dot: unknown, vars: Frame) => number;
type Eval = (s: State, dot: unknown, vars: Frame) => unknown;
/** A command: like Eval, plus the value piped in from the previous command. */
type Cmd = (s: State, dot: unknown, vars: Frame, final: unknown) => unknown;

const BREAK = 1;
const CONTINUE = 2;
/** The "no final argument" marker for the first command of a pipeline. */
const MISSING: unique symbol = Symbol('missing');
const MAX_DEPTH = 10000;

export interface CompiledTemplate {
  name: string;
  slots: number;
  run: Exec;
}

/** Where a node is, to build Go's "template: P:L:C: executing "T" at <X>: ..." lazily. */
class Loc {
  readonly pos: number;
  readonly node: string;
  private readonly set: CompiledSet;
  constructor(set: CompiledSet, pos: number, node: string) {
    this.set = set;
    this.pos = pos;
    this.node = node;
  }
  fail(s: State, msg: string, cause?: unknown): never {
    const { line, column } = lineColumn(this.set.src, this.pos);
    const ctx = this.node;
    throw new TemplateExecError(
      `template: ${this.set.parseName}:${line}:${column}: executing "${s.tmpl}" at <${ctx}>: ${msg}`,
      cause === undefined ? undefined : { cause },
    );
  }
}

/** All templates from one parse (main + define/block), compiled. */
export class CompiledSet {
  readonly src: string;
  readonly parseName: string;
  readonly templates = new Map<string, CompiledTemplate>();

  constructor(parsed: ParseResult) {
    this.src = parsed.src;
    this.parseName = parsed.main.name;
    for (const [name, t] of parsed.templates) this.templates.set(name, this.compileTemplate(t));
  }

  private loc(pos: number, node: ArgNode | CommandNode | PipeNode | Node | string): Loc {
    return new Loc(this, pos, typeof node === 'string' ? node : nodeString(node));
  }

  // Go's error texts name a value's static type: range elements (dot and the
  // range variables) are interface {}-typed; other values are concrete.
  private dotIsIface = false;
  private ifaceSlots = new Set<number>();

  private compileTemplate(t: ParsedTemplate): CompiledTemplate {
    this.dotIsIface = false;
    this.ifaceSlots = new Set();
    return { name: t.name, slots: t.slots, run: this.list(t.root) };
  }

  // ---- statements ----------------------------------------------------------

  private list(l: ListNode): Exec {
    const parts: Exec[] = [];
    // Merge adjacent text so each render appends fewer strings.
    let pendingText = '';
    const flush = () => {
      if (pendingText) {
        const t = pendingText;
        parts.push((s) => {
          s.out += t;
          return 0;
        });
        pendingText = '';
      }
    };
    for (const n of l.nodes) {
      if (n.kind === 'text') pendingText += n.text;
      else if (n.kind === 'comment') continue;
      else {
        flush();
        parts.push(this.node(n));
      }
    }
    flush();
    const n = parts.length;
    if (n === 0) return () => 0;
    if (n === 1) return parts[0]!;
    if (n === 2) {
      const [a, b] = parts as [Exec, Exec];
      return (s, d, v) => a(s, d, v) || b(s, d, v);
    }
    return (s, d, v) => {
      for (let i = 0; i < n; i++) {
        const r = parts[i]!(s, d, v);
        if (r) return r;
      }
      return 0;
    };
  }

  private node(n: Node): Exec {
    switch (n.kind) {
      case 'text': {
        const t = n.text;
        return (s) => {
          s.out += t;
          return 0;
        };
      }
      case 'comment': return () => 0;
      case 'list': return this.list(n);
      case 'action': return this.action(n.pipe, n);
      case 'break': return () => BREAK;
      case 'continue': return () => CONTINUE;
      case 'if': case 'with': return this.ifWith(n.kind, n.pipe, n.list, n.elseList);
      case 'range': return this.range(n.pipe, n.list, n.elseList, n);
      case 'template': return this.template(n.name, n.pipe, n);
    }
  }

  private action(pipe: PipeNode, n: Node): Exec {
    const ev = this.pipeline(pipe);
    if (pipe.decl.length > 0) {
      return (s, d, v) => {
        ev(s, d, v);
        return 0;
      };
    }
    const loc = this.loc(n.pos, pipe);
    return (s, d, v) => {
      const val = ev(s, d, v);
      if (typeof val === 'string') s.out += val;
      else if (val === undefined) s.out += '<no value>';
      else if (typeof val === 'function') loc.fail(s, `can't print ${nodeString(pipe)} of type ${typeName(val)}`);
      else s.out += formatV(val);
      return 0;
    };
  }

  private ifWith(kind: 'if' | 'with', pipe: PipeNode, list: ListNode, elseList: ListNode | null): Exec {
    const cond = this.pipeline(pipe);
    const savedDot = this.dotIsIface;
    if (kind === 'with') this.dotIsIface = false;
    const body = this.list(list);
    this.dotIsIface = savedDot;
    const other = elseList ? this.list(elseList) : null;
    if (kind === 'if') {
      return (s, d, v) => {
        if (isTrue(cond(s, d, v))) return body(s, d, v);
        return other ? other(s, d, v) : 0;
      };
    }
    return (s, d, v) => {
      const val = cond(s, d, v);
      if (isTrue(val)) return body(s, val, v);
      return other ? other(s, d, v) : 0;
    };
  }

  private range(pipe: PipeNode, list: ListNode, elseList: ListNode | null, n: Node): Exec {
    // The declarations are set per element, not from the pipeline's value.
    const ev = this.pipeline({ ...pipe, decl: [] });
    for (const d of pipe.decl) this.ifaceSlots.add(d.slot);
    const savedDot = this.dotIsIface;
    this.dotIsIface = true;
    const body = this.list(list);
    this.dotIsIface = savedDot;
    const other = elseList ? this.list(elseList) : null;
    const decl = pipe.decl;
    const keySlot = decl.length > 1 ? decl[0]!.slot : -1;
    const elemSlot = decl.length > 1 ? decl[1]!.slot : decl.length === 1 ? decl[0]!.slot : -1;
    // Go reports range errors at the last node the pipeline evaluated.
    const last = lastEvaluated(pipe);
    const loc = last ? this.loc(last.pos, last) : this.loc(n.pos, n);
    const iterate = (s: State, v: Frame, key: unknown, elem: unknown): number => {
      if (keySlot >= 0) v[keySlot] = key;
      if (elemSlot >= 0) v[elemSlot] = elem;
      const r = body(s, elem, v);
      return r === BREAK ? BREAK : 0;
    };
    return (s, d, v) => {
      const val = ev(s, d, v);
      if (Array.isArray(val)) {
        if (val.length > 0) {
          for (let i = 0; i < val.length; i++) if (iterate(s, v, BigInt(i), val[i]) === BREAK) break;
          return 0;
        }
      } else if (isMap(val)) {
        const keys = sortedKeys(val);
        if (keys.length > 0) {
          for (const k of keys) if (iterate(s, v, k, val[k]) === BREAK) break;
          return 0;
        }
      } else if (isGoInt(val)) {
        // Go 1.22 ranges over integers; elements keep the integer's type.
        if (decl.length > 1) loc.fail(s, `can't use ${formatV(val)} to iterate over more than one variable`);
        const n = intValue(val);
        const wrap = typeof val === 'bigint' ? (i: bigint) => i : (i: bigint) => new GoInt64(i);
        if (n > 0n) {
          for (let i = 0n; i < n; i++) {
            const e = wrap(i);
            if (iterate(s, v, e, e) === BREAK) break;
          }
          return 0;
        }
      } else if (val !== undefined && val !== null) {
        loc.fail(s, `range can't iterate over ${formatV(val)}`);
      }
      return other ? other(s, d, v) : 0;
    };
  }

  private template(name: string, pipe: PipeNode | null, n: Node): Exec {
    const ev = pipe ? this.pipeline(pipe) : null;
    const loc = this.loc(n.pos, n);
    let target: CompiledTemplate | undefined;
    return (s, d, v) => {
      target ??= this.templates.get(name);
      const t = target ?? loc.fail(s, `template "${name}" not defined`);
      if (s.depth >= MAX_DEPTH) loc.fail(s, `exceeded maximum template depth (${MAX_DEPTH})`);
      const dot = ev ? ev(s, d, v) : undefined;
      const frame: Frame = new Array(t.slots);
      frame[0] = dot;
      const saved = s.tmpl;
      s.tmpl = t.name;
      s.depth++;
      t.run(s, dot, frame);
      s.depth--;
      s.tmpl = saved;
      return 0;
    };
  }

  // ---- pipelines and commands ----------------------------------------------

  private pipeline(pipe: PipeNode): Eval {
    const cmds = pipe.cmds.map((c) => this.command(c));
    const slots = pipe.decl.map((d) => d.slot);
    let run: Eval;
    if (cmds.length === 1) {
      const c = cmds[0]!;
      run = (s, d, v) => {
        const r = c(s, d, v, MISSING);
        return r === null ? undefined : r;
      };
    } else if (cmds.length === 2) {
      const [c0, c1] = cmds as [Cmd, Cmd];
      run = (s, d, v) => {
        let val = c0(s, d, v, MISSING);
        if (val === null) val = undefined;
        val = c1(s, d, v, val);
        return val === null ? undefined : val;
      };
    } else {
      run = (s, d, v) => {
        let val: unknown = MISSING;
        for (let i = 0; i < cmds.length; i++) {
          val = cmds[i]!(s, d, v, val);
          if (val === null) val = undefined; // dig the nil interface down to "no value"
        }
        return val;
      };
    }
    if (slots.length === 0) return run;
    const slot = slots[0]!;
    return (s, d, v) => {
      const val = run(s, d, v);
      v[slot] = val;
      return val;
    };
  }

  private command(cmd: CommandNode): Cmd {
    const first = cmd.args[0]!;
    const rest = cmd.args.slice(1);
    switch (first.kind) {
      case 'field': {
        const chain = this.fieldChain(first.ident, first, this.dotIsIface);
        const loc = this.loc(first.pos, first);
        const last = first.ident[first.ident.length - 1]!;
        if (rest.length > 0) return (s) => loc.fail(s, `${last} is not a method but has arguments`);
        return (s, d, _v, final) => (final === MISSING ? chain(s, d, d) : loc.fail(s, `${last} is not a method but has arguments`));
      }
      case 'chain': {
        const ev = this.chain(first);
        const loc = this.loc(first.pos, first);
        const last = first.field[first.field.length - 1]!;
        if (rest.length > 0) return (s) => loc.fail(s, `${last} is not a method but has arguments`);
        return (s, d, v, final) => {
          const r = ev(s, d, v);
          if (final !== MISSING) loc.fail(s, `${last} is not a method but has arguments`);
          return r;
        };
      }
      case 'variable': {
        const ev = this.variable(first);
        const loc = this.loc(first.pos, first);
        if (first.ident.length === 1) {
          if (rest.length > 0) return (s) => loc.fail(s, `can't give argument to non-function ${nodeString(first)}`);
          return (s, d, v, final) => (final === MISSING ? ev(s, d, v) : loc.fail(s, `can't give argument to non-function ${nodeString(first)}`));
        }
        const last = first.ident[first.ident.length - 1]!;
        if (rest.length > 0) return (s) => loc.fail(s, `${last} is not a method but has arguments`);
        return (s, d, v, final) => (final === MISSING ? ev(s, d, v) : loc.fail(s, `${last} is not a method but has arguments`));
      }
      case 'identifier':
        return this.call(first.ident, rest, cmd, first.pos);
      case 'pipe': {
        const ev = this.pipeline(first);
        const loc = this.loc(first.pos, first);
        if (rest.length > 0) return (s) => loc.fail(s, `can't give argument to non-function ${nodeString(first)}`);
        return (s, d, v, final) => (final === MISSING ? ev(s, d, v) : loc.fail(s, `can't give argument to non-function (${nodeString(first)})`));
      }
      case 'nil': {
        const loc = this.loc(first.pos, first);
        return (s) => loc.fail(s, 'nil is not a command');
      }
    }
    const loc = this.loc(first.pos, first);
    const ev = this.arg(first);
    if (rest.length > 0) return (s) => loc.fail(s, `can't give argument to non-function ${nodeString(first)}`);
    return (s, d, v, final) => (final === MISSING ? ev(s, d, v) : loc.fail(s, `can't give argument to non-function ${nodeString(first)}`));
  }

  /** An argument of a function call (Go's evalArg for interface{} parameters). */
  private arg(n: ArgNode): Eval {
    switch (n.kind) {
      case 'dot': return (_s, d) => d;
      // A nil literal is Go's untyped nil: an invalid value for reflect.Value parameters, nil for interface{} ones.
      case 'nil': return () => undefined;
      case 'field': {
        const chain = this.fieldChain(n.ident, n, this.dotIsIface);
        return (s, d) => chain(s, d, d);
      }
      case 'variable': return this.variable(n);
      case 'pipe': return this.pipeline(n);
      case 'chain': return this.chain(n);
      case 'identifier': {
        const c = this.call(n.ident, [], n, n.pos);
        return (s, d, v) => c(s, d, v, MISSING);
      }
      case 'bool': {
        const b = n.value;
        return () => b;
      }
      case 'string': {
        const t = n.text;
        return () => t;
      }
      case 'number': {
        if (n.isFloat) {
          const f = new GoFloat(n.float);
          return () => f;
        }
        const i = n.int!;
        return () => i;
      }
    }
  }

  private variable(n: VariableNode): Eval {
    const slot = n.slot;
    if (n.ident.length === 1) return (_s, _d, v) => v[slot];
    const chain = this.fieldChain(n.ident.slice(1), n, this.ifaceSlots.has(slot));
    return (s, _d, v) => chain(s, _d, v[slot]);
  }

  private chain(n: ChainNode): Eval {
    const loc = this.loc(n.pos, n);
    if (n.node.kind === 'nil') return (s) => loc.fail(s, `indirection through explicit nil in ${nodeString(n)}`);
    const base = this.arg(n.node);
    const chain = this.fieldChain(n.field, n);
    return (s, d, v) => chain(s, d, base(s, d, v));
  }

  /**
   * Walks .a.b.c from a receiver. Missing map keys give undefined (no value)
   * and walking on from undefined stays undefined; walking through a nil
   * (null) value is Go's "nil pointer evaluating interface {}.x" error.
   */
  private fieldChain(idents: string[], n: ArgNode, recvIsIface = false): (s: State, dot: unknown, recv: unknown) => unknown {
    const loc = this.loc(n.pos, n);
    // Values looked up in a map are interface{}-typed in Go, so errors past the first step name "interface {}".
    const steps = idents.map((name, i) => this.fieldStep(name, loc, i > 0 || recvIsIface));
    if (steps.length === 1) return steps[0]!;
    if (steps.length === 2) {
      const [a, b] = steps as [FieldStep, FieldStep];
      return (s, d, r) => b(s, d, a(s, d, r));
    }
    if (steps.length === 3) {
      const [a, b, c] = steps as [FieldStep, FieldStep, FieldStep];
      return (s, d, r) => c(s, d, b(s, d, a(s, d, r)));
    }
    return (s, d, r) => {
      for (let i = 0; i < steps.length; i++) r = steps[i]!(s, d, r);
      return r;
    };
  }

  private fieldStep(name: string, loc: Loc, fromMap: boolean): FieldStep {
    const unsafeKey = name === '__proto__' || name in Object.prototype;
    const slow = (s: State, r: unknown): unknown => {
      if (r === undefined) return undefined;
      if (r === null) return loc.fail(s, `nil pointer evaluating interface {}.${name}`);
      if (typeof r === 'number') return jsonNumberMethod(s, r, name, loc, fromMap);
      if (isMap(r)) return Object.hasOwn(r, name) ? r[name] : undefined;
      return loc.fail(s, `can't evaluate field ${name} in type ${fromMap ? 'interface {}' : typeName(r)}`);
    };
    if (unsafeKey) return (s, _d, r) => slow(s, r);
    return (s, _d, r) => (isMap(r) ? r[name] : slow(s, r));
  }

  // ---- function calls ------------------------------------------------------

  private call(name: string, argNodes: ArgNode[], node: CommandNode | ArgNode, idPos: number): Cmd {
    const args = argNodes.map((a) => this.arg(a));
    const cmdLoc = this.loc(node.pos, node);
    const idLoc = this.loc(idPos, name);
    const nargs = args.length;
    const builtin = BUILTINS[name];
    const arity = BUILTIN_ARITY[name];

    const checkArity = (s: State, n: number) => {
      if (!arity) return;
      const [min, max] = arity;
      if (max === -1 && n < min) idLoc.fail(s, `wrong number of args for ${name}: want at least ${min} got ${n}`);
      if (max !== -1 && n !== min) idLoc.fail(s, `wrong number of args for ${name}: want ${min} got ${n}`);
    };

    const invoke = (s: State, fn: Function, argv: unknown[], native: boolean): unknown => {
      if (!native) for (let i = 0; i < argv.length; i++) argv[i] = plainArg(argv[i]);
      try {
        return fn(...argv);
      } catch (e) {
        if (e instanceof TemplateExecError) throw e;
        const msg = e instanceof Error ? e.message : String(e);
        return cmdLoc.fail(s, `error calling ${name}: ${msg}`, e);
      }
    };

    // Inline cache: callers pass the same FuncMap object on every execute.
    let cachedFuncs: FuncMap | undefined | null = null;
    let cachedFn: Function | undefined;
    let cachedNative = false;
    let cachedSig: Signature | undefined;
    const userFn = (s: State): Function | undefined => {
      const f = s.funcs;
      if (f !== cachedFuncs) {
        cachedFuncs = f;
        cachedFn = f !== undefined && Object.hasOwn(f, name) ? f[name] : undefined;
        cachedNative = cachedFn !== undefined && nativeFuncs.has(cachedFn);
        cachedSig = cachedFn !== undefined ? signatureOf(cachedFn) : undefined;
      }
      return cachedFn;
    };
    const argLocs = argNodes.map((a) => {
      const at = a.kind === 'pipe' ? (lastEvaluated(a) ?? a) : a;
      return this.loc(at.pos, at);
    });
    // A parenthesized and/or argument: its error location is the operand it stopped at.
    const argIsAndOr = argNodes.map((a) => {
      const c = a.kind === 'pipe' ? a.cmds[a.cmds.length - 1] : undefined;
      const f = c?.args[0];
      return f?.kind === 'identifier' && (f.ident === 'and' || f.ident === 'or');
    });
    // A function with Go parameter types: check arity and each argument as Go's evalArg does.
    const typedCall = (s: State, d: unknown, v: Frame, final: unknown, fn: Function, sig: Signature, native = cachedNative): unknown => {
      const total = nargs + (final === MISSING ? 0 : 1);
      const ae = arityError(name, sig, total);
      if (ae) idLoc.fail(s, ae);
      const argv = new Array<unknown>(total);
      for (let i = 0; i < nargs; i++) {
        const kind = paramAt(sig, i);
        const node = argNodes[i]!;
        const le = literalError(kind, node);
        if (le) argLocs[i]!.fail(s, le);
        let val = args[i]!(s, d, v);
        if (!isLiteral(node)) {
          const ve = valueError(kind, val);
          if (ve) (argIsAndOr[i] ? (s.andOrAt ?? argLocs[i]!) : argLocs[i]!).fail(s, ve);
        }
        if (val === undefined) val = null;
        argv[i] = val;
      }
      if (final !== MISSING) {
        const ve = valueError(paramAt(sig, nargs), final);
        if (ve) cmdLoc.fail(s, ve);
        argv[nargs] = final === undefined ? null : final;
      }
      return invoke(s, fn, argv, native);
    };
    const plainArg = (x: unknown): unknown => (x === undefined ? null : typeof x === 'object' || typeof x === 'bigint' ? toPlain(x) : x);

    if (name === 'and' || name === 'or') {
      const isOr = name === 'or';
      return (s, d, v, final) => {
        const user = userFn(s);
        if (user) return this.generic(s, d, v, final, args, user, invoke);
        checkArity(s, nargs + (final === MISSING ? 0 : 1));
        let val: unknown;
        for (let i = 0; i < nargs; i++) {
          val = args[i]!(s, d, v);
          s.andOrAt = argLocs[i];
          if (isTrue(val) === isOr) return val;
        }
        if (final !== MISSING) val = final;
        return val;
      };
    }

    if (builtin) {
      // Fixed small arities get direct calls (no argument array).
      if (nargs === 1 && (name === 'not' || name === 'len')) {
        const a0 = args[0]!;
        return (s, d, v, final) => {
          const user = userFn(s);
          if (user || final !== MISSING) return this.generic(s, d, v, final, args, user ?? builtin, invoke, checkArity);
          const x = a0(s, d, v);
          try {
            return builtin(x);
          } catch (e) {
            return cmdLoc.fail(s, `error calling ${name}: ${(e as Error).message}`, e);
          }
        };
      }
      if (nargs === 2 && (name === 'eq' || name === 'ne' || name === 'index')) {
        const [a0, a1] = args as [Eval, Eval];
        return (s, d, v, final) => {
          const user = userFn(s);
          if (user || final !== MISSING) return this.generic(s, d, v, final, args, user ?? builtin, invoke, checkArity);
          const x = a0(s, d, v);
          const y = a1(s, d, v);
          try {
            return builtin(x, y);
          } catch (e) {
            return cmdLoc.fail(s, `error calling ${name}: ${(e as Error).message}`, e);
          }
        };
      }
      if (name === 'printf') {
        // printf's format is a Go string parameter: checked like any typed argument.
        const sig: Signature = { params: ['s', 'a'], variadic: true };
        return (s, d, v, final) => {
          const user = userFn(s);
          if (user) return this.generic(s, d, v, final, args, user, invoke);
          return typedCall(s, d, v, final, builtin, sig, true);
        };
      }
      return (s, d, v, final) => this.generic(s, d, v, final, args, userFn(s) ?? builtin, invoke, checkArity);
    }

    const callErr = (s: State, e: unknown): never => {
      if (e instanceof TemplateExecError) throw e;
      return cmdLoc.fail(s, `error calling ${name}: ${e instanceof Error ? e.message : String(e)}`, e);
    };
    if (nargs <= 1) {
      // The common shapes (Now, Quote x, x | Quote, YAML x) without an argument array.
      const a0 = args[0];
      return (s, d, v, final) => {
        const fn = userFn(s);
        if (!fn) return idLoc.fail(s, `"${name}" is not a defined function`);
        if (cachedSig) return typedCall(s, d, v, final, fn, cachedSig);
        const native = cachedNative;
        let x: unknown = a0 === undefined ? MISSING : a0(s, d, v);
        let y: unknown = final;
        if (!native) {
          if (x !== MISSING) x = plainArg(x);
          if (y !== MISSING) y = plainArg(y);
        }
        try {
          if (x === MISSING) return y === MISSING ? fn() : fn(y);
          return y === MISSING ? fn(x) : fn(x, y);
        } catch (e) {
          return callErr(s, e);
        }
      };
    }
    return (s, d, v, final) => {
      const fn = userFn(s);
      if (!fn) return idLoc.fail(s, `"${name}" is not a defined function`);
      if (cachedSig) return typedCall(s, d, v, final, fn, cachedSig);
      return this.generic(s, d, v, final, args, fn, invoke);
    };
  }

  private generic(
    s: State, d: unknown, v: Frame, final: unknown, args: Eval[], fn: Function,
    invoke: (s: State, fn: Function, argv: unknown[], native: boolean) => unknown,
    checkArity?: (s: State, n: number) => void,
  ): unknown {
    const n = args.length;
    const argv = new Array<unknown>(n + (final === MISSING ? 0 : 1));
    if (checkArity && BUILTINS_SET.has(fn)) checkArity(s, argv.length);
    for (let i = 0; i < n; i++) argv[i] = args[i]!(s, d, v);
    if (final !== MISSING) argv[n] = final;
    return invoke(s, fn, argv, nativeFuncs.has(fn));
  }

  /** Execute the named template of this set. */
  execute(name: string, data: unknown, funcs: FuncMap | undefined): string {
    const t = this.templates.get(name);
    if (!t) throw new TemplateExecError(`template: no template "${name}" associated with template "${this.parseName}"`);
    const s: State = { out: '', funcs, tmpl: t.name, depth: 0, andOrAt: undefined };
    const frame: Frame = new Array(t.slots);
    frame[0] = data;
    try {
      t.run(s, data, frame);
    } catch (e) {
      if (e instanceof TemplateExecError) throw e;
      if (e instanceof RangeError) {
        throw new TemplateExecError(`template: ${this.parseName}: exceeded maximum template depth: ${e.message}`, { cause: e });
      }
      throw new TemplateExecError(`template: ${this.parseName}: internal error: ${(e as Error).message}`, { cause: e });
    }
    return s.out;
  }
}

type FieldStep = (s: State, dot: unknown, recv: unknown) => unknown;

function isLiteral(n: ArgNode): boolean {
  return n.kind === 'string' || n.kind === 'number' || n.kind === 'bool' || n.kind === 'nil';
}

function lastEvaluated(pipe: PipeNode): ArgNode | null {
  const cmd = pipe.cmds[pipe.cmds.length - 1];
  if (!cmd) return null;
  const a = cmd.args[cmd.args.length - 1]!;
  return a.kind === 'pipe' ? lastEvaluated(a) ?? a : a;
}

const BUILTINS_SET = new Set<Function>(Object.values(BUILTINS));

/** json.Number's methods: String, Int64, Float64 (all else is not a field). */
function jsonNumberMethod(s: State, n: number, name: string, loc: Loc, fromMap: boolean): unknown {
  const text = jsonNumberText(n);
  switch (name) {
    case 'String': return text;
    case 'Int64':
      if (!/^[+-]?\d+$/.test(text)) return loc.fail(s, `error calling Int64: strconv.ParseInt: parsing "${text}": invalid syntax`);
      return new GoInt64(BigInt(text));
    case 'Float64': return new GoFloat(n);
  }
  return loc.fail(s, `can't evaluate field ${name} in type ${fromMap ? 'interface {}' : 'json.Number'}`);
}

