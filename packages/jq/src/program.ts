// The public program object over the interpreter.
import type { Node } from './ast.ts';
import { JqRuntimeError, BreakSignal } from './errors.ts';
import { bindVar, ev, type Scope } from './interpreter.ts';

export interface JqProgram {
  readonly source: string;
  /** true when the program was compiled to a direct function (no interpreter involved) */
  readonly fastPath: boolean;
  /** All outputs. Throws JqRuntimeError on a runtime error. */
  run(input: unknown, vars?: Record<string, unknown>): unknown[];
  /** The first output, or undefined when there is none. */
  first(input: unknown, vars?: Record<string, unknown>): unknown;
  /**
   * All outputs, or null on a runtime error (KWOK's "no value"). On the fast path the usual
   * selector errors (iterating a missing list) cost no exception at all.
   */
  tryRun(input: unknown, vars?: Record<string, unknown>): unknown[] | null;
}

/** Thrown to stop a program once first() has its value. */
const STOP = { stop: true };

function scopeFor(vars: Record<string, unknown> | undefined): Scope {
  let env: Scope = null;
  if (vars !== undefined) for (const name of Object.keys(vars)) env = bindVar(env, name, vars[name]);
  return env;
}

function rethrow(e: unknown): never {
  if (e instanceof BreakSignal) throw new JqRuntimeError('break: label not defined');
  // deep recursion in a user `def` (gojq would loop thanks to tail calls) is a program error
  if (e instanceof RangeError && /call stack/.test(e.message)) throw new JqRuntimeError('jq program recursed too deeply: ' + e.message);
  throw e;
}

export class InterpretedProgram implements JqProgram {
  readonly source: string;
  readonly fastPath = false;
  readonly ast: Node;
  constructor(source: string, ast: Node) {
    this.source = source;
    this.ast = ast;
  }

  run(input: unknown, vars?: Record<string, unknown>): unknown[] {
    const out: unknown[] = [];
    try {
      ev(this.ast, input, null, scopeFor(vars), (v) => void out.push(v));
    } catch (e) {
      rethrow(e);
    }
    return out;
  }

  tryRun(input: unknown, vars?: Record<string, unknown>): unknown[] | null {
    try {
      return this.run(input, vars);
    } catch (e) {
      if (e instanceof JqRuntimeError) return null;
      throw e;
    }
  }

  first(input: unknown, vars?: Record<string, unknown>): unknown {
    // no exception for the common single-output program: stop (by throwing) only at a second
    // output; anything raised after the first output is not part of "the first output"
    let found = false;
    let value: unknown;
    try {
      ev(this.ast, input, null, scopeFor(vars), (v) => {
        if (found) throw STOP;
        found = true;
        value = v;
      });
    } catch (e) {
      if (!found) rethrow(e);
    }
    return found ? value : undefined;
  }
}
