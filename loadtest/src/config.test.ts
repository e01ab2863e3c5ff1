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
      { count: 10, rate: 5, phases: ['create', { wait: { timeout: '1m' } }, { churn: { percent: 20, rate: 2, duration: '10s' } }, 'migrate', { 'node-failure': { percent: 1 } }, 'delete', 'cleanup', { hold: { duration: '90s' } }, 'hold'], thresholds: ['VMIRunning:P99<2s'] },
      { count: 50, thresholds: ['VMIScheduled:P50<1s'] },
    );
    expect(c.count).toBe(50);
    expect(c.qps).toBe(5);
    expect(c.phases[1]).toEqual({ kind: 'wait', timeoutMs: 60_000 });
    expect(c.phases[2]).toEqual({ kind: 'churn', percent: 20, qps: 2, durationMs: 10_000, timeoutMs: 300_000 });
    expect(c.phases.slice(7)).toEqual([{ kind: 'hold', durationMs: 90_000 }, { kind: 'hold', durationMs: 60_000 }]);
    expect(c.thresholds.map((t) => t.text)).toEqual(['VMIRunning:P99<2s', 'VMIScheduled:P50<1s']);
  });

  it('reads the drain phase: a node count (default 1) or a percent, parallel, timeout, allowRealNodes', () => {
    const c = resolveConfig({ phases: ['create', 'drain', { drain: { nodes: 3, parallel: 2, timeout: '2m' } }, { drain: { percent: 25, allowRealNodes: true } }] }, {});
    expect(c.phases.slice(1)).toEqual([
      { kind: 'drain', size: { nodes: 1 }, parallel: 1, timeoutMs: 600_000, allowRealNodes: false },
      { kind: 'drain', size: { nodes: 3 }, parallel: 2, timeoutMs: 120_000, allowRealNodes: false },
      { kind: 'drain', size: { percent: 25 }, parallel: 1, timeoutMs: 600_000, allowRealNodes: true },
    ]);
  });

  it.each([
    [{ phases: ['create', { drain: { nodes: 0 } }] }, {}, 'phases[1].drain.nodes: must be >= 1, got 0'],
    [{ phases: ['create', { drain: { nodes: 2.5 } }] }, {}, 'phases[1].drain.nodes: expected an integer, got 2.5'],
    [{ phases: ['create', { drain: { percent: 0 } }] }, {}, 'phases[1].drain.percent: must be > 0, got 0'],
    [{ phases: ['create', { drain: { nodes: 2, percent: 10 } }] }, {}, 'phases[1].drain: give nodes or percent, not both'],
    [{ phases: ['create', { drain: { parallel: 0 } }] }, {}, 'phases[1].drain.parallel: must be >= 1, got 0'],
    [{ phases: ['create', { drain: { allowRealNodes: 'yes' } }] }, {}, 'phases[1].drain.allowRealNodes: expected true or false, got "yes"'],
    [{ phases: ['create', { drain: { timeout: 'soon' } }] }, {}, 'phases[1].drain.timeout: expected a duration'],
    [{ phases: ['create', { drain: { force: true } }] }, {}, 'phases[1].drain.force: unknown field (known: parallel, timeout, nodes, percent, allowRealNodes)'],
  ])('refuses a bad drain %j: %s', (fileCfg, flags, message) => {
    expect(() => resolveConfig(fileCfg as Record<string, unknown>, flags)).toThrow(message);
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
