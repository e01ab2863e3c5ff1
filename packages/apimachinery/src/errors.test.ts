import { describe, expect, it } from 'vitest';
import { fieldErrors, formatFieldError, formatInvalidMessage, fieldErrorsToCauses, PatchError, goFloat } from './errors.ts';

describe('formatFieldError', () => {
  it('prints a CRD type error as kube-apiserver does', () => {
    expect(
      formatFieldError({ type: 'FieldValueTypeInvalid', field: 'spec.running', badValue: 'string', detail: 'spec.running in body must be of type boolean: "string"' }),
    ).toBe('spec.running: Invalid value: "string": spec.running in body must be of type boolean: "string"');
  });
  it('omits the value for Required, Forbidden and TooLong', () => {
    expect(formatFieldError(fieldErrors.required('metadata.name', 'name or generateName is required'))).toBe(
      'metadata.name: Required value: name or generateName is required',
    );
    expect(formatFieldError(fieldErrors.required('spec.domain'))).toBe('spec.domain: Required value');
    expect(formatFieldError(fieldErrors.forbidden('metadata.namespace', 'not allowed on this type'))).toBe(
      'metadata.namespace: Forbidden: not allowed on this type',
    );
    expect(formatFieldError(fieldErrors.tooLong('metadata.annotations', '', 262144))).toBe(
      'metadata.annotations: Too long: must have at most 262144 bytes',
    );
  });
  it('prints numbers, booleans, null and Unsupported values like Go', () => {
    expect(formatFieldError(fieldErrors.invalid('spec.x', 3, 'bad'))).toBe('spec.x: Invalid value: 3: bad');
    expect(formatFieldError(fieldErrors.invalid('spec.x', 1.5, 'bad'))).toBe('spec.x: Invalid value: 1.5: bad');
    expect(formatFieldError(fieldErrors.invalid('spec.x', true, 'bad'))).toBe('spec.x: Invalid value: true: bad');
    expect(formatFieldError(fieldErrors.invalid('spec.x', null, 'bad'))).toBe('spec.x: Invalid value: "null": bad');
    expect(formatFieldError(fieldErrors.notSupported('spec.runStrategy', 'Sometimes', ['Always', 'Halted']))).toBe(
      'spec.runStrategy: Unsupported value: "Sometimes": supported values: "Always", "Halted"',
    );
    expect(formatFieldError(fieldErrors.tooMany('spec.items', 5, 3))).toBe('spec.items: Too many: 5: must have at most 3 items');
  });
  it('formats floats with Go %v exponent rules', () => {
    expect(goFloat(1234567.5)).toBe('1.2345675e+06');
    expect(goFloat(0.00001)).toBe('1e-05');
    expect(goFloat(100.25)).toBe('100.25');
  });
});

describe('invalid status message', () => {
  it('names the object and joins several errors in brackets, dropping duplicates', () => {
    const e1 = fieldErrors.required('spec.domain');
    const e2 = fieldErrors.invalid('metadata.name', 'A', 'bad');
    expect(formatInvalidMessage('VirtualMachineInstance.kubevirt.io', 'vmi', [e1])).toBe(
      'VirtualMachineInstance.kubevirt.io "vmi" is invalid: spec.domain: Required value',
    );
    expect(formatInvalidMessage('Pod', 'p', [e1, e2, e1])).toBe('Pod "p" is invalid: [spec.domain: Required value, metadata.name: Invalid value: "A": bad]');
    expect(fieldErrorsToCauses([e2])).toEqual([{ reason: 'FieldValueInvalid', message: 'Invalid value: "A": bad', field: 'metadata.name' }]);
  });
});

describe('PatchError', () => {
  it('carries the HTTP code', () => {
    const e = new PatchError('x', 400);
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe(400);
    expect(new PatchError('y').code).toBe(422);
  });
});
