import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { waitFor } from '@virtsim/testkit/wait';
import { KubeClient, LEASES, VMIMS, VMIS, collectionPath, objectPath, type KubeObject } from '@virtsim/kube';
import { freePort, runUp } from '../up/run-up.ts';

// Debian's prometheus scrapes a small `virtsim up` fleet (through the prometheus.yml `up` writes),
// loads the rule file, and every query of every dashboard and rule file is evaluated once the
// fleet has done some of everything: starts, a migration, a deletion, a refused write.

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const DASHBOARDS = join(REPO, 'deploy/dashboards');
const RULES = join(REPO, 'deploy/rules/virtsim.rules.yaml');
const OPERATOR_RULES = join(REPO, 'deploy/rules/prometheusrule.yaml');

interface Query {
  where: string;
  expr: string;
}

/** Grafana's interval variables, as Grafana would fill them for a 1 s scrape. */
const grafanaVars = (expr: string) => expr.replaceAll('$__rate_interval', '20s').replaceAll('$__interval', '5s');

function dashboardQueries(): Query[] {
  const out: Query[] = [];
  for (const f of readdirSync(DASHBOARDS).filter((f) => f.endsWith('.json'))) {
    const d = JSON.parse(readFileSync(join(DASHBOARDS, f), 'utf8'));
    for (const p of d.panels.filter((p: { type: string }) => p.type !== 'row')) {
      for (const t of p.targets) out.push({ where: `${f} "${p.title}" ${t.refId}`, expr: grafanaVars(t.expr) });
    }
  }
  return out;
}

/** Recording rules as they are; an alert's `<series> <op> <threshold>` by its series (it returns nothing while all is well). */
function ruleQueries(): Query[] {
  const out: Query[] = [];
  for (const g of parse(readFileSync(RULES, 'utf8')).groups) {
    for (const r of g.rules) {
      if (r.record) out.push({ where: `rule ${r.record}`, expr: r.expr });
      else {
        const m = /^(.*\S)\s+(>|<|>=|<=)\s+[\d.]+$/.exec(r.expr);
        expect(m, `alert ${r.alert}: expr is not '<series> <op> <threshold>'`).not.toBeNull();
        out.push({ where: `alert ${r.alert}`, expr: r.expr }, { where: `alert ${r.alert} series`, expr: m![1] });
      }
    }
  }
  return out;
}

