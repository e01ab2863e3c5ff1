/**
 * The plan for one object in the exact format of KWOK's golden `testdata/*.output.yaml` files
 * (kustomize/stage/stage_test.go): every stage that Match could choose, with its weight, its delay
 * range in nanoseconds, and its requests rendered with placeholder functions (`<Now>`,
 * `<NodeIP>`, `<0 of NodeIPsWith("node")>`…) at the fixed time 2006-01-02T15:04:05Z, patch types
 * as HTTP content types, and patches without `type` as merge patches (stage_test.go evaluates
 * unstructured objects).
 */
import { marshalGoYaml } from '@virtsim/goformats';
import { placeholderFuncs, type TemplateFunc } from './kwok-funcs.ts';
import { PATCH_CONTENT_TYPES, type PlanRequest } from './render.ts';
import { objectRef, type StageSet } from './stage-set.ts';
import type { KubeObject } from './types.ts';

export const EXPLAIN_NOW = Date.UTC(2006, 0, 2, 15, 4, 5);

export interface ExplainOptions {
  /** Default 2006-01-02T15:04:05Z, as stage_test.go. */
  now?: number;
  /** Extra or replacement template functions (default: KWOK's placeholders). */
  funcs?: Record<string, TemplateFunc>;
  /** Default false, as stage_test.go (unstructured objects ⇒ merge patches). */
  typedCoreKinds?: boolean;
}

function formatRequest(r: PlanRequest): Record<string, unknown> {
  switch (r.kind) {
    case 'event':
      return { kind: 'event', type: r.type, reason: r.reason, message: r.message };
    case 'delete':
      return { kind: 'delete' };
    case 'patch':
    case 'apply': {
      const out: Record<string, unknown> = { kind: r.kind, type: PATCH_CONTENT_TYPES[r.type] };
      if (r.subresource) out.subresource = r.subresource;
      out.data = r.data;
      if (r.impersonate) out.impersonation = r.impersonate.username;
      return out;
    }
  }
}

/** The explain document as a JSON value. */
export function explainObject(set: StageSet, obj: KubeObject, opts: ExplainOptions = {}): Record<string, unknown> {
  const now = opts.now ?? EXPLAIN_NOW;
  const funcs = { ...placeholderFuncs(), ...opts.funcs };
  const ctx = { now, random: () => 0, funcs, typedCoreKinds: opts.typedCoreKinds ?? false };
  const { apiGroup, kind } = objectRef(obj);
  const meta: Record<string, unknown> = { apiGroup, kind, name: obj.metadata?.name ?? '' };
  if (obj.metadata?.namespace) meta.namespace = obj.metadata.namespace;
  meta.stages = set.listAllPossible(obj, ctx).map((p) => {
    const entry: Record<string, unknown> = { stage: p.stage.name };
    if (p.delayNs) entry.delay = p.delayNs.map((d) => Math.round(d));
    if (p.weight !== undefined) entry.weight = p.weight;
    const next = set.renderSteps(p.stage, obj, ctx).map(formatRequest);
    if (p.stage.immediateNextStage) next.push({ kind: 'immediate' });
    entry.next = next;
    return entry;
  });
  return meta;
}

/** The explain document as KWOK's golden files print it. */
export function explainPlan(set: StageSet, obj: KubeObject, opts: ExplainOptions = {}): string {
  return marshalGoYaml(explainObject(set, obj, opts));
}
