import { describe, expect, it } from 'vitest';
import { StatusError } from './status.ts';
import { canIgnorePdb, checkAndDecrement, isPodReady, pdbsForPod, shouldEnforceResourceVersion, unreadyPodMayGo } from './pdb.ts';

const pod = (phase: string | undefined, ready: boolean, extra: Record<string, unknown> = {}) => ({
  metadata: { name: 'p', namespace: 'ns', labels: { app: 'web' }, ...extra },
  status: { ...(phase ? { phase } : {}), conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});

const pdb = (name: string, selector: unknown, status: Record<string, unknown>, generation = 1, ns = 'ns'): Record<string, any> => ({
  metadata: { name, namespace: ns, generation },
  spec: { selector },
  status: { observedGeneration: generation, ...status },
});

function refusal(f: () => unknown): StatusError {
  try {
    f();
  } catch (e) {
    if (e instanceof StatusError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('which pods skip the budget', () => {
  it('terminal, pending and terminating pods do; running ones (and those without a phase) do not', () => {
    expect(canIgnorePdb(pod('Succeeded', false))).toBe(true);
    expect(canIgnorePdb(pod('Failed', false))).toBe(true);
    expect(canIgnorePdb(pod('Pending', false))).toBe(true);
    expect(canIgnorePdb(pod('Running', true, { deletionTimestamp: '2026-01-01T00:00:00Z' }))).toBe(true);
    expect(canIgnorePdb(pod('Running', true))).toBe(false);
    expect(canIgnorePdb(pod(undefined, false))).toBe(false);
  });

  it('only a pending pod is deleted at the version read (it might become ready)', () => {
    expect(shouldEnforceResourceVersion(pod('Pending', false))).toBe(true);
    expect(shouldEnforceResourceVersion(pod('Succeeded', false))).toBe(false);
    expect(shouldEnforceResourceVersion(pod('Running', true, { deletionTimestamp: '2026-01-01T00:00:00Z' }))).toBe(false);
  });

  it('readiness is the Ready condition', () => {
    expect(isPodReady(pod('Running', true))).toBe(true);
    expect(isPodReady(pod('Running', false))).toBe(false);
    expect(isPodReady({ metadata: {} })).toBe(false);
  });
});

describe('budgets covering a pod', () => {
  it('matches by selector in the pod namespace; empty, missing and invalid selectors match nothing', () => {
    const budgets = [
      pdb('match', { matchLabels: { app: 'web' } }, {}),
      pdb('expr', { matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'db'] }] }, {}),
      pdb('other-ns', { matchLabels: { app: 'web' } }, {}, 1, 'elsewhere'),
      pdb('empty', {}, {}),
      pdb('missing', undefined, {}),
      pdb('invalid', { matchExpressions: [{ key: 'app', operator: 'Near', values: ['web'] }] }, {}),
      pdb('nomatch', { matchLabels: { app: 'db' } }, {}),
    ];
    expect(pdbsForPod(budgets, pod('Running', true)).map((p) => p.metadata.name)).toEqual(['match', 'expr']);
  });

  it('an unready pod goes free only while the application is healthy', () => {
    expect(unreadyPodMayGo(pod('Running', false), pdb('b', {}, { currentHealthy: 2, desiredHealthy: 2 }))).toBe(true);
    expect(unreadyPodMayGo(pod('Running', false), pdb('b', {}, { currentHealthy: 1, desiredHealthy: 2 }))).toBe(false);
    expect(unreadyPodMayGo(pod('Running', false), pdb('b', {}, { currentHealthy: 0, desiredHealthy: 0 }))).toBe(false);
    expect(unreadyPodMayGo(pod('Running', true), pdb('b', {}, { currentHealthy: 3, desiredHealthy: 2 }))).toBe(false);
  });
});

describe('checkAndDecrement', () => {
  const now = '2026-12-06T04:00:00Z';

  it('spends one disruption and lists the pod; at zero the DisruptionAllowed condition turns False', () => {
    const b = pdb('b', {}, { disruptionsAllowed: 2, currentHealthy: 3, desiredHealthy: 1, disruptedPods: { old: now } });
    const once = checkAndDecrement(b, 'p1', false, now);
    expect(once.status).toMatchObject({ disruptionsAllowed: 1, disruptedPods: { old: now, p1: now } });
    expect(once.status.conditions).toBeUndefined();
    const twice = checkAndDecrement(once, 'p2', false, now);
    expect(twice.status.disruptionsAllowed).toBe(0);
    expect(twice.status.conditions).toEqual([{ type: 'DisruptionAllowed', status: 'False', observedGeneration: 1, lastTransitionTime: now, reason: 'InsufficientPods', message: '' }]);
    expect(b.status.disruptionsAllowed).toBe(2); // the input is not changed
  });

  it('a dry run decrements without listing the pod', () => {
    const out = checkAndDecrement(pdb('b', {}, { disruptionsAllowed: 1 }), 'p', true, now);
    expect(out.status.disruptionsAllowed).toBe(0);
    expect(out.status.disruptedPods).toBeUndefined();
  });

  it('refuses with 429 and the DisruptionBudget cause when none is allowed', () => {
    const e = refusal(() => checkAndDecrement(pdb('b', {}, { disruptionsAllowed: 0, currentHealthy: 2, desiredHealthy: 2 }), 'p', false, now));
    expect(e.toStatus()).toEqual({
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: "Cannot evict pod as it would violate the pod's disruption budget.",
      reason: 'TooManyRequests',
      details: { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget b needs 2 healthy pods and has 2 currently' }] },
      code: 429,
    });
  });

  it('refuses a budget the controller has not observed yet, asking to retry after 10 s', () => {
    const b = { ...pdb('b', {}, { disruptionsAllowed: 5 }, 2), status: { observedGeneration: 1, disruptionsAllowed: 5 } };
    const e = refusal(() => checkAndDecrement(b, 'p', false, now));
    expect(e.code).toBe(429);
    expect(e.details).toEqual({ causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget b is still being processed by the server.' }], retryAfterSeconds: 10 });
  });

  it('forbids a negative budget and an overfull disruptedPods map', () => {
    const neg = refusal(() => checkAndDecrement(pdb('b', {}, { disruptionsAllowed: -1 }), 'p', false, now));
    expect([neg.code, neg.message]).toEqual([403, 'poddisruptionbudget.policy "b" is forbidden: pdb disruptions allowed is negative']);
    const many = Object.fromEntries(Array.from({ length: 2001 }, (_, i) => [`p${i}`, now]));
    const full = refusal(() => checkAndDecrement(pdb('b', {}, { disruptionsAllowed: 1, disruptedPods: many }), 'p', false, now));
    expect(full.message).toBe('poddisruptionbudget.policy "b" is forbidden: DisruptedPods map too big - too many evictions not confirmed by PDB controller');
  });
});
