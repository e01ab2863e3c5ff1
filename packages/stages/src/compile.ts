/**
 * Turns a structurally valid Stage into its compiled form: selectors precompiled (label pairs,
 * jq programs, CEL programs), weight and delay getters, steps in KWOK's order with templates parsed
 * once. Everything KWOK would only find out at match time (bad jq, bad CEL, In/NotIn without
 * values, unparsable templates) is reported here, with positions.
 */
import { parseTemplate, sprigFuncs, TemplateParseError } from '@virtsim/gotemplate';
import { JqSyntaxError } from '@virtsim/jq';
import { compileCel, CelSyntaxError, type CelProgram } from './cel.ts';
import type { StageProblem } from './errors.ts';
import { compileQuery, type JqQuery } from './jq-query.ts';
import { createKwokFuncs } from './kwok-funcs.ts';
import type { LoadedStage } from './load.ts';
import { formatPath } from './shape.ts';
import { toSteps } from './steps.ts';
import type {
  ExpressionFrom,
  Impersonation,
  SelectorOperator,
  StageApplyType,
  StageEvent,
  StageFinalizers,
  StageObject,
  StagePatchType,
  StageSource,
} from './types.ts';

export interface CompiledRequirement {
  query: JqQuery;
  operator: SelectorOperator;
  values: ReadonlySet<string>;
}

/** A value from an ExpressionFrom with a fallback, as KWOK's int64From / durationFrom. */
export interface ValueFrom {
  /** The fixed value (weight, or delay in ns); undefined = none. */
  value: number | undefined;
  query?: JqQuery;
  program?: CelProgram;
}

export interface CompiledTemplate {
  source: string;
  execute(data: unknown, funcs: Record<string, unknown>): string;
}

export interface CompiledPatch {
  template: CompiledTemplate;
  root: string;
  subresource: string;
  type: StagePatchType | undefined;
  impersonation: Impersonation | undefined;
}

export interface CompiledApply {
  template: CompiledTemplate;
  subresource: string;
  type: StageApplyType | undefined;
  impersonation: Impersonation | undefined;
}

export interface CompiledStep {
  event?: StageEvent;
  finalizers?: StageFinalizers;
  delete: boolean;
  patch?: CompiledPatch;
  apply?: CompiledApply;
}

export interface CompiledStage {
  name: string;
  /** resourceRef.apiGroup: group/version, default "v1". */
  apiGroup: string;
  kind: string;
  object: StageObject;
  source: StageSource;
  /** false when `spec.selector` is null: KWOK ignores such stages. */
  enabled: boolean;
  matchLabels: [string, string][] | null;
  matchAnnotations: [string, string][] | null;
  requirements: CompiledRequirement[];
  conditions: CelProgram[];
  weight: ValueFrom;
  /** null when there is no `delay` at all. */
  duration: ValueFrom | null;
  /** null when neither jitterDurationMilliseconds nor a jq jitterDurationFrom is given. */
  jitter: ValueFrom | null;
  steps: CompiledStep[];
  immediateNextStage: boolean;
  /** Any jq program of this stage went to the interpreter rather than the fast path. */
  jqFastPath: boolean;
}

export interface CompileOptions {
  /** Use the jq interpreter even where a fast path exists (for comparisons). */
  interpretedJq?: boolean;
}

const kwokFuncNames = Object.keys(createKwokFuncs({ nowMs: 0, env: {} }));
/** Names the templates may call: sprig + KWOK's (+ `now`, which sprig provides). */
export const templateFuncNames: string[] = [...new Set([...Object.keys(sprigFuncs), ...kwokFuncNames])];

type Path = (string | number)[];

/**
 * One stage's compilation: every expression and template parsed once, each problem reported with
 * the file, line and column it came from (nothing compiled is returned if any was found).
 */
class StageCompiler {
  readonly problems: StageProblem[] = [];
  /** False once a jq expression needs the interpreter. */
  jqFastPath = true;

  private readonly loaded: LoadedStage;
  private readonly opts: CompileOptions;

  constructor(loaded: LoadedStage, opts: CompileOptions) {
    this.loaded = loaded;
    this.opts = opts;
  }

  report(p: Path, reason: string, pos = this.loaded.locator.at(p)): void {
    const { source, object } = this.loaded;
    this.problems.push({ file: source.file, doc: source.doc, stage: object.metadata.name, path: formatPath(p), line: pos.line, column: pos.column, reason });
  }

