import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { formatFieldError } from './errors.ts';
import { checkStructuralSchema, compileSchema } from './structural-schema.ts';
import type { OpenAPISchema } from './structural-schema.ts';
import { referenceDir } from '@virtsim/testkit/reference';

const REF = referenceDir();
const KV_CRDS = join(REF, 'kubevirt/crds');
const KV_EXAMPLES = join(REF, 'kubevirt/examples');
const KWOK_CRDS = join(REF, 'kwok/crds');

type Crd = { spec: { names: { kind: string }; versions: Array<{ name: string; schema: { openAPIV3Schema: OpenAPISchema } }> } };
const loadCrds = (dir: string): Crd[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => parseYaml(readFileSync(join(dir, f), 'utf8'), { maxAliasCount: -1 }) as Crd);

const msgs = (errs: ReturnType<ReturnType<typeof compileSchema>['validate']>): string[] => errs.map(formatFieldError);

describe.skipIf(!existsSync(KV_CRDS))('real CRDs', () => {
  const kv = loadCrds(KV_CRDS);
  const schemaFor = (kind: string) => compileSchema(kv.find((c) => c.spec.names.kind === kind)!.spec.versions.find((v) => v.name === 'v1')!.schema.openAPIV3Schema);
  const vmiSchema = schemaFor('VirtualMachineInstance');

  it('KubeVirt and KWOK CRD schemas are structural', () => {
    const crds = [...kv, ...(existsSync(KWOK_CRDS) ? loadCrds(KWOK_CRDS) : [])];
    expect(crds.length).toBeGreaterThan(3);
    for (const crd of crds) {
      crd.spec.versions.forEach((v, i) => {
        const path = `spec.versions[${i}].schema.openAPIV3Schema`;
        expect([crd.spec.names.kind, checkStructuralSchema(v.schema.openAPIV3Schema, path).map(formatFieldError)]).toEqual([crd.spec.names.kind, []]);
      });
    }
  });

  it('every KubeVirt example validates after pruning and defaulting', () => {
    let n = 0;
    for (const f of readdirSync(KV_EXAMPLES)) {
      for (const doc of parseAllDocuments(readFileSync(join(KV_EXAMPLES, f), 'utf8'))) {
        const obj = doc.toJS() as { kind: string };
        if (!obj) continue;
        const s = schemaFor(obj.kind);
        const admitted = s.admit(obj as Record<string, unknown>);
        expect([f, admitted.unknownFields, msgs(admitted.errors)]).toEqual([f, [], []]);
        const pruned = s.prune(obj);
        s.applyDefaults(obj);
        expect([f, pruned, msgs(s.validate(obj))]).toEqual([f, [], []]);
        n++;
      }
    }
    expect(n).toBeGreaterThanOrEqual(5);
  });

  const fedora = (): Record<string, any> => parseYaml(readFileSync(join(KV_EXAMPLES, 'vmi-fedora.yaml'), 'utf8'));

  it('refuses spec.domain.cpu.cores: "x" with the field path and kube-apiserver text', () => {
    const vmi = fedora();
    vmi.spec.domain.cpu = { cores: 'x' };
    expect(msgs(vmiSchema.validate(vmi))).toEqual([
      'spec.domain.cpu.cores: Invalid value: "string": spec.domain.cpu.cores in body must be of type integer: "string"',
    ]);
  });

  it('refuses a VirtualMachine with spec.running: "string" and an unsupported enum value', () => {
    const vm = parseYaml(readFileSync(join(KV_EXAMPLES, 'vm-cirros.yaml'), 'utf8'));
    vm.spec.running = 'string';
    expect(msgs(schemaFor('VirtualMachine').validate(vm))).toEqual([
      'spec.running: Invalid value: "string": spec.running in body must be of type boolean: "string"',
    ]);
    const vmi = fedora();
    vmi.spec.domain.rebootPolicy = 'Sometimes';
    expect(msgs(vmiSchema.validate(vmi))).toEqual(['spec.domain.rebootPolicy: Unsupported value: "Sometimes": supported values: "Reboot", "Terminate"']);
  });

  it('enforces the CRD x-kubernetes-validations rules (CEL) with their messages', () => {
    const vmi = fedora();
    vmi.spec.volumes.push({ name: 'cp', containerPath: { path: 'relative/../x', readOnly: false } });
    expect(msgs(vmiSchema.validate(vmi))).toEqual([
      `spec.volumes[2].containerPath.path: Invalid value: "string": path must be absolute (start with '/')`,
      `spec.volumes[2].containerPath.path: Invalid value: "string": path must not contain '..'`,
      'spec.volumes[2].containerPath.readOnly: Invalid value: "boolean": readOnly must be true, write access is not supported',
    ]);
    vmi.spec.volumes[2].containerPath = { path: '/mnt/data', readOnly: true };
    expect(msgs(vmiSchema.validate(vmi))).toEqual([]);
  });

  it('reports a missing required field and a bad int-or-string quantity', () => {
    const vmi = fedora();
    delete vmi.spec.domain;
    expect(msgs(vmiSchema.validate(vmi))).toEqual(['spec.domain: Required value']);
    const vmi2 = fedora();
    vmi2.spec.domain.memory.guest = '1 GB';
    expect(msgs(vmiSchema.validate(vmi2))[0]).toMatch(/^spec\.domain\.memory\.guest: Invalid value: "1 GB": spec\.domain\.memory\.guest in body should match '\^\(\\\+\|-\)\?/);
    vmi2.spec.domain.memory.guest = true;
    expect(msgs(vmiSchema.validate(vmi2))).toEqual([
      'spec.domain.memory.guest: Invalid value: "": "spec.domain.memory.guest" must validate at least one schema (anyOf)',
      'spec.domain.memory.guest: Invalid value: "boolean": spec.domain.memory.guest in body must be of type integer: "boolean"',
    ]);
  });

  it('prunes unknown fields and keeps metadata, reporting what it dropped', () => {
    const vmi = fedora();
    vmi.spec.domain.bogus = 1;
    vmi.spec.volumes[0].containerDisk.extra = 'x';
    vmi.metadata.notAMetaField = true;
    vmi.status = { phase: 'Running', nope: 1 };
    expect(vmiSchema.prune(vmi).sort()).toEqual(['metadata.notAMetaField', 'spec.domain.bogus', 'spec.volumes[0].containerDisk.extra', 'status.nope']);
    expect(vmi.spec.domain.bogus).toBeUndefined();
    expect(vmi.metadata).toEqual({ labels: { special: 'vmi-fedora' }, name: 'vmi-fedora' });
    expect(vmi.status).toEqual({ phase: 'Running' });
  });

  it('gives derived list types for server-side apply', () => {
    const ps = vmiSchema.patchSchema;
    expect(ps.fields!.spec!.fields!.volumes!.listType).toBeDefined();
  });
});

describe('compileSchema keywords', () => {
  const s = compileSchema({
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        required: ['name'],
        properties: {
          name: { type: 'string', minLength: 2, maxLength: 5, pattern: '^[a-z]+$' },
          mode: { type: 'string', enum: ['Always', 'Halted'] },
          count: { type: 'integer', minimum: 1, maximum: 10, format: 'int32' },
          ratio: { type: 'number', exclusiveMaximum: true, maximum: 1 },
          on: { type: 'boolean', default: true },
          when: { type: 'string', format: 'date-time' },
          tags: { type: 'array', items: { type: 'string' }, maxItems: 2, minItems: 1, 'x-kubernetes-list-type': 'set' },
          ports: {
            type: 'array',
            'x-kubernetes-list-type': 'map',
            'x-kubernetes-list-map-keys': ['name'],
            items: { type: 'object', properties: { name: { type: 'string' }, port: { type: 'integer', default: 80 } } },
          },
          labels: { type: 'object', additionalProperties: { type: 'string' }, maxProperties: 2 },
          free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          maybe: { type: 'string', nullable: true },
          size: { 'x-kubernetes-int-or-string': true },
          one: { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } }, oneOf: [{ required: ['a'] }, { required: ['b'] }] },
          tpl: {
            type: 'object',
            'x-kubernetes-embedded-resource': true,
            properties: { spec: { type: 'object', properties: { x: { type: 'string' } } } },
          },
        },
      },
    },
  });
  const v = (spec: Record<string, unknown>) => msgs(s.validate({ apiVersion: 'x/v1', kind: 'X', metadata: { name: 'a' }, spec: { name: 'ab', ...spec } }));

  it('accepts a valid object', () => {
    expect(
      v({
        mode: 'Always',
        count: 3,
        ratio: 0.5,
        when: '2024-01-01T00:00:00Z',
        tags: ['a'],
        ports: [{ name: 'a' }, { name: 'b' }],
        labels: { a: 'b' },
        free: { anything: [1] },
        maybe: null,
        size: '10Gi',
        one: { a: 'x' },
        tpl: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { x: 'y' } },
      }),
    ).toEqual([]);
  });
  it('words each failure as kube-apiserver does', () => {
    expect(v({ name: 'ABCDEF' })).toEqual([
      'spec.name: Too long: may not be longer than 5',
      `spec.name: Invalid value: "ABCDEF": spec.name in body should match '^[a-z]+$'`,
    ]);
    expect(v({ name: 'a' })).toEqual(['spec.name: Invalid value: "a": spec.name in body should be at least 2 chars long']);
    expect(v({ mode: 'Sometimes' })).toEqual(['spec.mode: Unsupported value: "Sometimes": supported values: "Always", "Halted"']);
    expect(v({ count: 0 })).toEqual(['spec.count: Invalid value: 0: spec.count in body should be greater than or equal to 1']);
    expect(v({ count: 11 })).toEqual(['spec.count: Invalid value: 11: spec.count in body should be less than or equal to 10']);
    expect(v({ count: 1.5 })).toEqual(['spec.count: Invalid value: "number": spec.count in body must be of type integer: "number"']);
    expect(v({ ratio: 1 })).toEqual(['spec.ratio: Invalid value: 1: spec.ratio in body should be less than 1']);
    expect(v({ when: 'yesterday' })).toEqual(['spec.when: Invalid value: "yesterday": spec.when in body must be of type date-time: "yesterday"']);
    expect(v({ tags: ['a', 'b', 'c'] })).toEqual(['spec.tags: Too many: 3: must have at most 2 items']);
    expect(v({ tags: [] })).toEqual(['spec.tags: Invalid value: 0: spec.tags in body should have at least 1 items']);
    expect(v({ tags: ['a', 'a'] })).toEqual(['spec.tags[1]: Duplicate value: "a"']);
    expect(v({ ports: [{ name: 'a' }, { name: 'a', port: 1 }] })).toEqual(['spec.ports[1]: Duplicate value: map[string]interface {}{"name":"a"}']);
    expect(v({ labels: { a: 1 } })).toEqual(['spec.labels.a: Invalid value: "integer": spec.labels.a in body must be of type string: "integer"']);
    expect(v({ labels: { a: 'x', b: 'y', c: 'z' } })).toEqual(['spec.labels: Too many: 3: must have at most 2 items']);
    expect(v({ one: { a: 'x', b: 'y' } })).toEqual([
      'spec.one: Invalid value: "": "spec.one" must validate one and only one schema (oneOf). Found 2 valid alternatives',
    ]);
    expect(v({ tpl: { spec: {} } })).toEqual(['spec.tpl.apiVersion: Required value: must not be empty', 'spec.tpl.kind: Required value: must not be empty']);
    expect(v({ name: undefined })).toEqual(['spec.name: Required value']);
    expect(v({ mode: null })).toEqual(['spec.mode: Invalid value: "null": spec.mode in body must be of type string: "null"']);
  });
  it('prunes, keeping preserve-unknown-fields subtrees and embedded type/object meta', () => {
    const obj: Record<string, any> = {
      apiVersion: 'x/v1',
      kind: 'X',
      metadata: { name: 'a' },
      spec: { name: 'ab', junk: 1, free: { keep: { deep: 1 } }, tpl: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', junk: 1 }, spec: { x: 'y', junk: 2 } }, mode: null },
      extra: true,
    };
    expect(s.prune(obj).sort()).toEqual(['extra', 'spec.junk', 'spec.tpl.metadata.junk', 'spec.tpl.spec.junk']);
    expect(obj).toEqual({
      apiVersion: 'x/v1',
      kind: 'X',
      metadata: { name: 'a' },
      spec: { name: 'ab', free: { keep: { deep: 1 } }, tpl: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { x: 'y' } } },
    });
  });
  it('applies defaults, also inside list items', () => {
    const obj: Record<string, any> = { spec: { name: 'ab', ports: [{ name: 'a' }, { name: 'b', port: 1 }] } };
    s.applyDefaults(obj);
    expect(obj.spec.on).toBe(true);
    expect(obj.spec.ports).toEqual([{ name: 'a', port: 80 }, { name: 'b', port: 1 }]);
  });
});

