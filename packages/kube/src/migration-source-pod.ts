import type { KubeObject } from './object.ts';

interface MigrationState {
  migrationUid?: string;
  sourcePod?: string;
}

/**
 * Older KubeVirt (v0.59) does not name a migration's source pod; the watcher names it on the VMIs it
 * publishes (`status.migrationState.sourcePod`). An agent that continues from its own write's
 * answer gets the API server's version, without that name: this keeps it, for the same migration.
 */
export function keepMigrationSourcePod(prev: KubeObject, next: KubeObject): KubeObject {
  const before = prev.status?.migrationState as MigrationState | null | undefined;
  const after = next.status?.migrationState as MigrationState | null | undefined;
  if (!before?.sourcePod || !after || after.sourcePod || after.migrationUid !== before.migrationUid) return next;
  return { ...next, status: { ...next.status, migrationState: { ...after, sourcePod: before.sourcePod } } };
}
