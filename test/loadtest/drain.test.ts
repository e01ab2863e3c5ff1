// The drain phase against a running `virtsim up`: it cordons nodes hosting the run's VMIs, evicts
// their pods through the Eviction API (virt-api's webhook turns each launcher eviction into an
// evacuation), waits until every VMI runs elsewhere and uncordons; the report must agree with the
// objects left behind (--keep).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NODES, VMIMS, VMIS, collectionPath } from '@virtsim/kube';
import { finish, list, renderInChromium, tmp, upForSuite, virtsim } from './harness.ts';

const RUN_LABEL = 'virtsim.io/loadtest-run';
const EVACUATION = 'kubevirt.io/evacuationMigration';
type Quantile = { count: number; P50: number; P99: number; max: number };
type DrainSummary = { nodesDrained: number; nodesChosen: number; vmisAffected: number; migrated: number; evictedDirectly: number; failed: number; timedOut: number; evacuationMigrations: number; nodes: string[] };
type Report = {
  runId: string;
  passed: boolean;
  quantiles: Record<string, Quantile>;
  thresholds: Array<{ text: string; passed: boolean }>;
  phases: Array<{ kind: string; ok: boolean; startedAt: string; endedAt: string; summary: Record<string, unknown>; problems: string[] }>;
  counts: Record<string, number>;
};


