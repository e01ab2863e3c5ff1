import { describe, expect, it } from 'vitest';
import { fieldErrors } from './errors.ts';
import { forbiddenReason, statusErrors, strictDecodingError } from './status.ts';

const PODS = { group: '', resource: 'pods' };
const VMIS = { group: 'kubevirt.io', resource: 'virtualmachineinstances' };

describe('statusErrors', () => {
  it('words NotFound, AlreadyExists and Conflict as kube-apiserver', () => {
    expect(statusErrors.notFound(VMIS, 'vmi-a')).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'virtualmachineinstances.kubevirt.io "vmi-a" not found',
      reason: 'NotFound',
      details: { name: 'vmi-a', group: 'kubevirt.io', kind: 'virtualmachineinstances' },
      code: 404,
    });
    expect(statusErrors.alreadyExists(PODS, 'p').message).toBe('pods "p" already exists');
    const c = statusErrors.conflict(PODS, 'p');
    expect([c.code, c.reason, c.message]).toEqual([
      409,
      'Conflict',
      'Operation cannot be fulfilled on pods "p": the object has been modified; please apply your changes to the latest version and try again',
    ]);
  });
  it('builds 422 Invalid with causes', () => {
    const s = statusErrors.invalid({ group: 'kubevirt.io', kind: 'VirtualMachineInstance' }, 'v', [
      fieldErrors.typeInvalid('spec.domain.cpu.cores', 'string', 'spec.domain.cpu.cores in body must be of type integer: "string"'),
    ]);
    expect(s.code).toBe(422);
    expect(s.message).toBe(
      'VirtualMachineInstance.kubevirt.io "v" is invalid: spec.domain.cpu.cores: Invalid value: "string": spec.domain.cpu.cores in body must be of type integer: "string"',
    );
    expect(s.details).toEqual({
      name: 'v',
      group: 'kubevirt.io',
      kind: 'VirtualMachineInstance',
      causes: [
        {
          reason: 'FieldValueTypeInvalid',
          message: 'Invalid value: "string": spec.domain.cpu.cores in body must be of type integer: "string"',
          field: 'spec.domain.cpu.cores',
        },
      ],
    });
  });
  it('words RBAC denials, 410, 413 and 415', () => {
    const why = forbiddenReason({ user: 'jane', verb: 'patch', resource: 'virtualmachineinstances', subresource: 'status', group: 'kubevirt.io', namespace: 'default' });
    expect(statusErrors.forbidden(VMIS, 'v', why).message).toBe(
      'virtualmachineinstances.kubevirt.io "v" is forbidden: User "jane" cannot patch resource "virtualmachineinstances/status" in API group "kubevirt.io" in the namespace "default"',
    );
    expect(statusErrors.forbidden({ group: '', resource: 'nodes' }, '', forbiddenReason({ user: 'u', verb: 'list', resource: 'nodes', group: '' })).message).toBe(
      'nodes is forbidden: User "u" cannot list resource "nodes" in API group "" at the cluster scope',
    );
    expect(statusErrors.tooOldResourceVersion(5, 10)).toMatchObject({ code: 410, reason: 'Expired', message: 'too old resource version: 5 (10)' });
    expect(statusErrors.requestEntityTooLarge('limit is 3145728')).toMatchObject({ code: 413, message: 'Request entity too large: limit is 3145728' });
    expect(statusErrors.unsupportedMediaType(['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml']).message).toBe(
      'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
    );
    expect(statusErrors.methodNotSupported(PODS, 'deletecollection').message).toBe('deletecollection is not supported on resources of kind "pods"');
  });
  it('words strict field validation failures', () => {
    expect(strictDecodingError('VirtualMachineInstance', 'v1', ['spec.foo', 'spec.bar'])).toMatchObject({
      code: 400,
      reason: 'BadRequest',
      message: 'VirtualMachineInstance in version "v1" cannot be handled as a VirtualMachineInstance: strict decoding error: unknown field "spec.foo", unknown field "spec.bar"',
    });
  });
});
