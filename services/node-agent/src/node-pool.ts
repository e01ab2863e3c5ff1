import { slotOf } from '@virtsim/bus';
import { FAKE_NODE_ANNOTATION, POOL_LABEL, type KubeObject } from '@virtsim/kube';

export interface NodePoolConfig {
  name: string;
  count: number;
  /** `{i}` is replaced by the zero-padded index (default `virtsim-node-{i}`, 5 digits). */
  namePattern?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  taints?: Array<{ key: string; value?: string; effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute' }>;
  /** Node status capacity; the node stages fill status from it. */
  capacity?: Record<string, string>;
}

export const DEFAULT_POOL: NodePoolConfig = { name: 'default', count: 100 };

/**
 * The fake nodes of a pool, with the slot each hashes to, so an agent finds the nodes of its
 * slots without hashing the whole pool on every assignment.
 */
export class NodePool {
  readonly config: NodePoolConfig;
  private readonly bySlot = new Map<number, string[]>();
  /** Node name -> index in the pool (gives each node its own pod CIDR). */
  private readonly names = new Map<string, number>();

  constructor(config: NodePoolConfig) {
    if (!Number.isInteger(config.count) || config.count < 0) throw new Error(`node pool ${config.name}: count must be a non-negative integer, got ${config.count}`);
    this.config = config;
    const pattern = config.namePattern ?? 'virtsim-node-{i}';
    if (!pattern.includes('{i}')) throw new Error(`node pool ${config.name}: namePattern ${JSON.stringify(pattern)} has no {i}`);
    const width = Math.max(5, String(config.count - 1).length);
    for (let i = 0; i < config.count; i++) {
      const name = pattern.replace('{i}', String(i).padStart(width, '0'));
      this.names.set(name, i);
      const slot = slotOf(name);
      let list = this.bySlot.get(slot);
      if (!list) this.bySlot.set(slot, (list = []));
      list.push(name);
    }
  }

  has(node: string): boolean {
    return this.names.has(node);
  }

  get size(): number {
    return this.names.size;
  }

  nodesOfSlots(slots: Iterable<number>): string[] {
    const out: string[] = [];
    for (const s of slots) out.push(...(this.bySlot.get(s) ?? []));
    return out;
  }

  /** The Node object an agent registers; its status is left to the node stages. */
  nodeObject(name: string): KubeObject {
    const c = this.config;
    return {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        labels: {
          'kubernetes.io/hostname': name,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          // KubeVirt's KWOK perf lane selects fake nodes with this label.
          type: 'kwok',
          ...c.labels,
          [POOL_LABEL]: c.name,
        },
        annotations: { [FAKE_NODE_ANNOTATION]: 'fake', 'node.alpha.kubernetes.io/ttl': '0', ...c.annotations },
      },
      spec: {
        // Each node its own /24, so PodIPWith hands out addresses that differ across nodes.
        podCIDR: podCIDR(this.names.get(name) ?? 0),
        podCIDRs: [podCIDR(this.names.get(name) ?? 0)],
        ...(c.taints?.length ? { taints: c.taints } : {}),
      },
      status: c.capacity ? { capacity: c.capacity, allocatable: c.capacity } : {},
    };
  }
}

/** 10.128.0.0/24, 10.128.1.0/24, ... 10.255.255.0/24: room for 32,768 nodes. */
function podCIDR(index: number): string {
  return `10.${128 + ((index >> 8) & 127)}.${index & 255}.0/24`;
}
