import type { KubeObject } from '@virtsim/kube';
import { kubeNow } from '../time.ts';
import { isPodDownOrGoingDown, podCondition } from './pod-status.ts';

export type Condition = Record<string, any> & { type: string; status: string };

export const conditionsOf = (o: KubeObject): Condition[] => (o.status?.conditions ?? []) as Condition[];

/** Replaces or adds a condition, keeping lastTransitionTime when status, reason and message are unchanged. */
export function setCondition(list: Condition[], c: Condition): Condition[] {
  const prev = list.find((x) => x.type === c.type);
  const next = { ...c };
  if (prev && prev.status === c.status && prev.reason === c.reason && prev.message === c.message) next.lastTransitionTime = prev.lastTransitionTime;
  // In place, so a rewrite of an unchanged list is recognised as a no-op.
  return prev ? list.map((x) => (x === prev ? next : x)) : [...list, next];
}

export const removeCondition = (list: Condition[], type: string): Condition[] => list.filter((c) => c.type !== type);

/** syncReadyConditionFromPod (vmi.go). */
export function readyCondition(vmi: KubeObject, pod: KubeObject | undefined): Condition {
  const base = { type: 'Ready', lastProbeTime: null, lastTransitionTime: kubeNow() };
  if (!pod) return { ...base, status: 'False', reason: 'PodNotExists', message: 'virt-launcher pod has not yet been scheduled' };
  if (isPodDownOrGoingDown(pod)) return { ...base, status: 'False', reason: 'PodTerminating', message: 'virt-launcher pod is terminating' };
  if (vmi.status?.phase !== 'Running') return { ...base, status: 'False', reason: 'GuestNotRunning', message: 'Guest VM is not reported as running' };
  const ready = podCondition(pod, 'Ready');
  if (!ready) return { ...base, status: 'False', reason: 'PodConditionMissing', message: 'virt-launcher pod is missing the Ready condition' };
  const c: Condition = { ...base, status: ready.status };
  if (ready.reason) c.reason = ready.reason;
  if (ready.message) c.message = ready.message;
  return c;
}

/** Appends {phase, now} unless the phase is already listed (controller.SetVMIPhaseTransitionTimestamp). */
export function withTransition(obj: KubeObject, phase: string): Array<{ phase: string; phaseTransitionTimestamp: string }> {
  const list = (obj.status?.phaseTransitionTimestamps ?? []) as Array<{ phase: string; phaseTransitionTimestamp: string }>;
  if (list.some((t) => t.phase === phase)) return list;
  return [...list, { phase, phaseTransitionTimestamp: kubeNow() }];
}