describe('dashboards and rules against a real Prometheus', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'virtsim-prom-'));
  let up: ReturnType<typeof runUp>;
  let prometheus: ChildProcess | undefined;
  let promUrl: string;
  let client: KubeClient;
  const query = async (expr: string) => {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as { status: string; error?: string; data?: { result: unknown[] } };
    return { ...body, httpStatus: res.status };
  };

  beforeAll(async () => {
    up = runUp(['--state-dir', stateDir, '--nodes', '4', '--agents', '2', '--port', String(await freePort()), '--nats-port', String(await freePort())]);
    await waitFor('virtsim is up', () => up.out().includes('stop        Ctrl-C') || up.child.exitCode !== null, { timeoutMs: 60_000 });
    expect(up.out()).toContain(`prometheus  prometheus --config.file=${stateDir}/prometheus.yml`);
    const config = parse(readFileSync(join(stateDir, 'prometheus.yml'), 'utf8'));
    config.global = { scrape_interval: '1s', evaluation_interval: '1s' };
    config.rule_files = [RULES];
    const configFile = join(stateDir, 'prometheus-test.yml');
    writeFileSync(configFile, stringify(config));
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    prometheus = spawn('prometheus', [`--config.file=${configFile}`, `--storage.tsdb.path=${join(stateDir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
    client = await KubeClient.fromFile(join(stateDir, 'kubeconfig'));
  }, 90_000);
  afterAll(async () => {
    client?.close();
    prometheus?.kill('SIGTERM');
    up?.child.kill('SIGTERM');
    await up?.exited;
  }, 30_000);

  it('passes promtool, and the PrometheusRule carries the plain file\'s groups', async () => {
    await run('promtool', ['check', 'rules', RULES]);
    const operator = parse(readFileSync(OPERATOR_RULES, 'utf8'));
    expect(operator.kind).toBe('PrometheusRule');
    expect(operator.spec).toEqual(parse(readFileSync(RULES, 'utf8')));
    const extracted = join(stateDir, 'operator-rules.yaml');
    writeFileSync(extracted, stringify(operator.spec));
    await run('promtool', ['check', 'rules', extracted]);
  });

  it('dashboards are provisioning-ready: the data source is a variable every query uses', () => {
    for (const f of readdirSync(DASHBOARDS).filter((f) => f.endsWith('.json'))) {
      const d = JSON.parse(readFileSync(join(DASHBOARDS, f), 'utf8'));
      expect(d.uid, f).toMatch(/^virtsim-/);
      expect(d.templating.list.find((v: { name: string }) => v.name === 'datasource'), f).toMatchObject({ type: 'datasource', query: 'prometheus' });
      for (const p of d.panels.filter((p: { type: string }) => p.type !== 'row')) {
        expect(p.targets.length, `${f} ${p.title}`).toBeGreaterThan(0);
        for (const t of [p, ...p.targets]) expect(t.datasource, `${f} ${p.title}`).toEqual({ type: 'prometheus', uid: '${datasource}' });
      }
    }
  });

  it('every dashboard and rule query parses and returns series once the fleet has worked', async () => {
    // Work: VMIs start, one migrates, one is deleted, and one write is refused (a Lease changed
    // under its agent makes the next renewal a 409).
    const vmi = (name: string): KubeObject => ({
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachineInstance',
      metadata: { name, namespace: 'default' },
      // Masquerade on the pod network: live-migratable.
      spec: {
        domain: { devices: { interfaces: [{ name: 'default', masquerade: {} }] }, resources: { requests: { memory: '64Mi' } } },
        networks: [{ name: 'default', pod: {} }],
        terminationGracePeriodSeconds: 0,
      },
    });
    for (const name of ['prom-a', 'prom-b', 'prom-c']) await client.request({ method: 'POST', path: collectionPath(VMIS, 'default'), body: vmi(name) });
    const phaseOf = async (name: string) => (await client.request<KubeObject>({ method: 'GET', path: objectPath(VMIS, 'default', name) })).status?.phase;
    await waitFor('VMIs Running', async () => (await Promise.all(['prom-a', 'prom-b', 'prom-c'].map(phaseOf))).every((p) => p === 'Running'), { timeoutMs: 30_000 });
    await client.request({
      method: 'POST',
      path: collectionPath(VMIMS, 'default'),
      body: { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstanceMigration', metadata: { name: 'prom-move', namespace: 'default' }, spec: { vmiName: 'prom-a' } },
    });
    await waitFor('migration Succeeded', async () => (await client.request<KubeObject>({ method: 'GET', path: objectPath(VMIMS, 'default', 'prom-move') })).status?.phase === 'Succeeded', { timeoutMs: 30_000 });
    await client.request({ method: 'DELETE', path: objectPath(VMIS, 'default', 'prom-c') });
    const leases = (await client.request<{ items: KubeObject[] }>({ method: 'GET', path: collectionPath(LEASES, 'kube-node-lease') })).items;
    await client.request({
      method: 'PATCH',
      path: objectPath(LEASES, 'kube-node-lease', leases[0].metadata.name),
      body: { metadata: { annotations: { 'virtsim.test/touched': 'yes' } } },
      contentType: 'application/merge-patch+json',
    });
    await waitFor('a refused write counted', async () => (await query('sum(virtsim_api_write_errors_total)')).data?.result.length, { timeoutMs: 40_000, intervalMs: 500 });

    const targets = await query('up');
    expect((targets.data?.result as Array<{ value: [number, string] }>).every((r) => r.value[1] === '1')).toBe(true);
    const queries = [...dashboardQueries(), ...ruleQueries()];
    expect(queries.length).toBeGreaterThan(20);
    const empty = async () => {
      const failing: string[] = [];
      for (const q of queries) {
        const r = await query(q.expr);
        if (r.httpStatus !== 200 || r.status !== 'success') failing.push(`${q.where}: ${r.error ?? r.httpStatus}: ${q.expr}`);
        else if (!q.where.startsWith('alert ') || q.where.endsWith(' series')) {
          if (r.data!.result.length === 0) failing.push(`${q.where}: no series: ${q.expr}`);
        }
      }
      return failing;
    };
    let last: string[] = [];
    await waitFor('every query returning series', async () => (last = await empty()).length === 0, { timeoutMs: 30_000, intervalMs: 1000 }).catch(() => {
      throw new Error(`queries without series:\n${last.join('\n')}`);
    });
  }, 150_000);

  it('documents every virtsim and kubevirt metric the fleet exports in the README table', async () => {
    const names = ((await (await fetch(`${promUrl}/api/v1/label/__name__/values`)).json()) as { data: string[] }).data;
    const ours = names.filter((n) => /^(virtsim|kubevirt)_/.test(n));
    // A histogram is documented once, by its base name.
    const histograms = new Set(ours.filter((n) => n.endsWith('_bucket')).map((n) => n.slice(0, -'_bucket'.length)));
    const exported = new Set(ours.map((n) => n.replace(/_(bucket|sum|count)$/, '')).filter((n) => histograms.has(n) || ours.includes(n)));
    expect(exported.size).toBeGreaterThan(20);
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const documented = new Set([...readme.matchAll(/^\| `((?:virtsim|kubevirt)_[a-z0-9_]+)`/gm)].map((m) => m[1]));
    expect([...exported].filter((n) => !documented.has(n)).sort()).toEqual([]);
  });
});
