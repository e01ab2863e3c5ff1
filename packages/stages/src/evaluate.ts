/**
 * Evaluating compiled stages against one object, with KWOK's exact rules
 * (pkg/utils/lifecycle/{lifecycle,value_int_from,value_duration_from}.go, expression/selector.go).
 */
import type { CelValue } from '@bufbuild/cel';
import { celAsBool, celAsDurationNs, celAsInt, toCelInput, type CelProgram } from './cel.ts';
import type { CompiledRequirement, CompiledStage, ValueFrom } from './compile.ts';
import { StageEvalError } from './errors.ts';
import { nsUntil, parseGoDuration, parseRfc3339 } from '@virtsim/goformats';
import type { KubeObject } from './types.ts';

/** One object being evaluated: caches its CEL form, carries the clock and random source (a CelEvalContext). */
export class EvalScope {
  readonly obj: KubeObject;
  readonly nowMs: number;
  readonly random: () => number;
  private cel: Record<string, unknown> | undefined;
  constructor(obj: KubeObject, nowMs: number, random: () => number) {
    this.obj = obj;
    this.nowMs = nowMs;
    this.random = random;
  }
  /** Evaluates a CEL program of this stage with `self` = the object, on this scope's clock and random source. */
  celEval(prog: CelProgram): CelValue {
    this.cel ??= { self: toCelInput(this.obj) };
    return prog.eval(this.cel, this);
  }
}

/** A jq output counts for In when it is a string in values, or a bool spelled "true"/"false". */
function hasValue(results: unknown[], values: ReadonlySet<string>): boolean {
  for (const r of results) {
    if (typeof r === 'string' && values.has(r)) return true;
    if (typeof r === 'boolean' && values.has(r ? 'true' : 'false')) return true;
    // Numbers from the object are float64 in KWOK and never match.
  }
  return false;
}

export function requirementMatches(req: CompiledRequirement, obj: unknown): boolean {
  const out = req.query.execute(obj);
  switch (req.operator) {
    case 'In':
      return hasValue(out, req.values);
    case 'NotIn':
      return !hasValue(out, req.values);
    case 'Exists':
      return out.length > 0;
    case 'DoesNotExist':
      return out.length === 0;
  }
}

function pairsMatch(pairs: [string, string][], set: Record<string, string> | undefined): boolean {
  for (let i = 0; i < pairs.length; i++) {
    const [k, v] = pairs[i]!;
    if (!set || set[k] !== v) return false;
  }
  return true;
}

/** matchLabels → matchAnnotations → jq requirements → CEL, all ANDed. Throws StageEvalError on CEL errors. */
export function stageMatches(stage: CompiledStage, scope: EvalScope): boolean {
  const meta = scope.obj.metadata;
  if (stage.matchLabels && !pairsMatch(stage.matchLabels, meta?.labels)) return false;
  if (stage.matchAnnotations && !pairsMatch(stage.matchAnnotations, meta?.annotations)) return false;
  for (let i = 0; i < stage.requirements.length; i++) {
    if (!requirementMatches(stage.requirements[i]!, scope.obj)) return false;
  }
  if (stage.conditions.length) {
    for (const prog of stage.conditions) {
      let ok: boolean;
      try {
        ok = celAsBool(scope.celEval(prog));
      } catch (e) {
        throw new StageEvalError(stage.name, `CEL ${JSON.stringify(prog.source)}: ${(e as Error).message}`);
      }
      if (!ok) return false;
    }
  }
  return true;
}

/** strconv.ParseInt(s, 0, 0). */
export function parseGoInt(s: string): number | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F](_?[0-9a-fA-F])*|0[bB][01](_?[01])*|0[oO]?[0-7](_?[0-7])*|0|[1-9](_?[0-9])*)$/.exec(s);
  if (!m) return undefined;
  const body = m[2]!.replace(/_/g, '');
  let n: number;
  if (/^0[xX]/.test(body)) n = parseInt(body.slice(2), 16);
  else if (/^0[bB]/.test(body)) n = parseInt(body.slice(2), 2);
  else if (/^0[oO]/.test(body)) n = parseInt(body.slice(2), 8);
  else if (body.length > 1 && body[0] === '0') n = parseInt(body.slice(1), 8);
  else n = parseInt(body, 10);
  return m[1] === '-' ? -n : n;
}

export type Got = readonly [value: number, ok: boolean];
const NONE: Got = [0, false];

function fallback(v: ValueFrom): Got {
  return v.value === undefined ? NONE : [v.value, true];
}

/** The stage's weight (int64From.Get). */
export function stageWeight(stage: CompiledStage, scope: EvalScope): Got {
  const w = stage.weight;
  if (w.program) {
    try {
      return [celAsInt(scope.celEval(w.program)), true];
    } catch (e) {
      throw new StageEvalError(stage.name, `weightFrom CEL: ${(e as Error).message}`);
    }
  }
  if (w.query) {
    const out = w.query.execute(scope.obj);
    if (out.length === 0) return fallback(w);
    const first = out[0];
    if (typeof first === 'string') {
      if (first === '') return NONE;
      const n = parseGoInt(first);
      return n === undefined ? NONE : [n, true];
    }
    if (typeof first === 'number') return [Math.trunc(first), true];
  }
  return fallback(w);
}

/** durationFrom.Get in nanoseconds. */
function durationOf(stage: CompiledStage, d: ValueFrom, scope: EvalScope): Got {
  if (d.program) {
    try {
      return [celAsDurationNs(scope.celEval(d.program)), true];
    } catch (e) {
      throw new StageEvalError(stage.name, `delay CEL: ${(e as Error).message}`);
    }
  }
  if (d.query) {
    const out = d.query.execute(scope.obj);
    if (out.length === 0) return fallback(d);
    const first = out[0];
    if (typeof first === 'string') {
      if (first === '') return NONE;
      const t = parseRfc3339(first);
      if (t) return [nsUntil(t, scope.nowMs), true];
      const du = parseGoDuration(first);
      if (du !== undefined) return [du, true];
    }
  }
  return fallback(d);
}

/**
 * Stage.DelayRangePossible: [duration] or [duration, jitter] in ns, or undefined for no delay.
 * The actual delay is the single value, or uniform in [duration, jitter).
 */
export function stageDelayRange(stage: CompiledStage, scope: EvalScope): number[] | undefined {
  if (!stage.duration) return undefined;
  const [duration, ok] = durationOf(stage, stage.duration, scope);
  if (!ok) return undefined;
  if (!stage.jitter) return [duration];
  const [jitter, jok] = durationOf(stage, stage.jitter, scope);
  if (!jok) return [duration];
  if (jitter <= duration) return [jitter];
  return [duration, jitter];
}

/** Stage.Delay in ns (undefined = no delay). */
export function stageDelay(stage: CompiledStage, scope: EvalScope): number | undefined {
  const r = stageDelayRange(stage, scope);
  if (!r) return undefined;
  if (r.length === 1) return r[0];
  return r[0]! + Math.floor(scope.random() * (r[1]! - r[0]!));
}
