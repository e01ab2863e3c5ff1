import { describe, expect, it } from 'vitest';
import { formatFieldError } from './errors.ts';
import {
  NAME_SUFFIX_ALPHABET,
  generateName,
  generateNameSuffix,
  validateAnnotations,
  validateDnsLabel,
  validateDnsSubdomain,
  validateLabels,
  validateObjectMeta,
  validateObjectMetaUpdate,
  validatePathSegmentName,
  validateQualifiedName,
} from './names.ts';

describe('DNS names', () => {
  it('accepts valid subdomains and labels', () => {
    expect(validateDnsSubdomain('vmi-fedora.example')).toEqual([]);
    expect(validateDnsLabel('default')).toEqual([]);
  });
  it('refuses upper case with the regex in the message', () => {
    expect(validateDnsSubdomain('Foo')).toEqual([
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    ]);
    expect(validateDnsLabel('a.b')).toEqual([
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    ]);
  });
  it('limits lengths', () => {
    expect(validateDnsLabel('a'.repeat(64))).toEqual(['must be no more than 63 characters']);
    expect(validateDnsSubdomain('a'.repeat(254))[0]).toBe('must be no more than 253 characters');
  });
});

describe('qualified names and labels', () => {
  it('checks prefix and name parts', () => {
    expect(validateQualifiedName('kubevirt.io/nodeName')).toEqual([]);
    expect(validateQualifiedName('/x')).toEqual(['prefix part must be non-empty']);
    expect(validateQualifiedName('a/b/c')[0]).toMatch(/^a qualified name must consist of .* with an optional DNS subdomain prefix and '\/' \(e.g. 'example.com\/MyName'\)$/);
    expect(validateQualifiedName('-x')).toEqual([
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    ]);
  });
  it('reports bad label keys and values at metadata.labels', () => {
    const errs = validateLabels({ ok: 'v', 'bad key': 'v', app: 'bad value' });
    expect(errs.map((e) => e.badValue)).toEqual(['bad key', 'bad value']);
    expect(formatFieldError(errs[1]!)).toMatch(/^metadata\.labels: Invalid value: "bad value": a valid label must be an empty string/);
    expect(validateLabels({ app: '' })).toEqual([]);
  });
});

describe('annotations', () => {
  it('refuses more than 256 KiB in total', () => {
    const errs = validateAnnotations({ 'kubectl.kubernetes.io/last-applied-configuration': 'x'.repeat(262144) });
    expect(errs.map(formatFieldError)).toEqual(['metadata.annotations: Too long: must have at most 262144 bytes']);
    expect(validateAnnotations({ a: 'x'.repeat(262143) })).toEqual([]);
  });
  it('checks keys case-insensitively', () => {
    expect(validateAnnotations({ 'Example.COM/Key': 'v' })).toEqual([]);
    expect(validateAnnotations({ 'a b': 'v' })).toHaveLength(1);
  });
});

describe('generated names', () => {
  it('uses 5 characters of the k8s alphabet', () => {
    for (let i = 0; i < 50; i++) {
      const s = generateNameSuffix();
      expect(s).toHaveLength(5);
      for (const c of s) expect(NAME_SUFFIX_ALPHABET).toContain(c);
    }
  });
  it('truncates the base to 58 characters', () => {
    expect(generateName('vmi-')).toMatch(/^vmi-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(generateName('x'.repeat(80))).toHaveLength(63);
  });
});

describe('validateObjectMeta', () => {
  it('requires name or generateName', () => {
    expect(validateObjectMeta({ namespace: 'default' }, { namespaced: true }).map(formatFieldError)).toEqual([
      'metadata.name: Required value: name or generateName is required',
    ]);
    expect(validateObjectMeta({ generateName: 'vmi-', namespace: 'default' }, { namespaced: true })).toEqual([]);
  });
  it('requires a namespace for namespaced kinds and forbids it otherwise', () => {
    expect(validateObjectMeta({ name: 'a' }, { namespaced: true }).map(formatFieldError)).toEqual(['metadata.namespace: Required value']);
    expect(validateObjectMeta({ name: 'n1', namespace: 'x' }, { namespaced: false }).map(formatFieldError)).toEqual([
      'metadata.namespace: Forbidden: not allowed on this type',
    ]);
  });
  it('reports an invalid name with the value', () => {
    expect(formatFieldError(validateObjectMeta({ name: 'Bad_Name', namespace: 'd' }, { namespaced: true })[0]!)).toMatch(
      /^metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/,
    );
  });
});

describe('validatePathSegmentName', () => {
  it('refuses names that cannot be a URL path segment', () => {
    expect(validatePathSegmentName('..')).toEqual(["may not be '..'"]);
    expect(validatePathSegmentName('a/b%')).toEqual(["may not contain '/'", "may not contain '%'"]);
    expect(validatePathSegmentName('vmi-1')).toEqual([]);
  });
});

describe('finalizers, owner references and immutable metadata', () => {
  it('checks finalizers and owner references on create', () => {
    const errs = validateObjectMeta(
      {
        name: 'p',
        namespace: 'd',
        finalizers: ['kubevirt.io/virtualMachineControllerFinalize', 'bad finalizer!'],
        ownerReferences: [{ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', name: 'v', uid: '' }],
      },
      { namespaced: true },
    ).map(formatFieldError);
    expect(errs[0]).toMatch(/^metadata\.finalizers: Invalid value: "bad finalizer!": name part must consist of/);
    expect(errs[1]).toBe('metadata.ownerReferences.uid: Invalid value: "": must not be empty');
    expect(errs).toHaveLength(2);
  });
  it('refuses changes to immutable fields and new finalizers during deletion', () => {
    const old = { name: 'a', uid: 'u1', deletionTimestamp: '2026-01-01T00:00:00Z', finalizers: ['x.io/f'] };
    expect(validateObjectMetaUpdate({ ...old, finalizers: [] }, old)).toEqual([]);
    expect(validateObjectMetaUpdate({ ...old, uid: 'u2', finalizers: ['x.io/f', 'y.io/g'] }, old).map(formatFieldError)).toEqual([
      'metadata.uid: Invalid value: "u2": field is immutable',
      'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"y.io/g"}',
    ]);
  });
});
