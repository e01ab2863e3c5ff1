import { describe, expect, it } from 'vitest';
import { toSteps } from './steps.ts';

describe('legacy next → steps (KWOK conversion.go)', () => {
  const ref = { kind: 'Pod' };
  it('orders event, finalizers, statusTemplate patch, delete', () => {
    const steps = toSteps({
      resourceRef: ref,
      next: { delete: true, statusTemplate: 'phase: x', finalizers: { empty: true }, event: { type: 'Normal', reason: 'R', message: 'm' } },
    }).map((s) => s.step);
    expect(steps).toEqual([
      { event: { type: 'Normal', reason: 'R', message: 'm' } },
      { finalizers: { empty: true } },
      { patch: { subresource: 'status', root: 'status', template: 'phase: x' } },
      { delete: true },
    ]);
  });
  it('statusSubresource "" patches the main resource; statusPatchAs impersonates', () => {
    const [s] = toSteps({ resourceRef: ref, next: { statusTemplate: 't', statusSubresource: '', statusPatchAs: { username: 'u' } } });
    expect(s!.step.patch).toEqual({ subresource: '', root: 'status', template: 't', impersonation: { username: 'u' } });
  });
  it('patches win over statusTemplate; steps win over next', () => {
    const a = toSteps({ resourceRef: ref, next: { statusTemplate: 't', patches: [{ template: 'p1' }, { template: 'p2' }] } });
    expect(a.map((s) => s.step.patch?.template)).toEqual(['p1', 'p2']);
    const b = toSteps({ resourceRef: ref, next: { delete: true }, steps: [{ event: { reason: 'x' } }] });
    expect(b.map((s) => s.step)).toEqual([{ event: { reason: 'x' } }]);
  });
});
