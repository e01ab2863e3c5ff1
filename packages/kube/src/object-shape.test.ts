import { describe, expect, it } from 'vitest';
import { keyOf, objectProblem } from './object-shape.ts';

const pod = (extra: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default', resourceVersion: '7', labels: { app: 'x' }, ...metadata },
  spec: { nodeName: 'node-1', containers: [] },
  ...extra,
});

describe('objectProblem', () => {
  it('accepts the objects the fleet plays', () => {
    expect(objectProblem('Pod', pod())).toBeUndefined();
    expect(objectProblem('Pod', pod({ spec: { containers: [] } }))).toBeUndefined(); // not bound yet
    const vmi = { metadata: { name: 'v', namespace: 'default' }, spec: {}, status: { nodeName: 'node-1', migrationState: { targetNode: 'node-2' } } };
    expect(objectProblem('VirtualMachineInstance', vmi)).toBeUndefined();
    expect(objectProblem('Node', { metadata: { name: 'node-1' } })).toBeUndefined();
  });

  it('names the field of an object the fleet cannot read', () => {
    expect(objectProblem('Pod', 'x')).toBe('the object is not a JSON object');
    expect(objectProblem('Pod', { kind: 'Pod' })).toBe('metadata is missing or not an object');
    expect(objectProblem('Pod', pod({}, { name: 5 }))).toBe('metadata.name is missing or not a string');
    expect(objectProblem('Pod', pod({}, { labels: { app: 5 } }))).toBe('metadata.labels["app"] is not a string');
    expect(objectProblem('Pod', pod({}, { annotations: [] }))).toBe('metadata.annotations is not an object');
    expect(objectProblem('Pod', pod({}, { resourceVersion: 7 }))).toBe('metadata.resourceVersion is not a string');
    expect(objectProblem('Pod', pod({ status: 'Running' }))).toBe('status is not an object');
    expect(objectProblem('Pod', pod({ spec: { nodeName: 42 } }))).toBe('spec.nodeName is not a string');
    expect(objectProblem('Pod', pod({ spec: { nodeName: 'n'.repeat(254) } }))).toBe('spec.nodeName is longer than 253 characters');
    expect(objectProblem('VirtualMachineInstance', { metadata: { name: 'v' }, status: { migrationState: 'x' } })).toBe('status.migrationState is not an object');
    expect(objectProblem('VirtualMachineInstance', { metadata: { name: 'v' }, status: { migrationState: { targetNode: {} } } })).toBe(
      'status.migrationState.targetNode is not a string',
    );
    expect(objectProblem('VirtualMachineInstanceMigration', { metadata: { name: 'm' }, spec: { vmiName: ['v'] } })).toBe('spec.vmiName is not a string');
  });
});

describe('keyOf', () => {
  it('names an object from whatever metadata it has', () => {
    expect(keyOf(pod())).toBe('default/p');
    expect(keyOf({ metadata: { name: 'n' } })).toBe('n');
    expect(keyOf({ metadata: { name: 5, namespace: 'ns' } })).toBe('ns/5');
    expect(keyOf(null)).toBe('(no metadata)');
  });
});
