import { PODS, VMIS, type KubeObject, type WatchEventType } from '@virtsim/kube';

/**
 * Older KubeVirt (v0.59 among them) does not write `status.migrationState.sourcePod`: a VMI
 * names its launcher pods only by UID, in `status.activePods`. The stage that ends a migration
 * (vmi-migration-completed) marks the source pod by name so that its launcher exits, so the
 * watcher fills the field in on the copy it publishes, from the launcher pods it watches: the
 * source pod is the active pod on the migration's source node that is not its target pod.
 * Nothing is written to the API server.
 */
export class MigrationSourcePods {
  /** Launcher pod UID -> name (the strings are those the watcher's caches already hold). */
  private readonly launcherNames = new Map<string, string>();

  /** Launcher pods known (what the map costs). */
  get size(): number {
    return this.launcherNames.size;
  }

  /**
   * One watch event: a launcher pod is recorded (or forgotten); a VMI comes back with its source
   * pod named when there is one to name (serialized anew by the fanout), else undefined.
   */
  observe(kind: string, type: WatchEventType, obj: KubeObject): KubeObject | undefined {
    if (kind === PODS.kind) this.onPod(type, obj);
    return kind === VMIS.kind ? this.fill(obj) : undefined;
  }

  private onPod(type: WatchEventType, pod: KubeObject): void {
    const uid = pod.metadata.uid;
    if (!uid) return;
    if (type === 'DELETED') this.launcherNames.delete(uid);
    else if (pod.metadata.labels?.['kubevirt.io'] === 'virt-launcher') this.launcherNames.set(uid, pod.metadata.name);
  }

  /** The VMI with `migrationState.sourcePod` filled in, or undefined when there is nothing to fill. */
  private fill(vmi: KubeObject): KubeObject | undefined {
    const state = vmi.status?.migrationState as { sourceNode?: string; sourcePod?: string; targetPod?: string } | null | undefined;
    if (!state?.sourceNode || state.sourcePod) return undefined;
    const activePods = (vmi.status.activePods ?? {}) as Record<string, string>;
    for (const [uid, node] of Object.entries(activePods)) {
      if (node !== state.sourceNode) continue;
      const name = this.launcherNames.get(uid);
      if (name && name !== state.targetPod) return { ...vmi, status: { ...vmi.status, migrationState: { ...state, sourcePod: name } } };
    }
    return undefined;
  }
}
