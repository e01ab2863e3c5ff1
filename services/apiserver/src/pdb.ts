/**
 * PodDisruptionBudget rules the eviction subresource applies, as kube-apiserver 1.26's
 * EvictionREST does (pure: no store, no HTTP): which pods may skip the budget, which budgets
 * cover a pod, and the check-and-decrement of `status.disruptionsAllowed` with its refusals.
 */
import { LabelSelector } from '@virtsim/apimachinery';
import { StatusError } from './status.ts';

type Obj = Record<string, any>;

/** More unconfirmed evictions than this and the budget refuses (the disruption controller is behind). */
export const MAX_DISRUPTED_POD_SIZE = 2000;

const VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget.";

/** podutil.IsPodReady: a Ready condition with status True. */
export function isPodReady(pod: Obj): boolean {
  const conds: Obj[] = Array.isArray(pod.status?.conditions) ? pod.status.conditions : [];
  return conds.some((c) => c?.type === 'Ready' && c.status === 'True');
}

/** Terminal, pending or already terminating pods are deleted without asking any budget (they disrupt nothing more). */
export function canIgnorePdb(pod: Obj): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || !!pod.metadata?.deletionTimestamp;
}

/** A pending pod deleted without the budget is deleted at the version read, so it cannot have become ready meanwhile. */
export function shouldEnforceResourceVersion(pod: Obj): boolean {
  const phase = pod.status?.phase;
  return !(phase === 'Succeeded' || phase === 'Failed' || !!pod.metadata?.deletionTimestamp);
}

/** The budgets in the pod's namespace whose selector picks it; an invalid, missing or empty selector picks nothing. */
export function pdbsForPod(pdbs: Obj[], pod: Obj): Obj[] {
  return pdbs.filter((pdb) => {
    if (pdb.metadata?.namespace !== pod.metadata?.namespace) return false;
    let sel: LabelSelector;
    try {
      sel = LabelSelector.fromObject(pdb.spec?.selector);
    } catch {
      return false;
    }
    return !sel.isEmpty() && sel.matches(pod.metadata?.labels);
  });
}

/** An unready pod is evicted without spending the budget when the application it belongs to is healthy anyway. */
export function unreadyPodMayGo(pod: Obj, pdb: Obj): boolean {
  const st = pdb.status ?? {};
  const desired = st.desiredHealthy ?? 0;
  return !isPodReady(pod) && (st.currentHealthy ?? 0) >= desired && desired > 0;
}

/** 429 while the disruption controller has not looked at the budget's latest spec. */
export function stillProcessing(pdbName: string): StatusError {
  return new StatusError(429, 'TooManyRequests', VIOLATION, {
    causes: [{ reason: 'DisruptionBudget', message: `The disruption budget ${pdbName} is still being processed by the server.` }],
    retryAfterSeconds: 10,
  });
}

const forbidden = (pdbName: string, why: string) =>
  new StatusError(403, 'Forbidden', `poddisruptionbudget.policy "${pdbName}" is forbidden: ${why}`, { name: pdbName, group: 'policy', kind: 'poddisruptionbudget' });

/** apimeta.SetStatusCondition for DisruptionAllowed: the transition time moves only when the status does. */
function disruptionAllowedCondition(conditions: Obj[], allowed: number, observedGeneration: number, now: string): Obj[] {
  const status = allowed > 0 ? 'True' : 'False';
  const reason = allowed > 0 ? 'SufficientPods' : 'InsufficientPods';
  const old = conditions.find((c) => c?.type === 'DisruptionAllowed');
  const next: Obj = { type: 'DisruptionAllowed', status, ...(observedGeneration ? { observedGeneration } : {}), lastTransitionTime: old && old.status === status ? old.lastTransitionTime : now, reason, message: '' };
  return old ? conditions.map((c) => (c === old ? next : c)) : [...conditions, next];
}

/**
 * checkAndDecrement: the budget as it is to be written back (one disruption fewer, the pod listed
 * in disruptedPods so the controller does not count it as available), or the refusal. A dry run
 * gets the decremented budget without the disruptedPods entry; the caller does not write it.
 */
export function checkAndDecrement(pdb: Obj, podName: string, dryRun: boolean, now: string): Obj {
  const name: string = pdb.metadata?.name ?? '';
  const st: Obj = pdb.status ?? {};
  const allowed: number = st.disruptionsAllowed ?? 0;
  if ((st.observedGeneration ?? 0) < (pdb.metadata?.generation ?? 0)) throw stillProcessing(name);
  if (allowed < 0) throw forbidden(name, 'pdb disruptions allowed is negative');
  if (Object.keys(st.disruptedPods ?? {}).length > MAX_DISRUPTED_POD_SIZE) throw forbidden(name, 'DisruptedPods map too big - too many evictions not confirmed by PDB controller');
  if (allowed === 0)
    throw new StatusError(429, 'TooManyRequests', VIOLATION, {
      causes: [{ reason: 'DisruptionBudget', message: `The disruption budget ${name} needs ${st.desiredHealthy ?? 0} healthy pods and has ${st.currentHealthy ?? 0} currently` }],
    });
  const status: Obj = { ...st, disruptionsAllowed: allowed - 1 };
  if (allowed - 1 === 0) status.conditions = disruptionAllowedCondition(st.conditions ?? [], 0, st.observedGeneration ?? 0, now);
  if (!dryRun) status.disruptedPods = { ...(st.disruptedPods ?? {}), [podName]: now };
  return { ...pdb, status };
}
