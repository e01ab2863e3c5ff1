/**
 * A set of compiled stages, indexed by resourceRef (apiGroup + kind), and the pure planning API:
 * which stage an object goes through next (KWOK's Lifecycle.Match), after what delay, and the
 * exact requests its steps make.
 *
 * Use: `select` when an object is added/changed (cheap: no rendering), then `renderSteps` when the
 * delay has passed (templates see Now at fire time, as in KWOK), or `plan` for both at once.
 */
import { sprigFuncs } from '@virtsim/gotemplate';
import { compileStage, type CompiledStage, type CompileOptions } from './compile.ts';
import { StageLoadError, type StageProblem } from './errors.ts';
import { EvalScope, stageDelay, stageDelayRange, stageMatches, stageWeight } from './evaluate.ts';
import { createKwokFuncs, type RenderState, type TemplateEnv, type TemplateFunc } from './kwok-funcs.ts';
import { fromObjectsUnchecked, type LoadedStage } from './load.ts';
import { renderSteps, type PlanRequest } from './render.ts';
import type { KubeObject } from './types.ts';

export interface PlanContext {
  /** Milliseconds since the epoch; default Date.now(). Delays from timestamps are relative to it. */
  now?: number;
  /** Uniform [0, 1); default Math.random. Used for stage choice and jitter. */
  random?: () => number;
  /** Node IP/name/port, node lookup and IP pools for the node/pod template functions. */
  env?: TemplateEnv;
  /** Extra template functions, or replacements of KWOK's. */
  funcs?: Record<string, TemplateFunc>;
  /** Pod/Node patches without `type` are strategic (KWOK's typed controllers). Default true. */
  typedCoreKinds?: boolean;
  /**
   * Which stages this caller may play for the object (a sharded fleet: a migration stage runs
   * where its handler's node is owned). Default: all.
   */
  eligible?: (stage: CompiledStage, obj: KubeObject) => boolean;
}

export interface Selection {
  stage: CompiledStage;
  /** The stage's weight as evaluated (0 when none could be computed). */
  weight: number;
  /** Delay before the steps run, in ms (0 when there is none). */
  delayMs: number;
  /** false when the stage has no delay (KWOK: the job is queued immediately). */
  hasDelay: boolean;
}

export interface Plan extends Selection {
  requests: PlanRequest[];
  /** After a patch that changed the object, re-evaluate its result at once (KWOK immediateNextStage). */
  immediateNextStage: boolean;
}

/** One matching stage as KWOK's stage_test.go lists it: weight and delay range when defined. */
export interface PossibleStage {
  stage: CompiledStage;
  weight?: number;
  /** [ns] or [min ns, max ns) */
  delayNs?: number[];
}

/** "kubevirt.io/v1" + "VirtualMachineInstance" */
function refKey(apiGroup: string, kind: string): string {
  return `${apiGroup}\u0000${kind}`;
}

export function objectRef(obj: KubeObject): { apiGroup: string; kind: string } {
  return { apiGroup: obj.apiVersion || 'v1', kind: obj.kind ?? '' };
}

export class StageSet {
  readonly stages: readonly CompiledStage[];
  private readonly index = new Map<string, CompiledStage[]>();
  /** apiGroup → kind → stages: no key string built per lookup. */
  private readonly byGroup = new Map<string, Map<string, CompiledStage[]>>();
  private readonly renderState: RenderState = { nowMs: 0, env: {} };
  private readonly baseFuncs: Record<string, unknown>;
  private readonly funcsCache = new WeakMap<object, Record<string, unknown>>();
  private readonly matchBuffer: CompiledStage[] = [];

  constructor(stages: readonly CompiledStage[]) {
    this.stages = stages;
    for (const s of stages) {
      if (!s.enabled) continue;
      const k = refKey(s.apiGroup, s.kind);
      let list = this.index.get(k);
      if (!list) {
        this.index.set(k, (list = []));
        let kinds = this.byGroup.get(s.apiGroup);
        if (!kinds) this.byGroup.set(s.apiGroup, (kinds = new Map()));
        kinds.set(s.kind, list);
      }
      list.push(s);
    }
    this.baseFuncs = { ...(sprigFuncs as Record<string, unknown>), ...createKwokFuncs(this.renderState) };
  }

  /** Compiles loaded stages; problems are returned, not thrown. */
  static compile(loaded: LoadedStage[], opts: CompileOptions = {}): { set: StageSet; problems: StageProblem[] } {
    const problems: StageProblem[] = [];
    const compiled: CompiledStage[] = [];
    for (const l of loaded) {
      const r = compileStage(l, opts);
      problems.push(...r.problems);
      if (r.stage) compiled.push(r.stage);
    }
    return { set: new StageSet(compiled), problems };
  }

  /** Stage objects from the API server (or anywhere), validated like files; throws StageLoadError. */
  static fromObjects(objs: unknown[], opts: CompileOptions & { origin?: string } = {}): StageSet {
    const parsed = fromObjectsUnchecked(objs, opts.origin);
    const { set, problems } = StageSet.compile(parsed.stages, opts);
    const all = [...parsed.problems, ...problems];
    if (all.length) throw new StageLoadError(all);
    return set;
  }

  /** The resource kinds this set has stages for. */
  resourceRefs(): { apiGroup: string; kind: string }[] {
    const seen = new Map<string, { apiGroup: string; kind: string }>();
    for (const s of this.stages) if (s.enabled) seen.set(refKey(s.apiGroup, s.kind), { apiGroup: s.apiGroup, kind: s.kind });
    return [...seen.values()];
  }

  stagesFor(apiGroup: string, kind: string): readonly CompiledStage[] {
    return this.index.get(refKey(apiGroup, kind)) ?? [];
  }

