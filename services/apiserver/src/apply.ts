/**
 * Server-side apply (application/apply-patch+yaml) and managedFields bookkeeping for ordinary
 * writes, through @virtsim/apimachinery. Conflicts with fields another manager owns answer 409.
 */
import { conflictCauses, conflictMessage, patchSchemaFor, recordUpdate, serverSideApply, type PatchSchema } from '@virtsim/apimachinery';
import { apiVersionOf, type ResourceType } from './resources.ts';
import { StatusError } from './status.ts';

type Obj = Record<string, any>;

export function listTypesOf(rt: ResourceType): PatchSchema | undefined {
  return rt.crd ? rt.crd.patchSchema : patchSchemaFor(apiVersionOf(rt), rt.kind);
}

/** Fields this endpoint may not set (status on the main resource of a kind with a status subresource). */
function resetFields(rt: ResourceType, sub: string | undefined): string[] | undefined {
  return rt.hasStatus && sub !== 'status' ? ['status'] : undefined;
}

export function applyConfiguration(rt: ResourceType, live: Obj | null, applied: Obj, manager: string, force: boolean, sub?: string): Obj {
  const r = serverSideApply({
    live: live ?? undefined,
    applied,
    manager,
    force,
    listTypes: listTypesOf(rt),
    apiVersion: apiVersionOf(rt),
    subresource: sub,
    resetFields: resetFields(rt, sub),
  });
  if (r.conflicts) {
    throw new StatusError(409, 'Conflict', conflictMessage(r.conflicts), { causes: conflictCauses(r.conflicts) });
  }
  return r.object as Obj;
}

/** managedFields of an ordinary write by `manager`. */
export function recordWrite(rt: ResourceType, oldObj: Obj | null, newObj: Obj, manager: string, sub?: string): Obj {
  return recordUpdate({
    oldObj: oldObj ?? undefined,
    newObj,
    manager,
    apiVersion: apiVersionOf(rt),
    listTypes: listTypesOf(rt),
    subresource: sub,
    resetFields: resetFields(rt, sub),
  }) as Obj;
}