describe('virtsim loadtest drain phase against a running virtsim up', () => {
  const dir = tmp('virtsim-loadtest-drain-');
  const up = upForSuite(dir, 6);

  it('drains two nodes: every VMI on them runs elsewhere after a Succeeded evacuation migration, and the nodes are schedulable again', async () => {
    const config = join(dir, 'drain.yaml');
    writeFileSync(config, ['name: drain', 'count: 24', 'rate: 24', 'namespaces: {prefix: lt-drain, objectsPerNamespace: 24}', 'phases:', '  - create', '  - wait: {timeout: 2m}', '  - drain: {nodes: 2, parallel: 2, timeout: 3m}', ''].join('\n'));
    const out = join(dir, 'drain-report');
    const run = virtsim(['loadtest', '--kubeconfig', up.cluster.kubeconfig, '--config', config, '--keep', '--seed', '3', '--out', out, '--threshold', 'DrainNode:max<3m', '--threshold', 'VMIEvacuated:P99<3m']);
    const code = await finish(run);
    expect(run.err()).toBe('');
    expect(code, run.out()).toBe(0);

    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
    const phase = report.phases.find((p) => p.kind === 'drain')!;
    expect([phase.ok, phase.problems]).toEqual([true, []]);
    const d = phase.summary as DrainSummary;
    expect(d.nodesChosen).toBe(2);
    expect(d.nodesDrained).toBe(2);
    expect(new Set(d.nodes).size).toBe(2);
    expect(d.vmisAffected).toBeGreaterThan(0);
    // The density VMI can migrate: virt-api evacuates each one, none is evicted outright.
    expect([d.migrated, d.evictedDirectly, d.failed, d.timedOut]).toEqual([d.vmisAffected, 0, 0, 0]);

    // The objects: no VMI of the run is left on a drained node; those that were there moved with a
    // Succeeded evacuation migration from that node; the report counts exactly them.
    const vmis = await list(up.client, collectionPath(VMIS), `${RUN_LABEL}=${report.runId}`);
    expect(vmis).toHaveLength(24);
    for (const v of vmis) {
      expect(v.status?.phase, v.metadata.name).toBe('Running');
      expect(d.nodes, v.metadata.name).not.toContain(v.status?.nodeName);
    }
    const moved = vmis.filter((v) => d.nodes.includes(v.status?.migrationState?.sourceNode));
    expect(moved).toHaveLength(d.vmisAffected);
    const evacuations = (await list(up.client, collectionPath(VMIMS))).filter((m) => d.nodes.includes(m.metadata.annotations?.[EVACUATION] ?? ''));
    for (const v of moved) {
      const mine = evacuations.filter((m) => m.metadata.namespace === v.metadata.namespace && m.spec.vmiName === v.metadata.name);
      expect(mine.map((m) => [m.metadata.annotations?.[EVACUATION], m.status?.phase]), v.metadata.name).toContainEqual([v.status.migrationState.sourceNode, 'Succeeded']);
    }
    expect(d.evacuationMigrations).toBe(evacuations.length);

    // The figures: one drain time per node, one evacuation time per moved VMI, the migrations'
    // VMIM latencies; every one within the phase's own span.
    const spanMs = Date.parse(phase.endedAt) - Date.parse(phase.startedAt);
    expect(report.quantiles.DrainNode.count).toBe(2);
    expect(report.quantiles.VMIEvacuated.count).toBe(d.migrated);
    expect(report.quantiles.VMIMSucceeded.count).toBe(evacuations.filter((m) => m.status?.phase === 'Succeeded').length);
    for (const name of ['DrainNode', 'VMIEvacuated', 'VMIMSucceeded']) {
      expect(report.quantiles[name].P50, name).toBeGreaterThan(0);
      expect(report.quantiles[name].max, name).toBeLessThanOrEqual(spanMs);
    }
    // A node is drained only once its VMIs are off it.
    expect(report.quantiles.DrainNode.max).toBeGreaterThanOrEqual(report.quantiles.VMIEvacuated.P50);
    expect(report.thresholds.map((t) => [t.text, t.passed])).toEqual([
      ['DrainNode:max<3m', true],
      ['VMIEvacuated:P99<3m', true],
    ]);
    expect(run.out()).toMatch(/drain: 2 of 2 nodes drained; \d+ VMIs: \d+ migrated, 0 evicted, 0 failed, 0 timed out/);
    expect(run.out()).toMatch(/DrainNode +P50 /);
    // The page, as a browser draws it: both drain latencies in the table and as CDFs.
    const dom = await renderInChromium(join(out, 'report.html'));
    expect(dom).toMatch(/<td>DrainNode<\/td><td>2<\/td>/);
    for (const name of ['DrainNode', 'VMIEvacuated']) expect(dom).toMatch(new RegExp(`data-series="${name}" data-points="[1-9]`));

    for (const n of await list(up.client, collectionPath(NODES))) expect(n.spec?.unschedulable ?? false, n.metadata.name).toBe(false);
  }, 300_000);

  it('evicts VMIs with evictionStrategy None outright: counted as evicted, not waited for afterwards', async () => {
    const template = join(dir, 'vmi-no-migration.yaml');
    writeFileSync(
      template,
      [
        'apiVersion: kubevirt.io/v1',
        'kind: VirtualMachineInstance',
        'metadata: {name: x}',
        'spec:',
        '  evictionStrategy: None',
        '  terminationGracePeriodSeconds: 0',
        '  domain: {resources: {requests: {cpu: 100m, memory: 90Mi}}, devices: {interfaces: [{name: default, masquerade: {}}]}}',
        '  networks: [{name: default, pod: {}}]',
        '',
      ].join('\n'),
    );
    const out = join(dir, 'evict-report');
    const run = virtsim(['loadtest', '--kubeconfig', up.cluster.kubeconfig, '--template', template, '--count', '12', '--rate', '12', '--phases', 'create,wait,drain,wait', '--keep', '--seed', '4', '--out', out]);
    const code = await finish(run);
    expect(code, run.out()).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
    const d = report.phases.find((p) => p.kind === 'drain')!.summary as DrainSummary;
    expect(d.nodesDrained).toBe(1);
    expect([d.migrated, d.failed, d.timedOut, d.evacuationMigrations]).toEqual([0, 0, 0, 0]);
    expect(d.evictedDirectly).toBe(d.vmisAffected);
    expect(d.vmisAffected).toBeGreaterThan(0);
    // The wait after the drain does not wait for the evicted ones: it passed.
    expect(report.phases.map((p) => [p.kind, p.ok])).toEqual([['create', true], ['wait', true], ['drain', true], ['wait', true]]);
    const vmis = await list(up.client, collectionPath(VMIS), `${RUN_LABEL}=${report.runId}`);
    const gone = vmis.filter((v) => v.status?.nodeName === d.nodes[0]);
    expect(gone).toHaveLength(d.vmisAffected);
    for (const v of gone) expect(['Failed', 'Succeeded'], v.metadata.name).toContain(v.status?.phase);
    expect(report.quantiles.DrainNode.count).toBe(1);
    expect(report.quantiles.VMIEvacuated).toBeUndefined();
    for (const n of await list(up.client, collectionPath(NODES))) expect(n.spec?.unschedulable ?? false, n.metadata.name).toBe(false);
  }, 300_000);
});

describe('virtsim loadtest drain phase, bad input', () => {
  it.each([
    ['{drain: {nodes: 0}}', 'virtsim loadtest: phases[1].drain.nodes: must be >= 1, got 0'],
    ['{drain: {nodes: 2, percent: 10}}', 'virtsim loadtest: phases[1].drain: give nodes or percent, not both'],
    ['{drain: {allowRealNodes: maybe}}', 'virtsim loadtest: phases[1].drain.allowRealNodes: expected true or false, got "maybe"'],
  ])('%s: exit 2 with "%s", before reaching any cluster', async (phase, message) => {
    const config = join(tmp('virtsim-loadtest-drain-'), 'bad.yaml');
    writeFileSync(config, `phases: [create, ${phase}]\n`);
    const run = virtsim(['loadtest', '--kubeconfig', join(tmp('virtsim-loadtest-drain-'), 'absent-kubeconfig'), '--config', config]);
    expect(await finish(run, 60_000)).toBe(2);
    expect(run.err().trim()).toBe(message);
  });
});
