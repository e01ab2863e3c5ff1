import { vmiMigrationTargetNode, vmiNodeName, type KubeObject } from '@virtsim/kube';

/** Looks a VMI up by namespace/name, for routing its migrations. */
export type VmiLookup = (namespace: string, name: string) => KubeObject | undefined;

/**
 * The node whose slot owns an object (DESIGN.md "Partition key is the node"), or undefined when
 * the object is not on a node yet and so belongs to the control plane, not to an agent.
 * A VMI and its migration go to the node the VMI runs on: one agent plays each object's stages,
 * so no transition is applied twice. The migration target's pod is routed by its own nodeName.
 */
export function partitionNode(kind: string, obj: KubeObject, lookupVmi: VmiLookup): string | undefined {
  switch (kind) {
    case 'Node':
      return obj.metadata.name;
    case 'Pod':
      return obj.spec?.nodeName || undefined;
    case 'VirtualMachineInstance':
      return vmiNodeName(obj);
    case 'VirtualMachineInstanceMigration': {
      const vmiName: string | undefined = obj.spec?.vmiName;
      if (!vmiName) return undefined;
      const vmi = lookupVmi(obj.metadata.namespace ?? 'default', vmiName);
      const source = obj.status?.migrationState?.sourceNode;
      return source || (vmi ? partitionNode('VirtualMachineInstance', vmi, lookupVmi) : undefined);
    }
    default:
      return undefined;
  }
}

/**
 * Every node whose agent plays a part in the object: its partition node and, for a VMI being
 * migrated, the migration target (whose virt-handler writes the target side of the migration;
 * the agents tell the two apart by the stages' stage.virtsim.io/handler annotation).
 */
export function partitionNodes(kind: string, obj: KubeObject, lookupVmi: VmiLookup): string[] {
  const home = partitionNode(kind, obj, lookupVmi);
  if (!home) return [];
  if (kind !== 'VirtualMachineInstance') return [home];
  const target = migrationTargetNode(obj);
  return target && target !== home ? [home, target] : [home];
}

/** The target node of a VMI's migration in progress, if any. */
function migrationTargetNode(vmi: KubeObject): string | undefined {
  return vmi.status?.migrationState?.completed ? undefined : vmiMigrationTargetNode(vmi);
}