describe('checkStructuralSchema', () => {
  const P = 'spec.versions[0].schema.openAPIV3Schema';
  const check = (schema: unknown) => checkStructuralSchema(schema, P).map(formatFieldError);
  it('refuses a field without a type', () => {
    expect(check({ type: 'object', properties: { spec: { properties: { x: { type: 'string' } } } } })).toEqual([
      `${P}.properties[spec].type: Required value: must not be empty for specified object fields`,
    ]);
    expect(check({ type: 'object', properties: { l: { type: 'array', items: {} } } })).toEqual([
      `${P}.properties[l].items.type: Required value: must not be empty for specified array items`,
    ]);
    expect(check({ properties: {} })).toEqual([`${P}.type: Required value: must not be empty at the root`]);
  });
  it('refuses unsupported types, arrays without items and non-object roots', () => {
    expect(check({ type: 'object', properties: { a: { type: 'float' } } })).toEqual([
      `${P}.properties[a].type: Unsupported value: "float": supported values: "array", "boolean", "integer", "number", "object", "string"`,
    ]);
    expect(check({ type: 'object', properties: { a: { type: 'array' } } })).toEqual([`${P}.properties[a].items: Required value: must be specified`]);
    expect(check({ type: 'string' })).toEqual([`${P}.type: Invalid value: "string": must be object at the root`]);
  });
  it('refuses types inside anyOf except the int-or-string pattern, and metadata restrictions', () => {
    expect(check({ type: 'object', properties: { a: { type: 'string', anyOf: [{ type: 'string' }] } } })).toEqual([
      `${P}.properties[a].anyOf[0].type: Forbidden: must be empty to be structural`,
    ]);
    expect(check({ type: 'object', properties: { a: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] } } })).toEqual([]);
    expect(check({ type: 'object', properties: { metadata: { type: 'object', properties: { labels: { type: 'object' } } } } })).toEqual([
      `${P}.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified`,
    ]);
    expect(check({ type: 'object', properties: { a: { type: 'object', properties: { b: { type: 'string' } }, additionalProperties: { type: 'string' } } } })).toEqual([
      `${P}.properties[a].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive`,
    ]);
  });
  it('requires list-map-keys for list-type map', () => {
    expect(check({ type: 'object', properties: { a: { type: 'array', items: { type: 'object' }, 'x-kubernetes-list-type': 'map' } } })).toEqual([
      `${P}.properties[a].x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map`,
    ]);
  });
});

