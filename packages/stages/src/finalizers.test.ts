import { describe, expect, it } from 'vitest';
import { finalizerOps } from './finalizers.ts';

describe('finalizerOps (KWOK finalizers.go)', () => {
  it('empty removes the whole field when there are finalizers', () => {
    expect(finalizerOps(['a', 'b'], { empty: true })).toEqual([{ op: 'remove', path: '/metadata/finalizers' }]);
    expect(finalizerOps([], { empty: true })).toEqual([]);
  });
  it('remove drops matching entries highest index first', () => {
    expect(finalizerOps(['a', 'b', 'c'], { remove: [{ value: 'a' }, { value: 'c' }] })).toEqual([
      { op: 'remove', path: '/metadata/finalizers/2' },
      { op: 'remove', path: '/metadata/finalizers/0' },
    ]);
  });
  it('removing every finalizer removes the field', () => {
    expect(finalizerOps(['a'], { remove: [{ value: 'a' }] })).toEqual([{ op: 'remove', path: '/metadata/finalizers' }]);
  });
  it('add appends only missing ones, or sets the list when there is none', () => {
    expect(finalizerOps(['a'], { add: [{ value: 'a' }, { value: 'b' }] })).toEqual([{ op: 'add', path: '/metadata/finalizers/-', value: 'b' }]);
    expect(finalizerOps([], { add: [{ value: 'x' }] })).toEqual([{ op: 'add', path: '/metadata/finalizers', value: ['x'] }]);
  });
  it('empty then add replaces the list', () => {
    expect(finalizerOps(['a'], { empty: true, add: [{ value: 'x' }] })).toEqual([
      { op: 'remove', path: '/metadata/finalizers' },
      { op: 'add', path: '/metadata/finalizers', value: ['x'] },
    ]);
  });
});
