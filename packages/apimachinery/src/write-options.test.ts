import { describe, expect, it } from 'vitest';
import { formatFieldError } from './errors.ts';
import { statusErrors } from './status.ts';
import { validatePatchOptions, validateWriteOptions } from './write-options.ts';

describe('write options', () => {
  it('requires a fieldManager for apply and refuses force elsewhere, worded as kube-apiserver', () => {
    const errs = validatePatchOptions({ patchType: 'application/apply-patch+yaml' });
    expect(statusErrors.invalid({ group: 'meta.k8s.io', kind: 'PatchOptions' }, '', errs).message).toBe(
      'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
    );
    expect(validatePatchOptions({ patchType: 'application/apply-patch+yaml', fieldManager: 'kubectl', force: true })).toEqual([]);
    expect(validatePatchOptions({ patchType: 'application/merge-patch+json', force: false }).map(formatFieldError)).toEqual([
      'force: Forbidden: may not be specified for non-apply patch',
    ]);
  });
  it('checks dryRun, fieldValidation and fieldManager length', () => {
    expect(validateWriteOptions({ dryRun: ['All'], fieldValidation: 'Strict', fieldManager: 'm' })).toEqual([]);
    expect(validateWriteOptions({ dryRun: ['Some'] }).map(formatFieldError)).toEqual(['dryRun: Unsupported value: []interface {}{"Some"}: supported values: "All"']);
    expect(validateWriteOptions({ fieldValidation: 'Loud' }).map(formatFieldError)).toEqual([
      'fieldValidation: Unsupported value: "Loud": supported values: "", "Ignore", "Warn", "Strict"',
    ]);
    expect(validateWriteOptions({ fieldManager: 'x'.repeat(129) }).map(formatFieldError)).toEqual(['fieldManager: Too long: may not be longer than 128']);
  });
});