describe('CompiledSchema.admit', () => {
  const s = compileSchema({
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          a: { type: 'object', properties: { x: { type: 'string' } } },
          b: { type: 'object', properties: { y: { type: 'integer', default: 1 } } },
          n: { type: 'string' },
          items: { type: 'array', items: { type: 'object', properties: { k: { type: 'string' }, d: { type: 'boolean', default: false } } } },
        },
      },
    },
  });
  it('prunes and defaults without mutating the input, sharing untouched subtrees', () => {
    const input = { apiVersion: 'x/v1', kind: 'X', metadata: { name: 'a', junk: 1 }, spec: { a: { x: 's' }, b: {}, n: null, extra: 1, items: [{ k: 'a' }] } };
    const before = JSON.stringify(input);
    const r = s.admit(input);
    expect(JSON.stringify(input)).toBe(before);
    expect(r.object).toEqual({ apiVersion: 'x/v1', kind: 'X', metadata: { name: 'a' }, spec: { a: { x: 's' }, b: { y: 1 }, items: [{ k: 'a', d: false }] } });
    expect(r.unknownFields.sort()).toEqual(['metadata.junk', 'spec.extra']);
    expect(r.errors).toEqual([]);
    expect((r.object.spec as Record<string, unknown>).a).toBe(input.spec.a);
  });
  it('returns the same object when nothing changes and reports validation errors', () => {
    const input = { spec: { a: { x: 's' }, b: { y: 2 } } };
    const r = s.admit(input);
    expect(r.object).toBe(input);
    expect(s.admit({ spec: { a: { x: 1 } } }).errors.map(formatFieldError)).toEqual([
      'spec.a.x: Invalid value: "integer": spec.a.x in body must be of type string: "integer"',
    ]);
  });
});
