import { PODS, collectionPath, type KubeObject } from '@virtsim/kube';
import type { ControllerContext } from '../context.ts';
import { ownerVmiUid } from '../pod-index.ts';

const CREATED_BY = 'kubevirt.io/created-by';
const JOB_UID_LABEL = 'kubevirt.io/migrationJobUID';

/** The launcher pod of a VMI: made by its VMI controller, no migration's target. */
export const launcherPodSelector = (vmiUid: string): string => `${CREATED_BY}=${vmiUid},!${JOB_UID_LABEL}`;

/** The target pod of one migration of a VMI. */
export const targetPodSelector = (vmiUid: string, migrationUid: string): string => `${CREATED_BY}=${vmiUid},${JOB_UID_LABEL}=${migrationUid}`;

/**
 * The Writer's find() for a launcher or target pod create (generateName): after an attempt whose
 * answer was lost, the pod that attempt may have made, asked of the API server (the informer may
 * not have it yet) and owned by the VMI, so the create is adopted instead of made twice, as
 * virt-controller's expectations and pod informer keep it from creating a second pod.
 */
export async function findCreatedPod(ctx: ControllerContext, namespace: string | undefined, vmiUid: string, selector: string): Promise<KubeObject | undefined> {
  const list = await ctx.client.request<{ items?: KubeObject[] }>({
    method: 'GET',
    path: collectionPath(PODS, namespace),
    query: { labelSelector: selector },
  });
  const owned = (list.items ?? []).filter((p) => ownerVmiUid(p) === vmiUid);
  return owned.sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''))[0];
}
