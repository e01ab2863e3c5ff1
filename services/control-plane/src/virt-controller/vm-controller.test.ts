import { describe, expect, it } from 'vitest';
import type { KubeObject } from '@virtsim/kube';
import { desiredAction, printableStatus, runStrategyOf } from './vm-controller.ts';

const vm = (spec: Record<string, unknown>, meta: Record<string, unknown> = {}): KubeObject => ({ metadata: { name: 'vm', ...meta }, spec });
const vmi = (phase: string, extra: Record<string, unknown> = {}): KubeObject => ({ metadata: { name: 'vm', ...extra }, status: { phase } });

describe('VM controller rules', () => {
  it('maps the deprecated running field onto runStrategy', () => {
    expect(runStrategyOf(vm({ running: true }))).toBe('Always');
    expect(runStrategyOf(vm({ running: false }))).toBe('Halted');
    expect(runStrategyOf(vm({ runStrategy: 'Manual' }))).toBe('Manual');
  });

  it('Always: creates a missing VMI and replaces a finished one', () => {
    expect(desiredAction('Always', undefined)).toBe('create');
    expect(desiredAction('Always', vmi('Running'))).toBe('none');
    expect(desiredAction('Always', vmi('Succeeded'))).toBe('delete');
    expect(desiredAction('Always', vmi('Failed'))).toBe('delete');
  });

  it('RerunOnFailure: restarts only after a failure', () => {
    expect(desiredAction('RerunOnFailure', undefined)).toBe('create');
    expect(desiredAction('RerunOnFailure', vmi('Failed'))).toBe('delete');
    expect(desiredAction('RerunOnFailure', vmi('Succeeded'))).toBe('none');
  });

  it('Halted stops, Manual leaves alone, and nothing is done while the VMI is being deleted', () => {
    expect(desiredAction('Halted', vmi('Running'))).toBe('delete');
    expect(desiredAction('Halted', undefined)).toBe('none');
    expect(desiredAction('Manual', undefined)).toBe('none');
    expect(desiredAction('Manual', vmi('Succeeded'))).toBe('none');
    expect(desiredAction('Always', vmi('Succeeded', { deletionTimestamp: 'now' }))).toBe('none');
  });

  it('prints the status kubectl shows', () => {
    expect(printableStatus(vm({}), undefined, 'Halted')).toBe('Stopped');
    expect(printableStatus(vm({}), vmi('Scheduling'), 'Always')).toBe('Starting');
    expect(printableStatus(vm({}), vmi('Running'), 'Always')).toBe('Running');
    expect(printableStatus(vm({}), vmi('Running'), 'Halted')).toBe('Stopping');
    expect(printableStatus(vm({}, { deletionTimestamp: 'now' }), vmi('Running'), 'Always')).toBe('Terminating');
    const unschedulable = { metadata: { name: 'vm' }, status: { phase: 'Scheduling', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] } };
    expect(printableStatus(vm({}), unschedulable, 'Always')).toBe('ErrorUnschedulable');
    expect(printableStatus(vm({}), { metadata: { name: 'vm' }, status: { phase: 'Running', migrationState: { completed: false } } }, 'Always')).toBe('Migrating');
  });
});
