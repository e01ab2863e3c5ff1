import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NODES, VMIMS, VMIS, collectionPath } from '@virtsim/kube';
import { startApiServerForTest, type ApiServerHarness } from '@virtsim/testkit/apiserver';
import { waitFor } from '@virtsim/testkit/wait';
import { alive, clusterPids, finish, freePort, list, renderInChromium, tmp, upForSuite, virtsim } from './harness.ts';

const RUN_LABEL = 'virtsim.io/loadtest-run';
type Quantile = { count: number; P50: number; P95: number; P99: number; max: number; avg: number };
type Report = {
  runId: string;
  passed: boolean;
  interrupted: boolean;
  counts: Record<string, number>;
  quantiles: Record<string, Quantile>;
  podQuantiles: Record<string, Quantile>;
  thresholds: Array<{ text: string; passed: boolean; observedMs?: number }>;
  phases: Array<{ kind: string; ok: boolean; summary: Record<string, unknown>; problems: string[] }>;
  slowest: unknown[];
  processes: Record<string, { cpuSeconds: number; peakRssMiB: number }>;
  series: Array<{ fleet?: { transitionsPerSecond: number }; processes?: Record<string, unknown> }>;
};

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;


function expectOrderedQuantiles(q: Record<string, Quantile>): void {
  for (const [name, s] of Object.entries(q)) {
    expect(s.count, name).toBeGreaterThan(0);
    expect(s.P50, name).toBeLessThanOrEqual(s.P95);
    expect(s.P95, name).toBeLessThanOrEqual(s.P99);
    expect(s.P99, name).toBeLessThanOrEqual(s.max);
    expect(s.avg, name).toBeLessThanOrEqual(s.max);
  }
}