  jq(expr: string, p: Path): JqQuery | undefined {
    try {
      const q = compileQuery(expr, { interpreted: this.opts.interpretedJq });
      if (!q.fastPath) this.jqFastPath = false;
      return q;
    } catch (e) {
      if (e instanceof JqSyntaxError) {
        const detail = e.message.replace(/^jq syntax error at position \d+: /, '').replace(/ in ".*"$/s, '');
        this.report(p, `bad jq ${JSON.stringify(expr)} at position ${e.position}: ${detail}`, this.loaded.locator.inTemplate(p, 1, e.position + 1));
      } else this.report(p, `bad jq ${JSON.stringify(expr)}: ${(e as Error).message}`);
      return undefined;
    }
  }

  cel(expr: string, p: Path): CelProgram | undefined {
    try {
      return compileCel(expr);
    } catch (e) {
      if (e instanceof CelSyntaxError) {
        const detail = e.message.replace(/^<input>:\d+:\d+: /, '');
        this.report(p, `bad CEL ${JSON.stringify(expr)} at line ${e.line} column ${e.column}: ${detail}`, this.loaded.locator.inTemplate(p, e.line, e.column));
      } else this.report(p, `bad CEL ${JSON.stringify(expr)}: ${(e as Error).message}`);
      return undefined;
    }
  }

  template(text: string | undefined, p: Path): CompiledTemplate | undefined {
    // KWOK trims the template before parsing (gotpl renderer).
    const src = (text ?? '').trim();
    try {
      const t = parseTemplate(src, { name: `${this.loaded.object.metadata.name}:${formatPath(p)}`, funcNames: templateFuncNames });
      return { source: src, execute: (data, funcs) => t.execute(data, funcs as never) };
    } catch (e) {
      if (e instanceof TemplateParseError) {
        const pos = this.loaded.locator.inTemplate(p, e.line, e.column + 1);
        this.report(p, `unparsable template at template line ${e.line}:${e.column + 1}: ${e.reason}`, pos);
      } else this.report(p, `unparsable template: ${(e as Error).message}`);
      return undefined;
    }
  }

  valueFrom(fixed: number | undefined, from: ExpressionFrom | undefined, p: Path): ValueFrom {
    const v: ValueFrom = { value: fixed };
    if (!from) return v;
    const jqExpr = from.jq?.expression ?? (from.expressionFrom ? from.expressionFrom : undefined);
    if (from.cel) v.program = this.cel(from.cel.expression, [...p, 'cel', 'expression']);
    if (jqExpr !== undefined) v.query = this.jq(jqExpr, from.jq ? [...p, 'jq', 'expression'] : [...p, 'expressionFrom']);
    if (!from.cel && jqExpr === undefined) this.report(p, 'one of expressionFrom, jq or cel is required');
    return v;
  }

  /** matchExpressions: key/jq requirements and CEL conditions. */
  selector(): { requirements: CompiledRequirement[]; conditions: CelProgram[] } {
    const requirements: CompiledRequirement[] = [];
    const conditions: CelProgram[] = [];
    (this.loaded.object.spec.selector?.matchExpressions ?? []).forEach((m, i) => {
      const p = ['spec', 'selector', 'matchExpressions', i];
      const forms = [m.jq ? 'jq' : '', m.cel ? 'cel' : '', m.key !== undefined && m.key !== '' ? 'key' : ''].filter(Boolean);
      if (forms.length !== 1) {
        this.report(p, forms.length === 0 ? 'one of key, jq or cel is required' : `only one of key, jq or cel may be set, got ${forms.join(', ')}`);
        return;
      }
      if (m.cel) {
        const prog = this.cel(m.cel.expression ?? '', [...p, 'cel', 'expression']);
        if (prog) conditions.push(prog);
        return;
      }
      const form = m.jq ?? { key: m.key!, operator: m.operator!, values: m.values };
      const fp = m.jq ? [...p, 'jq'] : p;
      const values = form.values ?? [];
      const ok = this.checkOperator(form.operator, values, fp);
      const q = this.jq(form.key ?? '', [...fp, 'key']);
      if (q && ok) requirements.push({ query: q, operator: form.operator, values: new Set(values) });
    });
    return { requirements, conditions };
  }

