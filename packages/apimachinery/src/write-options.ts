// Query options of writes (create / update / patch / delete), checked as kube-apiserver checks them.
// A failure is answered 422, e.g. `PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch`
// (statusErrors.invalid({ group: 'meta.k8s.io', kind: 'PatchOptions' }, '', errs)).
import type { FieldError } from './errors.ts';
import { fieldErrors } from './errors.ts';

export const FIELD_MANAGER_MAX_LENGTH = 128;

export interface WriteOptionsInput {
  fieldManager?: string;
  /** The `dryRun` query values (only `All` exists). */
  dryRun?: string[];
  fieldValidation?: string;
}

export interface PatchOptionsInput extends WriteOptionsInput {
  /** The request's Content-Type. */
  patchType: string;
  force?: boolean;
}

const APPLY_TYPES = new Set(['application/apply-patch+yaml', 'application/apply-patch+cbor']);

function validateCommon(o: WriteOptionsInput, errs: FieldError[]): void {
  const fm = o.fieldManager ?? '';
  if (fm.length > FIELD_MANAGER_MAX_LENGTH) errs.push(fieldErrors.tooLongMaxLength('fieldManager', fm, FIELD_MANAGER_MAX_LENGTH));
  if (/[\u0000-\u001f\u007f]/.test(fm)) errs.push(fieldErrors.invalid('fieldManager', fm, 'must only contain printable characters'));
  for (const d of o.dryRun ?? []) if (d !== 'All') errs.push(fieldErrors.notSupported('dryRun', o.dryRun, ['All']));
  const fv = o.fieldValidation ?? '';
  if (!['', 'Ignore', 'Warn', 'Strict'].includes(fv)) errs.push(fieldErrors.notSupported('fieldValidation', fv, ['', 'Ignore', 'Warn', 'Strict']));
}

/** CreateOptions / UpdateOptions validation. */
export function validateWriteOptions(o: WriteOptionsInput): FieldError[] {
  const errs: FieldError[] = [];
  validateCommon(o, errs);
  return errs;
}

/** PatchOptions validation: apply needs a fieldManager; force only goes with apply. */
export function validatePatchOptions(o: PatchOptionsInput): FieldError[] {
  const errs: FieldError[] = [];
  if (!APPLY_TYPES.has(o.patchType)) {
    if (o.force !== undefined) errs.push(fieldErrors.forbidden('force', 'may not be specified for non-apply patch'));
  } else if (!o.fieldManager) {
    errs.push(fieldErrors.required('fieldManager', 'is required for apply patch'));
  }
  validateCommon(o, errs);
  return errs;
}
