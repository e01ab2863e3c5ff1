import type { KubeObject } from '@virtsim/kube';
import { DEFAULT_CIDR, IPPools, markPodIPs, nodeHostIPs, nodePodCIDRs, releasePodIPs, type TemplateFunc } from '@virtsim/stages';

/**
 * Pod addresses of the nodes this agent simulates, one per pod UID. KWOK's PodIPsWith hands out
 * a fresh address on every call; here the same pod UID always gets the same addresses, so a
 * VMI's interface (rendered by another stage, from activePods) carries its launcher pod's IP.
 * Addresses of pods seen running are kept out of the pools (after a handover or restart) and
 * a deleted pod's go back.
 */
export class PodAddressBook {
  readonly pools = new IPPools();
  private readonly byUid = new Map<string, string[]>();
  private readonly getNode: (name: string) => KubeObject | undefined;
  private readonly fallbackIP: string;

  constructor(getNode: (name: string) => KubeObject | undefined, fallbackIP: string) {
    this.getNode = getNode;
    this.fallbackIP = fallbackIP;
  }

  get size(): number {
    return this.byUid.size;
  }

  /** A pod event: remember its addresses, or give them back when it is gone. */
  track(type: string, pod: KubeObject): void {
    const uid = pod.metadata.uid;
    const node = this.getNode(pod.spec?.nodeName);
    if (type === 'DELETED') {
      if (pod.status?.podIP) releasePodIPs(this.pools, pod, node);
      if (uid) this.byUid.delete(uid);
      return;
    }
    if (!pod.status?.podIP || pod.spec?.hostNetwork) return;
    markPodIPs(this.pools, pod, node);
    if (uid) this.byUid.set(uid, (pod.status.podIPs as Array<{ ip: string }> | undefined)?.map((p) => p.ip) ?? [pod.status.podIP]);
  }

  private nodeIPs(nodeName: string): string[] {
    const node = this.getNode(nodeName);
    const ips = node ? nodeHostIPs(node) : [];
    return ips.length ? ips : [this.fallbackIP];
  }

  podIPs(nodeName: unknown, hostNetwork: unknown, uid: unknown): string[] {
    const name = String(nodeName ?? '');
    if (hostNetwork === true) return this.nodeIPs(name);
    const key = uid ? String(uid) : '';
    const known = key ? this.byUid.get(key) : undefined;
    if (known) return known;
    const node = this.getNode(name);
    if (!node) return this.nodeIPs(name);
    const ips = nodePodCIDRs(node, DEFAULT_CIDR).map((cidr) => this.pools.pool(cidr).get());
    if (key) this.byUid.set(key, ips);
    return ips;
  }

  /** PodIPWith / PodIPsWith for the stage templates. */
  templateFuncs(): Record<string, TemplateFunc> {
    return {
      PodIPsWith: (nodeName, hostNetwork, uid) => this.podIPs(nodeName, hostNetwork, uid),
      PodIPWith: (nodeName, hostNetwork, uid) => this.podIPs(nodeName, hostNetwork, uid)[0] ?? '',
    };
  }
}
