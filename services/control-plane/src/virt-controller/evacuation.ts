import { objectKey, type KubeObject } from '@virtsim/kube';
import { isMigratable } from '../virt-api/eviction-admitter.ts';

/** KubeVirt's defaults (MigrationConfiguration): parallelMigrationsPerCluster, parallelOutboundMigrationsPerNode. */
export const PARALLEL_MIGRATIONS_PER_CLUSTER = 5;
export const PARALLEL_OUTBOUND_MIGRATIONS_PER_NODE = 2;

/** virtv1.EvacuationMigrationAnnotation: marks the migrations the evacuation controller made (value: the node). */
export const EVACUATION_ANNOTATION = 'kubevirt.io/evacuationMigration';

const FINAL = new Set(['Succeeded', 'Failed']);
export const isFinalMigration = (m: KubeObject): boolean => FINAL.has(m.status?.phase);

export interface EvacuationInput {
  node: string;
  /** VMIs whose status.evacuationNodeName is this node. */
  marked: KubeObject[];
  /** Every unfinished migration in the cluster (not admitted yet included). */
  active: KubeObject[];
  /** The VMI a migration moves. */
  vmiOf(m: KubeObject): KubeObject | undefined;
  /**
   * Migrations just created and not in the cache yet, by VMI key and source node: they take their
   * spots (KubeVirt's expectations), or a burst of syncs would overrun the limits.
   */
  inFlight: Map<string, string>;
}

export interface EvacuationPlan {
  /** VMIs to create an evacuation migration for, within the free spots. */
  migrate: KubeObject[];
  /** VMIs that left the node: their mark is spent. */
  clear: KubeObject[];
  /** Candidates waited on: no free spot (KubeVirt looks again 5 s later). */
  waiting: number;
}

/**
 * pkg/virt-controller/watch/drain/evacuation: the VMIs marked for evacuation from a node that still
 * run there, migratable and not migrating, get a migration each, as far as the parallel limits
 * allow (free = min(5 - active in cluster, 2 - active out of this node)).
 */
export function planEvacuation(i: EvacuationInput): EvacuationPlan {
  const migrating = new Set<string>();
  let outbound = 0;
  for (const m of i.active) {
    migrating.add(`${m.metadata.namespace}/${m.spec?.vmiName}`);
    if (i.vmiOf(m)?.status?.nodeName === i.node) outbound++;
  }
  let active = i.active.length;
  for (const [key, node] of i.inFlight) {
    if (migrating.has(key)) continue;
    migrating.add(key);
    active++;
    if (node === i.node) outbound++;
  }
  const clear: KubeObject[] = [];
  const candidates: KubeObject[] = [];
  for (const vmi of i.marked) {
    const key = objectKey(vmi);
    if (migrating.has(key)) continue;
    if (vmi.status?.nodeName !== i.node || FINAL.has(vmi.status?.phase)) {
      clear.push(vmi);
      continue;
    }
    if (vmi.metadata.deletionTimestamp || vmi.status?.phase !== 'Running' || !isMigratable(vmi) || vmi.spec?.evictionStrategy === 'External') continue;
    candidates.push(vmi);
  }
  const free = Math.min(PARALLEL_MIGRATIONS_PER_CLUSTER - active, PARALLEL_OUTBOUND_MIGRATIONS_PER_NODE - outbound);
  const migrate = free > 0 ? candidates.slice(0, free) : [];
  return { migrate, clear, waiting: candidates.length - migrate.length };
}

/** The migration the evacuation controller creates (GenerateNewMigration). */
export function evacuationMigration(vmi: KubeObject, node: string): Record<string, unknown> {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstanceMigration',
    metadata: { generateName: 'kubevirt-evacuation-', namespace: vmi.metadata.namespace, annotations: { [EVACUATION_ANNOTATION]: node } },
    spec: { vmiName: vmi.metadata.name },
  };
}
