/**
 * The house's one CEL implementation, on @bufbuild/cel: the rules of CRDs'
 * x-kubernetes-validations (compileCelRule) and the expressions of KWOK stages (CelEnvironment
 * with KWOK's functions). Objects are unstructured JSON as Kubernetes and KWOK hand them to CEL:
 * integral numbers are int64, so they become bigint; the rest are doubles.
 */
import { celEnv, isCelError, parse, plan, type CelFunc, type CelValue } from '@bufbuild/cel';
import type { Duration } from '@bufbuild/protobuf/wkt';

/** What one evaluation may read besides its variables: the caller's clock and random source. */
export interface CelEvalContext {
  readonly nowMs: number;
  readonly random: () => number;
}

const NO_CONTEXT: CelEvalContext = { nowMs: 0, random: Math.random };

export class CelSyntaxError extends Error {
  readonly line: number;
  readonly column: number;
  readonly expression: string;
  constructor(expression: string, message: string, line: number, column: number) {
    super(message);
    this.name = 'CelSyntaxError';
    this.expression = expression;
    this.line = line;
    this.column = column;
  }
}

export interface CelProgram {
  readonly source: string;
  /** Evaluates with variables already converted by toCelInput; throws Error on CEL errors. */
  eval(vars: Record<string, unknown>, ctx?: CelEvalContext): CelValue;
}

type ParsedExpr = ReturnType<typeof parse>;

function parseCel(expression: string): ParsedExpr {
  try {
    return parse(expression);
  } catch (e) {
    const err = e as { message?: string; location?: { start?: { line: number; column: number } } };
    const start = err.location?.start;
    throw new CelSyntaxError(expression, String(err.message ?? e), start?.line ?? 1, start?.column ?? 1);
  }
}

/**
 * A CEL environment with extra functions. CEL functions take no context argument, so the
 * functions read the context of the evaluation in progress through `ctx()`, which eval sets for
 * its own synchronous run only.
 */
export class CelEnvironment {
  private active: CelEvalContext = NO_CONTEXT;
  private readonly env: ReturnType<typeof celEnv>;
  constructor(funcs: (ctx: () => CelEvalContext) => CelFunc[] = () => []) {
    this.env = celEnv({ funcs: funcs(() => this.active) });
  }

  /** Compiles once; throws CelSyntaxError with the 1-based line/column of the problem. */
  compile(expression: string): CelProgram {
    return this.program(expression, parseCel(expression));
  }

  program(expression: string, parsed: ParsedExpr): CelProgram {
    const run = plan(this.env, parsed);
    return {
      source: expression,
      eval: (vars, ctx = NO_CONTEXT) => {
        const outer = this.active;
        this.active = ctx;
        try {
          const out = run(vars as never);
          if (isCelError(out)) throw new Error(out.message);
          return out;
        } finally {
          this.active = outer;
        }
      },
    };
  }
}

/** Unstructured JSON as Kubernetes and KWOK hand it to CEL: integral numbers become int (bigint). */
export function toCelInput(v: unknown): unknown {
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : v;
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(toCelInput);
  const out: Record<string, unknown> = {};
  for (const k in v as Record<string, unknown>) out[k] = toCelInput((v as Record<string, unknown>)[k]);
  return out;
}

export function celAsBool(v: CelValue): boolean {
  if (typeof v !== 'boolean') throw new Error(`expected bool, got ${typeof v}`);
  return v;
}

export function celAsInt(v: CelValue): number {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  throw new Error(`expected int, got ${typeof v}`);
}

/** A CEL duration as nanoseconds. */
export function celAsDurationNs(v: CelValue): number {
  const msg = (v as { message?: Duration } | null)?.message;
  if (msg && msg.$typeName === 'google.protobuf.Duration') return Number(msg.seconds) * 1e9 + msg.nanos;
  throw new Error('expected duration');
}

export interface CompiledRule {
  /** True when the value satisfies the rule. An evaluation error counts as satisfied (not enforced). */
  check(self: unknown): boolean;
}

const RULES = new CelEnvironment();

/** True when the parsed expression names the identifier anywhere. */
function references(node: unknown, name: string): boolean {
  if (node === null || typeof node !== 'object') return false;
  const n = node as { case?: unknown; value?: { name?: unknown } };
  if (n.case === 'identExpr' && n.value?.name === name) return true;
  for (const k in node) if (references((node as Record<string, unknown>)[k], name)) return true;
  return false;
}

/**
 * Compiles an x-kubernetes-validations rule; throws when it does not parse or is a transition
 * rule (oldSelf), which the API server does not enforce.
 */
export function compileCelRule(rule: string): CompiledRule {
  const parsed = parseCel(rule);
  if (references(parsed, 'oldSelf')) throw new Error('transition rules are not supported');
  const program = RULES.program(rule, parsed);
  return {
    check(self: unknown): boolean {
      try {
        return program.eval({ self: toCelInput(self) }) !== false;
      } catch {
        return true;
      }
    },
  };
}
