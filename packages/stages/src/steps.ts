/**
 * Legacy `spec.next` → v0.8 `spec.steps`, in KWOK's order (pkg/apis/internalversion/conversion.go):
 * event, finalizers, each of `patches` (or `statusTemplate` as a patch with root `status`,
 * subresource `statusSubresource` (default "status") and impersonation `statusPatchAs`), delete.
 * `steps`, when present and non-empty, win over `next`.
 */
import type { StageSpec, StageStep } from './types.ts';

/** The steps with the index path of each step's origin (for error messages). */
export interface SourcedStep {
  step: StageStep;
  /** Field path of the step's payload in the Stage object, e.g. ['spec','next','statusTemplate']. */
  origin: (string | number)[];
}

export function toSteps(spec: StageSpec): SourcedStep[] {
  if (spec.steps && spec.steps.length > 0) {
    return spec.steps.map((step, i) => ({ step, origin: ['spec', 'steps', i] }));
  }
  const next = spec.next;
  if (!next) return [];
  const out: SourcedStep[] = [];
  if (next.event) out.push({ step: { event: next.event }, origin: ['spec', 'next', 'event'] });
  if (next.finalizers) out.push({ step: { finalizers: next.finalizers }, origin: ['spec', 'next', 'finalizers'] });
  if (next.patches && next.patches.length > 0) {
    next.patches.forEach((patch, i) => out.push({ step: { patch }, origin: ['spec', 'next', 'patches', i] }));
  } else if (next.statusTemplate) {
    out.push({
      step: {
        patch: {
          subresource: next.statusSubresource ?? 'status',
          root: 'status',
          template: next.statusTemplate,
          ...(next.statusPatchAs ? { impersonation: next.statusPatchAs } : {}),
        },
      },
      origin: ['spec', 'next', 'statusTemplate'],
    });
  }
  if (next.delete) out.push({ step: { delete: true }, origin: ['spec', 'next', 'delete'] });
  return out;
}
