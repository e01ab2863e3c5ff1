/**
 * virt-api's migration create admitter and mutator (migration-create-admitter.go,
 * migration-mutator.go). The API server here has no webhooks, so a refused migration cannot be
 * refused at create: it is marked Failed with the admitter's message instead.
 */
import type { KubeObject } from '@virtsim/kube';

export const MIGRATION_FINALIZER = 'kubevirt.io/migrationJobFinalize';
export const VMI_NAME_LABEL = 'kubevirt.io/vmi-name';

const FINAL = new Set(['Succeeded', 'Failed']);

export interface Rejection {
  reason: string;
  message: string;
}

/** Why the migration may not be created, or undefined when the admitter would let it through. */
export function admitMigration(vmim: KubeObject, vmi: KubeObject | undefined, migrations: Iterable<KubeObject>): Rejection | undefined {
  const ns = vmim.metadata.namespace ?? 'default';
  const vmiName: string | undefined = vmim.spec?.vmiName;
  if (!vmiName) return { reason: 'InvalidSpec', message: 'spec.vmiName: Required value' };
  if (!vmi) return { reason: 'VMINotFound', message: `the VMI "${ns}/${vmiName}" does not exist` };
  if (FINAL.has(vmi.status?.phase)) return { reason: 'VMIFinal', message: 'Cannot migrate VMI in finalized state.' };
  if (vmi.status?.phase !== 'Running') return { reason: 'VMINotRunning', message: `Cannot migrate VMI that is not running (phase ${vmi.status?.phase ?? 'unset'}).` };
  const live = ((vmi.status?.conditions ?? []) as Array<Record<string, string>>).find((c) => c.type === 'LiveMigratable');
  if (live && live.status === 'False') return { reason: 'NotLiveMigratable', message: `Cannot migrate VMI, Reason: ${live.reason}, Message: ${live.message}` };
  for (const m of migrations) {
    if (m.metadata.uid === vmim.metadata.uid || m.metadata.namespace !== ns || m.spec?.vmiName !== vmiName) continue;
    // Only migrations admitted before this one count (they carry virt-api's finalizer).
    if (!m.metadata.finalizers?.includes(MIGRATION_FINALIZER) || FINAL.has(m.status?.phase)) continue;
    return { reason: 'MigrationInProgress', message: `in-flight migration detected. Active migration job (${m.metadata.uid}) is currently already in progress for VMI ${vmiName}.` };
  }
  return undefined;
}
