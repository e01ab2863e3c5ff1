/**
 * CEL expressions of Stage selectors, weightFrom and durationFrom (KWOK v0.7+), on
 * @bufbuild/cel. The variable is `self` = the object; KWOK passes unstructured objects, whose
 * integers are int64, so integral JSON numbers are given to CEL as ints (bigint) and the rest as
 * doubles. Extra functions as in KWOK's pkg/utils/cel: Now(), Rand(), UnixSecond(ts), SinceSecond(obj).
 */
import { celEnv, celFunc, CelScalar, isCelError, isCelMap, objectType, parse, plan, type CelValue } from '@bufbuild/cel';
import { timestampFromMs, timestampMs, TimestampSchema, type Duration, type Timestamp } from '@bufbuild/protobuf/wkt';

/** Clock and random source of the evaluation in progress (CEL functions have no context argument). */
export const celRuntime = { nowMs: 0, random: Math.random as () => number };

const TIMESTAMP = objectType(TimestampSchema);

function parseRfc3339Ms(s: unknown): number | undefined {
  if (typeof s !== 'string') return undefined;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? undefined : ms;
}

const kwokFuncs = [
  celFunc('Now', [], TIMESTAMP, () => timestampFromMs(celRuntime.nowMs)),
  celFunc('Rand', [], CelScalar.DOUBLE, () => celRuntime.random()),
  celFunc('UnixSecond', [TIMESTAMP], CelScalar.DOUBLE, (t) => timestampMs(t as unknown as Timestamp) / 1000),
  celFunc('SinceSecond', [CelScalar.DYN], CelScalar.DOUBLE, (obj) => {
    // KWOK: time since metadata.creationTimestamp.
    let created: number | undefined;
    if (isCelMap(obj)) {
      const meta = obj.get('metadata');
      if (isCelMap(meta)) created = parseRfc3339Ms(meta.get('creationTimestamp'));
    }
    return created === undefined ? 0 : (celRuntime.nowMs - created) / 1000;
  }),
];

const env = celEnv({ funcs: kwokFuncs });

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
  /** Evaluates with `self` already converted by toCelInput; throws Error on CEL errors. */
  eval(self: unknown): CelValue;
}

/** Compiles once; throws CelSyntaxError with the 1-based line/column of the problem. */
export function compileCel(expression: string): CelProgram {
  let parsed;
  try {
    parsed = parse(expression);
  } catch (e) {
    const err = e as { message?: string; location?: { start?: { line: number; column: number } } };
    const start = err.location?.start;
    throw new CelSyntaxError(expression, String(err.message ?? e), start?.line ?? 1, start?.column ?? 1);
  }
  const run = plan(env, parsed);
  return {
    source: expression,
    eval(self) {
      const out = run({ self: self as never });
      if (isCelError(out)) throw new Error(out.message);
      return out;
    },
  };
}

/** Unstructured JSON as KWOK hands it to CEL: integral numbers become int (bigint). */
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