  private checkOperator(operator: string | undefined, values: string[], fp: Path): boolean {
    if (!operator) this.report([...fp, 'operator'], 'required field is missing');
    else if ((operator === 'In' || operator === 'NotIn') && values.length === 0) this.report([...fp, 'values'], `operator ${operator} needs at least one value`);
    else if ((operator === 'Exists' || operator === 'DoesNotExist') && values.length > 0) this.report([...fp, 'values'], `operator ${operator} takes no values`);
    else return true;
    return false;
  }

  /** The delay's duration and jitter, in nanoseconds or from an expression. */
  delay(): { duration: ValueFrom | null; jitter: ValueFrom | null } {
    const delay = this.loaded.object.spec.delay;
    if (!delay) return { duration: null, jitter: null };
    const duration = this.valueFrom(
      delay.durationMilliseconds != null ? delay.durationMilliseconds * 1e6 : undefined,
      delay.durationFrom ?? undefined,
      ['spec', 'delay', 'durationFrom'],
    );
    if (delay.jitterDurationMilliseconds == null && delay.jitterDurationFrom == null) return { duration, jitter: null };
    // KWOK honours jitterDurationFrom only when it has a jq form (a CEL-only one is ignored).
    const jf = delay.jitterDurationFrom ?? undefined;
    const honoured = jf && (jf.jq || jf.expressionFrom) ? jf : undefined;
    if (jf && !honoured && jf.cel) this.cel(jf.cel.expression, ['spec', 'delay', 'jitterDurationFrom', 'cel', 'expression']);
    const jitter = this.valueFrom(
      delay.jitterDurationMilliseconds != null ? delay.jitterDurationMilliseconds * 1e6 : undefined,
      honoured,
      ['spec', 'delay', 'jitterDurationFrom'],
    );
    return { duration, jitter };
  }

  /** The steps (next, or KWOK's legacy statusTemplate form), their templates parsed. */
  steps(): CompiledStep[] {
    const steps: CompiledStep[] = [];
    for (const { step, origin } of toSteps(this.loaded.object.spec)) {
      const cs: CompiledStep = { delete: step.delete === true };
      if (step.event) cs.event = step.event;
      if (step.finalizers) cs.finalizers = step.finalizers;
      if (step.patch) {
        const tp =
          origin[origin.length - 1] === 'statusTemplate' ? origin : origin[1] === 'next' ? [...origin, 'template'] : [...origin, 'patch', 'template'];
        const t = this.template(step.patch.template, tp);
        if (t) {
          cs.patch = {
            template: t,
            root: step.patch.root ?? '',
            subresource: step.patch.subresource ?? '',
            type: step.patch.type ?? undefined,
            impersonation: step.patch.impersonation ?? undefined,
          };
        }
      }
      if (step.apply) {
        const t = this.template(step.apply.template, [...origin, 'apply', 'template']);
        if (t) cs.apply = { template: t, subresource: step.apply.subresource ?? '', type: step.apply.type ?? undefined, impersonation: step.apply.impersonation ?? undefined };
      }
      steps.push(cs);
    }
    return steps;
  }
}

export function compileStage(loaded: LoadedStage, opts: CompileOptions = {}): { stage?: CompiledStage; problems: StageProblem[] } {
  const { object, source } = loaded;
  const spec = object.spec;
  const c = new StageCompiler(loaded, opts);
  const { requirements, conditions } = c.selector();
  const weight = c.valueFrom(spec.weight ?? 0, spec.weightFrom ?? undefined, ['spec', 'weightFrom']);
  const { duration, jitter } = c.delay();
  const steps = c.steps();
  if (c.problems.length) return { problems: c.problems };
  const selector = spec.selector;
  const toPairs = (m: Record<string, string> | undefined | null) => (m ? Object.entries(m).map(([k, v]) => [k, String(v)] as [string, string]) : null);
  return {
    problems: c.problems,
    stage: {
      name: object.metadata.name,
      apiGroup: spec.resourceRef.apiGroup || 'v1',
      kind: spec.resourceRef.kind,
      object,
      source,
      enabled: selector !== null && selector !== undefined,
      matchLabels: toPairs(selector?.matchLabels),
      matchAnnotations: toPairs(selector?.matchAnnotations),
      requirements,
      conditions,
      weight,
      duration,
      jitter,
      steps,
      immediateNextStage: spec.immediateNextStage === true,
      jqFastPath: c.jqFastPath,
    },
  };
}
