// Each Running VMI's launcher pod, from the API's own objects at the end of a chaos run: exactly
// one live pod owned by the VMI, bound to the VMI's node and Running. A create whose answer was
// lost and then retried blindly makes a second pod; a pod deleted behind a VMI's back leaves none.
import type { KubeObject } from '@virtsim/kube';

const ownerUid = (pod: KubeObject) => pod.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'VirtualMachineInstance')?.uid;

/** One line per Running VMI whose launcher pods are not exactly one Running pod on its node. */
export function launcherPodProblems(vmis: KubeObject[], pods: KubeObject[]): string[] {
  const byOwner = new Map<string, KubeObject[]>();
  for (const p of pods) {
    const uid = ownerUid(p);
    if (!uid || p.metadata.deletionTimestamp) continue;
    let list = byOwner.get(uid);
    if (!list) byOwner.set(uid, (list = []));
    list.push(p);
  }
  const problems: string[] = [];
  for (const v of vmis) {
    if (v.status?.phase !== 'Running') continue;
    const key = `${v.metadata.namespace}/${v.metadata.name}`;
    const live = byOwner.get(v.metadata.uid!) ?? [];
    if (live.length !== 1) {
      problems.push(`${key}: ${live.length} launcher pods${live.length ? ` (${live.map((p) => p.metadata.name).join(', ')})` : ''}`);
      continue;
    }
    const pod = live[0]!;
    if (pod.spec?.nodeName !== v.status.nodeName || pod.status?.phase !== 'Running')
      problems.push(`${key}: launcher pod ${pod.metadata.name} is ${pod.status?.phase ?? 'without a phase'} on ${pod.spec?.nodeName ?? 'no node'}, the VMI on ${v.status.nodeName}`);
  }
  return problems;
}
