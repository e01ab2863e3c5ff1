import { vmiMigrationTargetNode, vmiNodeName } from '@virtsim/kube';
import type { CompiledStage, KubeObject } from '@virtsim/stages';

/** Stage annotation naming the virt-handler that writes the stage in KubeVirt. */
export const HANDLER_ANNOTATION = 'stage.virtsim.io/handler';

/** The node whose virt-handler plays `stage` for this VMI (undefined: none is known yet). */
export function handlerNode(stage: CompiledStage, vmi: KubeObject): string | undefined {
  const handler = (stage.object.metadata.annotations as Record<string, string> | undefined)?.[HANDLER_ANNOTATION];
  // The VMI's own node otherwise: its handler writes everything else, the source side of a migration included.
  return handler === 'migration-target' ? vmiMigrationTargetNode(vmi) : vmiNodeName(vmi);
}

/**
 * Which stages this agent may play: a VMI is published to the agents of its node and of its
 * migration target, and each plays only the stages whose handler's node it owns, so every
 * transition is applied by exactly one agent. Other kinds live on one node: all stages.
 */
export function eligibleStages(ownsNode: (node: string) => boolean): (stage: CompiledStage, obj: KubeObject) => boolean {
  return (stage, obj) => {
    if (obj.kind !== 'VirtualMachineInstance') return true;
    const node = handlerNode(stage, obj);
    return node !== undefined && ownsNode(node);
  };
}
