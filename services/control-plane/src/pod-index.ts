import { objectKey, type KubeObject } from '@virtsim/kube';
import type { ObjectCache } from './object-cache.ts';

/** The VMI a pod belongs to: its controller owner reference (controller.CurrentVMIPod's rule). */
export function ownerVmiUid(pod: KubeObject): string | undefined {
  return pod.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'VirtualMachineInstance')?.uid;
}

export function ownerVmiName(pod: KubeObject): string | undefined {
  return pod.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'VirtualMachineInstance')?.name;
}

/**
 * Pods by owning VMI uid, kept from the pod watch, plus creation expectations: a pod we created
 * but have not seen yet must stop the controller from creating a second one (client-go's
 * ControllerExpectations), and expires so a lost create is retried.
 */
export class PodIndex {
  private readonly byOwner = new Map<string, Set<string>>();
  private readonly ownerOf = new Map<string, string>();
  private readonly expected = new Map<string, number>();
  private readonly pods: ObjectCache;

  constructor(pods: ObjectCache) {
    this.pods = pods;
    pods.onChange((type, pod) => this.onPod(type, pod));
  }

  /** Re-index what was listed before the index existed. */
  rebuild(): void {
    for (const p of this.pods.values()) this.onPod('ADDED', p);
  }

  private onPod(type: string, pod: KubeObject): void {
    const key = objectKey(pod);
    const uid = ownerVmiUid(pod);
    const prev = this.ownerOf.get(key);
    if (prev && (type === 'DELETED' || prev !== uid)) {
      this.byOwner.get(prev)?.delete(key);
      if (!this.byOwner.get(prev)?.size) this.byOwner.delete(prev);
      this.ownerOf.delete(key);
    }
    if (type === 'DELETED' || !uid) return;
    this.ownerOf.set(key, uid);
    let s = this.byOwner.get(uid);
    if (!s) this.byOwner.set(uid, (s = new Set()));
    s.add(key);
    const expectKey = pod.metadata.labels?.['kubevirt.io/migrationJobUID'] ?? uid;
    this.expected.delete(expectKey);
  }

  /** The pods a VMI owns, oldest first. */
  owned(vmiUid: string | undefined): KubeObject[] {
    if (!vmiUid) return [];
    const out: KubeObject[] = [];
    for (const key of this.byOwner.get(vmiUid) ?? []) {
      const p = this.pods.get(key);
      if (p && ownerVmiUid(p) === vmiUid) out.push(p);
    }
    return out.sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''));
  }

  /** `id`: the VMI uid for launcher pods, the migration uid for target pods. */
  expectCreate(id: string): void {
    this.expected.set(id, Date.now() + 30_000);
  }

  creationExpected(id: string): boolean {
    const until = this.expected.get(id);
    if (until === undefined) return false;
    if (until < Date.now()) {
      this.expected.delete(id);
      return false;
    }
    return true;
  }

  cancelExpectation(id: string): void {
    this.expected.delete(id);
  }
}
