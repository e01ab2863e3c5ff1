/**
 * KubeVirt's virt-api admission for VirtualMachineInstances, which exists because VMIs have no
 * status subresource (pkg/virt-api/webhooks): on UPDATE by anyone but KubeVirt's service accounts,
 * the mutating webhook silently puts the old status back, and the validating webhook refuses spec
 * changes and changes to the reserved kubevirt.io/ labels. On CREATE, reserved labels are refused.
 */
import type { UserInfo } from './auth.ts';
import { deepEqual, type ObjectHooks } from './objects.ts';
import type { ResourceType } from './resources.ts';
import { StatusError } from './status.ts';

type Obj = Record<string, any>;

export const KUBEVIRT_NAMESPACE = 'kubevirt';

/** pkg/virt-api/webhooks/serviceaccounts.go */
export const KUBEVIRT_SERVICE_ACCOUNTS = new Set(
  ['kubevirt-apiserver', 'kubevirt-controller', 'kubevirt-handler', 'kubevirt-synchronization-controller'].map(
    (n) => `system:serviceaccount:${KUBEVIRT_NAMESPACE}:${n}`,
  ),
);

/** restrictedVmiLabels, vmi-create-admitter.go */
export const RESTRICTED_VMI_LABELS = [
  'kubevirt.io/created-by',
  'kubevirt.io/migrationJobUID',
  'kubevirt.io/nodeName',
  'kubevirt.io/migrationTargetNodeName',
  'kubevirt.io/schedulable',
  'kubevirt.io/install-strategy',
];

function restricted(labels: Obj | undefined): Obj {
  const out: Obj = {};
  for (const k of RESTRICTED_VMI_LABELS) if (labels && labels[k] !== undefined) out[k] = labels[k];
  return out;
}

function denied(webhook: string, message: string, field?: string): StatusError {
  const cause: Obj = { reason: 'FieldValueNotSupported', message };
  if (field) cause.field = field;
  return new StatusError(422, 'Invalid', `admission webhook "${webhook}" denied the request: ${message}`, { causes: [cause as never] });
}

export function isKubeVirtServiceAccount(user: UserInfo): boolean {
  return KUBEVIRT_SERVICE_ACCOUNTS.has(user.username);
}

export const kubevirtAdmission: ObjectHooks = {
  admit(op, rt: ResourceType, obj: Obj, old: Obj | null, user: UserInfo) {
    if (rt.group !== 'kubevirt.io' || rt.kind !== 'VirtualMachineInstance') return;
    if (isKubeVirtServiceAccount(user)) return;
    if (op === 'CREATE') {
      if (Object.keys(restricted(obj.metadata?.labels)).length)
        throw denied('virtualmachineinstances-create-validator.kubevirt.io', 'creation of the following reserved kubevirt.io/ labels on a VMI object is prohibited', 'metadata.labels');
      return;
    }
    if (!old) return;
    // Mutating webhook: "Ignore status updates if they are not coming from our service accounts".
    if (!deepEqual(obj.status, old.status)) {
      if (old.status === undefined) delete obj.status;
      else obj.status = old.status;
    }
    if (!deepEqual(obj.spec, old.spec))
      throw denied('virtualmachineinstances-update-validator.kubevirt.io', 'update of VMI object is restricted');
    if (!deepEqual(restricted(obj.metadata?.labels), restricted(old.metadata?.labels)))
      throw denied('virtualmachineinstances-update-validator.kubevirt.io', 'modification of the following reserved kubevirt.io/ labels on a VMI object is prohibited');
  },
};
