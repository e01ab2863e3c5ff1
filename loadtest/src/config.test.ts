import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, resolveConfig } from './config.ts';

const dir = mkdtempSync(join(tmpdir(), 'loadtest-config-'));
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

describe('resolveConfig', () => {
  it('defaults to a density run of the KubeVirt density VMI: create, wait, cleanup', () => {
    const c = resolveConfig({}, {});
    expect(c.template.kind).toBe('VirtualMachineInstance');
    expect(c.template.object.spec.domain.resources.requests).toEqual({ cpu: '100m', memory: '90Mi' });
    expect(c.phases.map((p) => p.kind)).toEqual(['create', 'wait', 'cleanup']);
    expect([c.count, c.qps, c.burst]).toEqual([100, 20, 20]);
  });

  it('reads every phase with its settings, and flags override the file', () => {
    const c = resolveConfig(
      { count: 10, rate: 5, phases: ['create', { wait: { timeout: '1m' } }, { churn: { percent: 20, rate: 2, duration: '10s' } }, 'migrate', { 'node-failure': { percent: 1 } }, 'delete', 'cleanup'], thresholds: ['VMIRunning:P99<2s'] },
      { count: 50, thresholds: ['VMIScheduled:P50<1s'] },
    );
    expect(c.count).toBe(50);
    expect(c.qps).toBe(5);
    expect(c.phases[1]).toEqual({ kind: 'wait', timeoutMs: 60_000 });
    expect(c.phases[2]).toEqual({ kind: 'churn', percent: 20, qps: 2, durationMs: 10_000, timeoutMs: 300_000 });
    expect(c.thresholds.map((t) => t.text)).toEqual(['VMIRunning:P99<2s', 'VMIScheduled:P50<1s']);
  });

  it.each([
    [{ rate: 0 }, {}, 'rate: must be > 0, got 0'],
    [{}, { rate: -1 }, 'rate: must be > 0, got -1'],
    [{ count: 1.5 }, {}, 'count: expected an integer, got 1.5'],
    [{ speed: 3 }, {}, 'speed: unknown field'],
    [{ phases: ['create', 'explode'] }, {}, 'phases[1]: unknown phase "explode"'],
    [{ phases: ['wait'] }, {}, 'phases[0]: the first phase must be create'],
    [{ phases: ['create', { churn: { percent: 150 } }] }, {}, 'phases[1].churn.percent: must be <= 100, got 150'],
    [{ phases: ['create', { wait: { timeout: 'later' } }] }, {}, 'phases[1].wait.timeout: expected a duration'],
    [{ phases: ['create', 'stop'] }, {}, 'phases[1]: stop needs a VirtualMachine template'],
    [{ template: 'pod' }, {}, 'template pod: cannot read it'],
    [{ thresholds: ['VMIRunning:P99'] }, {}, 'thresholds[0]: threshold "VMIRunning:P99"'],
  ])('refuses %j %j: %s', (fileCfg, flags, message) => {
    expect(() => resolveConfig(fileCfg as Record<string, unknown>, flags)).toThrow(message);
  });

  it('refuses a template of another kind, naming the file and the kind', () => {
    const t = file('pod.yaml', 'apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec: {}\n');
    expect(() => resolveConfig({ template: t }, {})).toThrow(`template ${t}: kind "Pod" is not VirtualMachineInstance or VirtualMachine`);
  });

  it('takes a VirtualMachine template from a file beside the config', () => {
    file('my-vm.yaml', 'apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata: {name: ignored, namespace: ignored}\nspec:\n  runStrategy: Always\n  template: {spec: {domain: {devices: {}}}}\n');
    const c = loadConfig(file('vm-run.yaml', 'template: my-vm.yaml\nphases: [create, wait, stop]\n'), {});
    expect(c.template.kind).toBe('VirtualMachine');
    expect(c.template.object.metadata).toEqual({ name: '' });
    expect(c.phases.map((p) => p.kind)).toEqual(['create', 'wait', 'stop']);
  });

  it('names the file and line of a YAML syntax error', () => {
    const f = file('broken.yaml', 'count: 10\nphases: [create, wait\nrate: 5\n');
    expect(() => loadConfig(f, {})).toThrow(new RegExp(`^config ${f.replace(/[.]/g, '\\.')}:\\d+: `));
  });
});
