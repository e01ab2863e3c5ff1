import { describe, expect, it } from 'vitest';
import { FieldSet, compareObjects, decodeManagedFields, encodeManagedFields, fieldSetOf, pathToString } from './managed-fields.ts';
import { builtinPatchSchemas } from './patch-schema.ts';

const POD = builtinPatchSchemas['v1/Pod']!;

describe('field sets', () => {
  it('computes FieldsV1 of a pod with keyed lists, sets and atomic lists', () => {
    const set = fieldSetOf(
      {
        metadata: { labels: { app: 'x' }, finalizers: ['a'] },
        spec: {
          containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 80 }], args: ['a', 'b'] }],
          nodeSelector: {},
        },
      },
      POD,
    );
    expect(set.toFieldsV1()).toEqual({
      'f:metadata': { 'f:finalizers': { 'v:"a"': {} }, 'f:labels': { 'f:app': {} } },
      'f:spec': {
        'f:containers': {
          'k:{"name":"c"}': {
            '.': {},
            'f:args': {},
            'f:image': {},
            'f:name': {},
            'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
          },
        },
        'f:nodeSelector': {},
      },
    });
  });

  it('round-trips fieldsV1 and set operations', () => {
    const v1 = { 'f:spec': { 'f:a': {}, 'f:list': { 'k:{"name":"x"}': { '.': {}, 'f:v': {} } } } };
    const s = FieldSet.fromFieldsV1(v1);
    expect(s.toFieldsV1()).toEqual(v1);
    const t = FieldSet.fromFieldsV1({ 'f:spec': { 'f:a': {} } });
    expect(s.difference(t).toFieldsV1()).toEqual({ 'f:spec': { 'f:list': { 'k:{"name":"x"}': { '.': {}, 'f:v': {} } } } });
    expect(s.intersection(t).toFieldsV1()).toEqual({ 'f:spec': { 'f:a': {} } });
    expect(s.members().map(pathToString)).toEqual(['.spec.a', '.spec.list[name="x"]', '.spec.list[name="x"].v']);
  });

  it('prints paths as kube-apiserver does in conflicts', () => {
    expect(pathToString(['f:spec', 'f:containers', 'k:{"name":"nginx"}', 'f:image'])).toBe('.spec.containers[name="nginx"].image');
    expect(pathToString(['f:spec', 'f:ports', 'k:{"containerPort":80,"protocol":"TCP"}'])).toBe('.spec.ports[containerPort=80,protocol="TCP"]');
    expect(pathToString(['f:metadata', 'f:finalizers', 'v:"a"'])).toBe('.metadata.finalizers[="a"]');
  });

  it('compares objects into added, modified and removed fields', () => {
    const c = compareObjects(
      { spec: { a: 1, b: 2, containers: [{ name: 'x', image: '1' }] } },
      { spec: { a: 1, b: 3, c: 4, containers: [{ name: 'x', image: '2' }, { name: 'y' }] } },
      POD,
    );
    expect(c.modified.members().map(pathToString)).toEqual(['.spec.b', '.spec.containers[name="x"].image']);
    expect(c.added.members().map(pathToString)).toEqual(['.spec.c', '.spec.containers[name="y"]', '.spec.containers[name="y"].name']);
    expect(c.removed.isEmpty()).toBe(true);
  });

  it('encodes entries sorted by operation, time and manager', () => {
    const managers = decodeManagedFields([
      { manager: 'b', operation: 'Update', apiVersion: 'v1', time: '2024-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:x': {} } },
      { manager: 'a', operation: 'Update', apiVersion: 'v1', time: '2024-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:y': {} } },
      { manager: 'z', operation: 'Apply', apiVersion: 'v1', time: '2025-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:z': {} } },
    ]);
    expect(encodeManagedFields(managers).map((e) => e.manager)).toEqual(['z', 'a', 'b']);
  });
});