describe('virtsim loadtest against a running virtsim up', () => {
  const dir = tmp('virtsim-loadtest-');
  const up = upForSuite(dir, 50);

  it('plays every phase kind on 200 VMIs and reports each VMI once, as the objects show it', async () => {
    const config = join(dir, 'every-phase.yaml');
    writeFileSync(
      config,
      [
        'name: every-phase',
        'count: 200',
        'rate: 50',
        'burst: 10',
        'namespaces: {prefix: lt-every, objectsPerNamespace: 100}',
        'phases:',
        '  - create',
        '  - wait: {timeout: 2m}',
        '  - hold: {duration: 2s}',
        '  - churn: {percent: 10, rate: 20, duration: 2s, timeout: 2m}',
        '  - migrate: {percent: 10, rate: 20, timeout: 2m}',
        '  - node-failure: {percent: 4, duration: 2s, timeout: 2m}',
        'thresholds: ["VMIRunning:max<10m"]',
        '',
      ].join('\n'),
    );
    const out = join(dir, 'every-phase-report');
    // --keep: the objects stay, so the report can be checked against them.
    const run = virtsim(['loadtest', '--kubeconfig', up.cluster.kubeconfig, '--config', config, '--keep', '--seed', '7', '--out', out, '--threshold', 'VMIRunning:P50<1ms']);
    const code = await finish(run);
    expect(run.err()).toBe('');
    // The 1 ms threshold cannot hold: exit 1, and it says which one failed.
    expect(code).toBe(1);
    expect(run.out()).toMatch(/FAIL VMIRunning P50 < 1 ms: \d/);
    expect(run.out()).toMatch(/ok {3}VMIRunning max < 10m00s: /);

    const report = readJson<Report>(join(out, 'report.json'));
    expect(report.thresholds.map((t) => [t.text, t.passed])).toEqual([
      ['VMIRunning:max<10m', true],
      ['VMIRunning:P50<1ms', false],
    ]);
    expect(report.phases.map((p) => [p.kind, p.ok, p.problems])).toEqual([
      ['create', true, []],
      ['wait', true, []],
      ['hold', true, []],
      ['churn', true, []],
      ['migrate', true, []],
      ['node-failure', true, []],
    ]);

    expect(report.phases.find((p) => p.kind === 'hold')!.summary).toMatchObject({ held: 200, leftRunning: 0 });

    // Every VMI the run created is in the per-VMI documents exactly once: those still in the
    // cluster and those churn deleted.
    const docs = readJson<Array<Record<string, unknown>>>(join(out, 'vmiLatencyMeasurement.json'));
    const docNames = docs.map((d) => `${d.namespace}/${d.name}`);
    expect(new Set(docNames).size).toBe(docNames.length);
    const vmis = await list(up.client, collectionPath(VMIS), `${RUN_LABEL}=${report.runId}`);
    const churn = report.phases.find((p) => p.kind === 'churn')!.summary as { deleted: number; created: number };
    expect(churn.deleted).toBeGreaterThan(0);
    expect(churn.created).toBe(churn.deleted);
    expect(vmis.length).toBe(200);
    expect(docNames.length).toBe(200 + churn.created);
    const inCluster = new Set(vmis.map((v) => `${v.metadata.namespace}/${v.metadata.name}`));
    for (const name of inCluster) expect(docNames).toContain(name);
    expect(report.counts).toMatchObject({ created: 200 + churn.created, reachedRunning: 200 + churn.created, notReachedRunning: 0, churnReplacements: churn.created });
    for (const v of vmis) expect(v.status?.phase, v.metadata.name).toBe('Running');

    // The client-side latency agrees with the objects' own timestamps. Those have 1 s resolution,
    // so the client may not measure less than the server's span minus 1 s; it may measure more by
    // the watch's delivery time (part of what a client sees, long on a loaded machine), but a
    // measurement of the wrong event (a later phase, another VMI) would be off by far more.
    const byName = new Map(docs.map((d) => [`${d.namespace}/${d.name}`, d]));
    for (const v of vmis) {
      const running = (v.status.phaseTransitionTimestamps as Array<{ phase: string; phaseTransitionTimestamp: string }>).find((t) => t.phase === 'Running');
      const serverMs = Date.parse(running!.phaseTransitionTimestamp) - Date.parse(v.metadata.creationTimestamp!);
      const measured = byName.get(`${v.metadata.namespace}/${v.metadata.name}`)!.vmiRunningLatency as number;
      expect(measured, v.metadata.name).toBeGreaterThan(serverMs - 1000);
      expect(measured, v.metadata.name).toBeLessThan(serverMs + 5000);
    }

    // Quantiles are in order, and VMIRunning counts every VMI once.
    expectOrderedQuantiles(report.quantiles);
    expectOrderedQuantiles(report.podQuantiles);
    expect(report.quantiles.VMIRunning.count).toBe(200 + churn.created);
    expect(report.quantiles.VMIDeleted.count).toBe(churn.deleted);
    for (const name of ['VMICreated', 'VMIPending', 'VMIScheduling', 'VMIScheduled', 'VMIRunning', 'PodReady']) expect(report.quantiles[name], name).toBeDefined();
    for (const name of ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready']) expect(report.podQuantiles[name].count, name).toBe(200 + churn.created);
    const quantileDocs = readJson<Array<{ quantileName: string; P99: number; metricName: string }>>(join(out, 'vmiLatencyQuantilesMeasurement.json'));
    expect(quantileDocs.find((d) => d.quantileName === 'VMIRunning')).toMatchObject({ metricName: 'vmiLatencyQuantilesMeasurement', P99: report.quantiles.VMIRunning.P99 });

    // The local `virtsim up` behind the kubeconfig was found: its processes and agents were sampled.
    expect(Object.keys(report.processes)).toEqual(expect.arrayContaining(['loadtest', 'apiserver', 'watcher', 'agent-0', 'agent-1', 'control-plane']));
    expect(report.series.some((s) => (s.fleet?.transitionsPerSecond ?? 0) > 0)).toBe(true);

    // Migrations: 10% of the Running VMIs, each Succeeded in the cluster and measured once.
    const migrations = await list(up.client, collectionPath(VMIMS), `${RUN_LABEL}=${report.runId}`);
    expect(migrations.length).toBe(20);
    for (const m of migrations) expect(m.status?.phase, m.metadata.name).toBe('Succeeded');
    expect(report.quantiles.VMIMSucceeded.count).toBe(20);

    // Node failure: 4% of 50 nodes went down and came back; every node is Ready again.
    const nf = report.phases.find((p) => p.kind === 'node-failure')!.summary as { nodesFailed: number; timeToRecoverMaxMs: number };
    expect(nf.nodesFailed).toBe(2);
    expect(nf.timeToRecoverMaxMs).toBeGreaterThanOrEqual(0);
    const nodes = await list(up.client, collectionPath(NODES));
    for (const n of nodes) {
      expect(n.metadata.labels?.['node-not-ready.stage.kwok.x-k8s.io'], n.metadata.name).toBeUndefined();
      expect((n.status.conditions as Array<{ type: string; status: string }>).find((c) => c.type === 'Ready')?.status, n.metadata.name).toBe('True');
    }

    // The HTML report, as a browser shows it: every plot drawn, one scatter point per VMI.
    const dom = await renderInChromium(join(out, 'report.html'));
    expect(dom).toContain('data-plots-drawn="8"');
    for (const plot of ['cdf', 'scatter', 'phases', 'rate', 'cdf-other', 'heartbeat', 'cpu', 'rss']) expect(dom).toContain(`data-plot="${plot}"`);
    expect(dom.match(/<circle /g)?.length).toBe(200 + churn.created);
    expect(Number(/data-series="VMIRunning" data-points="(\d+)"/.exec(dom)?.[1])).toBeGreaterThan(10);
    expect(dom.match(/<tr>/g)!.length).toBeGreaterThan(20);
    expect(dom).toContain('FAILED');
    // Where the time went: the fastest, median and slowest VMI's lifecycle trace, from the span
    // store of the `virtsim up` behind the kubeconfig, each a phase-by-phase waterfall.
    for (const which of ['fastest', 'median', 'slowest']) expect(dom).toContain(`data-waterfall="${which}"`);
    expect(dom.match(/data-kind="phase" data-name="phase Scheduled"/g)?.length).toBe(3);
    expect(dom.match(/data-name="stage vmi-running"/g)?.length).toBe(3);
  });

  it('deletes VMIs at a rate, times each deletion and removes its namespaces', async () => {
    const out = join(dir, 'delete-report');
    const run = virtsim(['loadtest', '--kubeconfig', up.cluster.kubeconfig, '--count', '30', '--rate', '30', '--objects-per-namespace', '10', '--phases', 'create,wait,delete,cleanup', '--out', out, '--json']);
    expect(await finish(run)).toBe(0);
    // --json: stdout is the report, nothing else.
    const report = JSON.parse(run.out()) as Report;
    expect(report.passed).toBe(true);
    expect(report.quantiles.VMIDeleted.count).toBe(30);
    expect(report.quantiles.VMIRunning.count).toBe(30);
    expect(report.phases.find((p) => p.kind === 'cleanup')!.summary).toEqual({ namespaces: 3, left: 0 });
    expect(await list(up.client, '/api/v1/namespaces', `${RUN_LABEL}=${report.runId}`)).toEqual([]);
    expect(await list(up.client, collectionPath(VMIS), `${RUN_LABEL}=${report.runId}`)).toEqual([]);
  });

  it('starts and stops VMs, timing VMReady and the stop', async () => {
    const out = join(dir, 'vm-report');
    const run = virtsim(['loadtest', '--kubeconfig', up.cluster.kubeconfig, '--template', 'vm', '--count', '20', '--rate', '20', '--phases', 'create,wait,stop,cleanup', '--out', out, '--threshold', 'VMReady:P99<1m']);
    expect(await finish(run), run.out()).toBe(0);
    const report = readJson<Report>(join(out, 'report.json'));
    expect(report.quantiles.VMReady.count).toBe(20);
    expect(report.quantiles.VMStopped.count).toBe(20);
    expect(report.quantiles.VMReady.P99).toBeGreaterThanOrEqual(report.quantiles.VMIRunning.P50);
  });

  it('refuses a template the cluster refuses before creating anything', async () => {
    const template = join(dir, 'bad-vmi.yaml');
    writeFileSync(template, 'apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstance\nmetadata: {name: x}\nspec: {domain: 5}\n');
    const before = (await list(up.client, collectionPath(VMIS))).length;
    const run = virtsim(['loadtest', '--kubeconfig', up.cluster.kubeconfig, '--template', template, '--count', '5']);
    expect(await finish(run)).toBe(2);
    expect(run.err()).toMatch(/^virtsim loadtest: the cluster refuses the VirtualMachineInstance template \(.*bad-vmi\.yaml\): .*domain/);
    expect((await list(up.client, collectionPath(VMIS))).length).toBe(before);
  });
});

describe('virtsim loadtest bad input', () => {
  let bare: ApiServerHarness | undefined;
  afterAll(async () => {
    await bare?.stop();
  });

  it.each([
    [['--rate', '0'], 'virtsim loadtest: --rate: expected a number > 0, got "0"'],
    [['--count', 'many'], 'virtsim loadtest: --count: expected a positive integer, got "many"'],
    [['--threshold', 'VMIRunning:P99'], 'virtsim loadtest: thresholds[0]: threshold "VMIRunning:P99": expected NAME:STAT<DURATION, e.g. VMIRunning:P99<2s'],
    [['--phases', 'create,teleport'], 'virtsim loadtest: phases[1]: unknown phase "teleport" (known: create, wait, hold, churn, migrate, node-failure, drain, delete, stop, cleanup)'],
    [['--nodes', '5'], 'virtsim loadtest: --nodes is a flag of --up (the embedded cluster); add --up or drop it'],
  ])('%j: exit 2 with "%s"', async (args, message) => {
    const run = virtsim(['loadtest', ...args]);
    expect(await finish(run)).toBe(2);
    expect(run.err().trim()).toBe(message);
  });

  it('names the template file and the kind it does not take', async () => {
    const template = join(tmp('virtsim-loadtest-'), 'pod.yaml');
    writeFileSync(template, 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {}\n');
    const run = virtsim(['loadtest', '--template', template]);
    expect(await finish(run)).toBe(2);
    expect(run.err().trim()).toBe(`virtsim loadtest: template ${template}: kind "Pod" is not VirtualMachineInstance or VirtualMachine`);
  });

  it('names the config file and line of a YAML error', async () => {
    const config = join(tmp('virtsim-loadtest-'), 'run.yaml');
    writeFileSync(config, 'count: 10\nphases: [create, wait\nrate: 5\n');
    const run = virtsim(['loadtest', '--config', config]);
    expect(await finish(run)).toBe(2);
    expect(run.err()).toMatch(new RegExp(`^virtsim loadtest: config ${config.replace(/\./g, '\\.')}:\\d+: `));
  });

  it('says which cluster it cannot reach', async () => {
    const port = await freePort();
    const kubeconfig = join(tmp('virtsim-loadtest-'), 'kubeconfig');
    writeFileSync(kubeconfig, `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`);
    const run = virtsim(['loadtest', '--kubeconfig', kubeconfig]);
    expect(await finish(run)).toBe(2);
    expect(run.err().trim()).toBe(`virtsim loadtest: cannot reach the cluster at https://127.0.0.1:${port}: ECONNREFUSED`);
  });

  it('says when the cluster has no KubeVirt API', async () => {
    bare = await startApiServerForTest();
    const run = virtsim(['loadtest', '--kubeconfig', bare.kubeconfigPath]);
    expect(await finish(run)).toBe(2);
    expect(run.err().trim()).toBe(`virtsim loadtest: the cluster at ${new URL(bare.url).origin} does not serve KubeVirt's API (kubevirt.io/v1): install KubeVirt (or its CRDs and virtsim), or use --up`);
  });
});

describe('virtsim loadtest --up, stopped with Ctrl-C', () => {
  it('stops creating, reports what finished, cleans up and leaves no process behind', async () => {
    const dir = tmp('virtsim-loadtest-up-');
    const stateDir = join(dir, 'state');
    const out = join(dir, 'report');
    const run = virtsim(['loadtest', '--up', '--nodes', '20', '--agents', '1', '--state-dir', stateDir, '--port', String(await freePort()), '--nats-port', String(await freePort()), '--count', '3000', '--rate', '20', '--out', out]);
    try {
      // Stopped once creates are going (a progress line with at least one done).
      await waitFor('creates under way', () => /\] create [1-9]\d*\/3000/.test(run.out()) || run.child.exitCode !== null, { timeoutMs: 90_000 });
      expect(run.child.exitCode, run.err()).toBeNull();
      const pids = clusterPids(stateDir);
      expect(pids.length).toBeGreaterThanOrEqual(5);
      run.child.kill('SIGINT');
      expect(await finish(run, 120_000)).toBe(1);
      expect(run.out()).toContain('stopping: no more creates');
      const report = readJson<Report>(join(out, 'report.json'));
      expect(report.interrupted).toBe(true);
      expect(report.passed).toBe(false);
      expect(report.counts.created).toBeGreaterThan(0);
      expect(report.counts.created).toBeLessThan(3000);
      expect(report.phases.at(-1)).toMatchObject({ kind: 'cleanup', ok: true, summary: { left: 0 } });
      await waitFor('every cluster process to be gone', () => pids.every((p) => !alive(p)), { timeoutMs: 30_000 });
    } finally {
      run.child.kill('SIGKILL');
    }
  });
});
