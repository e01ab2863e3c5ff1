/**
 * Turning a chosen stage's steps into requests (pkg/utils/lifecycle/next.go): events always,
 * finalizers as a JSON patch on the main resource, delete (grace period 0, ends everything but
 * events), patches rendered template → YAML (yaml.v2 rules) → JSON, wrapped under `root`, applies.
 * A template that renders nothing gives the JSON value null (with root: `{"status": null}`).
 */
import type { CompiledPatch, CompiledStage, CompiledTemplate } from './compile.ts';
import { StageRenderError } from './errors.ts';
import { finalizerOps } from './finalizers.ts';
import type { Impersonation, KubeObject, StageApplyType } from './types.ts';
import { goYamlToJson } from '@virtsim/goformats';

export type PatchType = 'merge' | 'json' | 'strategic';

export interface PatchRequest {
  kind: 'patch';
  /** Index of the step this request comes from (to resume after a failure). */
  step: number;
  /** '' = the main resource. */
  subresource: string;
  /** The step's `root` ('' for none); `data` is already wrapped in it. */
  root: string;
  type: PatchType;
  data: unknown;
  impersonate?: Impersonation;
  /** true for the JSON patch a `finalizers` step produces. */
  finalizers?: true;
}

export interface ApplyRequest {
  kind: 'apply';
  step: number;
  subresource: string;
  /** 'apply' = server-side apply with fieldManager "kwok", force; else create-or-patch. */
  type: StageApplyType;
  /** The full object to create/apply (namespace defaults to the source object's). */
  data: unknown;
  impersonate?: Impersonation;
}

export interface DeleteRequest {
  kind: 'delete';
  step: number;
  gracePeriodSeconds: 0;
}

export interface EventRequest {
  kind: 'event';
  step: number;
  type: string;
  reason: string;
  message: string;
}

export type PlanRequest = PatchRequest | ApplyRequest | DeleteRequest | EventRequest;

/** HTTP content types, as KWOK's golden files print `type`. */
export const PATCH_CONTENT_TYPES: Record<PatchType | 'apply', string> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

export interface RenderOptions {
  funcs: Record<string, unknown>;
  /**
   * KWOK's node and pod controllers hold typed Pods/Nodes, for which a patch without `type` is a
   * strategic merge patch; its generic controller (and stage_test.go) use merge. Default true.
   */
  typedCoreKinds?: boolean;
}

function render(stage: CompiledStage, step: number, t: CompiledTemplate, obj: KubeObject, funcs: Record<string, unknown>): unknown {
  let text: string;
  try {
    text = t.execute(obj, funcs);
  } catch (e) {
    throw new StageRenderError(stage.name, step, `template: ${(e as Error).message}`);
  }
  try {
    return goYamlToJson(text);
  } catch (e) {
    throw new StageRenderError(stage.name, step, `rendered template is not YAML (${(e as Error).message.split('\n')[0]}):\n${text}`);
  }
}

function wrapJsonPatch(stage: CompiledStage, step: number, root: string, data: unknown): unknown {
  if (!Array.isArray(data)) throw new StageRenderError(stage.name, step, 'a json patch template must render a list of operations');
  return data.map((op: Record<string, unknown>) => {
    const out: Record<string, unknown> = { op: op?.op ?? '', path: `/${root}${op?.path ?? ''}` };
    if (op && 'value' in op) out.value = op.value;
    if (op?.from) out.from = op.from;
    return out;
  });
}

function patchData(stage: CompiledStage, step: number, p: CompiledPatch, obj: KubeObject, funcs: Record<string, unknown>): unknown {
  const data = render(stage, step, p.template, obj, funcs);
  if (!p.root) return data;
  if (p.type === 'json') return wrapJsonPatch(stage, step, p.root, data);
  return { [p.root]: data };
}

/** The requests of `stage`'s steps from `fromStep` on, for `obj` as it was when the stage was chosen. */
export function renderSteps(stage: CompiledStage, obj: KubeObject, opts: RenderOptions, fromStep = 0): PlanRequest[] {
  const out: PlanRequest[] = [];
  const typedCore = (opts.typedCoreKinds ?? true) && stage.apiGroup === 'v1' && (stage.kind === 'Pod' || stage.kind === 'Node');
  let deleted = false;
  for (let i = fromStep; i < stage.steps.length; i++) {
    const s = stage.steps[i]!;
    if (s.event) out.push({ kind: 'event', step: i, type: s.event.type ?? '', reason: s.event.reason ?? '', message: s.event.message ?? '' });
    if (deleted) continue;
    if (s.finalizers) {
      const ops = finalizerOps(obj.metadata?.finalizers ?? [], s.finalizers);
      if (ops.length) out.push({ kind: 'patch', step: i, subresource: '', root: '', type: 'json', data: ops, finalizers: true });
    }
    if (s.delete) {
      deleted = true;
      out.push({ kind: 'delete', step: i, gracePeriodSeconds: 0 });
      continue;
    }
    if (s.patch) {
      const type: PatchType = s.patch.type ?? (typedCore ? 'strategic' : 'merge');
      const req: PatchRequest = {
        kind: 'patch',
        step: i,
        subresource: s.patch.subresource,
        root: s.patch.root,
        type,
        data: patchData(stage, i, s.patch, obj, opts.funcs),
      };
      if (s.patch.impersonation) req.impersonate = s.patch.impersonation;
      out.push(req);
    }
    if (s.apply) {
      const req: ApplyRequest = {
        kind: 'apply',
        step: i,
        subresource: s.apply.subresource,
        type: s.apply.type ?? 'apply',
        data: render(stage, i, s.apply.template, obj, opts.funcs),
      };
      if (s.apply.impersonation) req.impersonate = s.apply.impersonation;
      out.push(req);
    }
  }
  return out;
}