  private scope(obj: KubeObject, ctx: PlanContext): EvalScope {
    return new EvalScope(obj, ctx.now ?? Date.now(), ctx.random ?? Math.random);
  }

  private matchingIn(scope: EvalScope, eligible?: PlanContext['eligible']): CompiledStage[] {
    const { apiGroup, kind } = objectRef(scope.obj);
    const candidates = this.index.get(refKey(apiGroup, kind));
    const out: CompiledStage[] = [];
    if (!candidates) return out;
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i]!;
      if ((!eligible || eligible(c, scope.obj)) && stageMatches(c, scope)) out.push(c);
    }
    return out;
  }

  /** Every stage whose selector matches, in set order. Throws StageEvalError as KWOK does on CEL errors. */
  matching(obj: KubeObject, ctx: PlanContext = {}): CompiledStage[] {
    return this.matchingIn(this.scope(obj, ctx), ctx.eligible);
  }

  /** Lifecycle.Match: the stage the object goes through next, and its delay; null if none matches. */
  select(obj: KubeObject, ctx: PlanContext = {}): Selection | null {
    const scope = this.scope(obj, ctx);
    // Hot path: a reused buffer instead of a fresh array per object (select is synchronous).
    const candidates = this.byGroup.get(scope.obj.apiVersion || 'v1')?.get(scope.obj.kind ?? '');
    if (!candidates) return null;
    const matched = this.matchBuffer;
    matched.length = 0;
    const eligible = ctx.eligible;
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i]!;
      if ((!eligible || eligible(c, scope.obj)) && stageMatches(c, scope)) matched.push(c);
    }
    if (matched.length === 0) return null;
    let chosen: CompiledStage;
    let weight = 0;
    if (matched.length === 1) {
      chosen = matched[0]!;
      // KWOK does not evaluate the weight of a lone match, so its errors must not matter here.
      try {
        const [w, ok] = stageWeight(chosen, scope);
        weight = ok ? w : 0;
      } catch {
        weight = 0;
      }
    } else {
      const weights: number[] = [];
      let total = 0;
      let errors = 0;
      for (const s of matched) {
        const [w, ok] = stageWeight(s, scope);
        if (ok) {
          total += w;
          weights.push(w);
        } else {
          weights.push(-1);
          errors++;
        }
      }
      const pick = (n: number) => Math.floor(scope.random() * n);
      if (errors === matched.length) {
        const i = pick(matched.length);
        chosen = matched[i]!;
      } else if (total === 0) {
        const candidates = errors === 0 ? matched : matched.filter((_, i) => weights[i]! >= 0);
        chosen = candidates[pick(candidates.length)]!;
      } else {
        let off = pick(total);
        chosen = matched[matched.length - 1]!;
        for (let i = 0; i < matched.length; i++) {
          if (weights[i]! <= 0) continue;
          off -= weights[i]!;
          if (off < 0) {
            chosen = matched[i]!;
            break;
          }
        }
      }
      weight = Math.max(0, weights[matched.indexOf(chosen)]!);
    }
    const delayNs = stageDelay(chosen, scope);
    return { stage: chosen, weight, delayMs: delayNs === undefined ? 0 : Math.max(0, delayNs / 1e6), hasDelay: delayNs !== undefined };
  }

  /** Lifecycle.ListAllPossible: the stages Match could pick, with weight and delay range. */
  listAllPossible(obj: KubeObject, ctx: PlanContext = {}): PossibleStage[] {
    const scope = this.scope(obj, ctx);
    const matched = this.matchingIn(scope, ctx.eligible);
    const describe = (s: CompiledStage): PossibleStage => {
      const [w, ok] = stageWeight(s, scope);
      const d = stageDelayRange(s, scope);
      const p: PossibleStage = { stage: s };
      if (ok) p.weight = w;
      if (d) p.delayNs = d;
      return p;
    };
    if (matched.length <= 1) return matched.map(describe);
    const weights = matched.map((s) => {
      const [w, ok] = stageWeight(s, scope);
      return ok ? w : -1;
    });
    const errors = weights.filter((w) => w < 0).length;
    const total = weights.reduce((a, w) => a + (w > 0 ? w : 0), 0);
    let keep: CompiledStage[];
    if (errors === matched.length) keep = matched;
    else if (total === 0) keep = errors === 0 ? matched : matched.filter((_, i) => weights[i]! >= 0);
    else keep = matched.filter((_, i) => weights[i]! > 0);
    return keep.map(describe);
  }

  private funcsFor(ctx: PlanContext): Record<string, unknown> {
    if (!ctx.funcs) return this.baseFuncs;
    let f = this.funcsCache.get(ctx.funcs);
    if (!f) {
      f = { ...this.baseFuncs, ...ctx.funcs };
      this.funcsCache.set(ctx.funcs, f);
    }
    return f;
  }

  /** The requests of `stage` for `obj` (the object as it was when the stage was selected). */
  renderSteps(stage: CompiledStage, obj: KubeObject, ctx: PlanContext = {}, fromStep = 0): PlanRequest[] {
    this.renderState.nowMs = ctx.now ?? Date.now();
    this.renderState.env = ctx.env ?? {};
    return renderSteps(stage, obj, { funcs: this.funcsFor(ctx), typedCoreKinds: ctx.typedCoreKinds }, fromStep);
  }

  /** select + renderSteps with the same context. */
  plan(obj: KubeObject, ctx: PlanContext = {}): Plan | null {
    const now = ctx.now ?? Date.now();
    const c = ctx.now === undefined ? { ...ctx, now } : ctx;
    const sel = this.select(obj, c);
    if (!sel) return null;
    return { ...sel, requests: this.renderSteps(sel.stage, obj, c), immediateNextStage: sel.stage.immediateNextStage };
  }
}
