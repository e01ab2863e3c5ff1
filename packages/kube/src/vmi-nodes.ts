/** The fields of a VMI that say where it runs; loose, so any typed or generic copy fits. */
interface VmiPlacement {
  metadata?: { labels?: Record<string, string> };
  status?: { nodeName?: string; migrationState?: { targetNode?: string; completed?: boolean } | null } | null;
}

/** The node a VMI runs on: status.nodeName, or the kubevirt.io/nodeName label set with it. */
export function vmiNodeName(vmi: VmiPlacement): string | undefined {
  return vmi.status?.nodeName || vmi.metadata?.labels?.['kubevirt.io/nodeName'] || undefined;
}

/** The target node of the VMI's migration (set or finished), if it has one. */
export function vmiMigrationTargetNode(vmi: VmiPlacement): string | undefined {
  return vmi.status?.migrationState?.targetNode || vmi.metadata?.labels?.['kubevirt.io/migrationTargetNodeName'] || undefined;
}
