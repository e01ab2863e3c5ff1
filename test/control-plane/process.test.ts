import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient, NODES, PODS, collectionPath, objectPath, type KubeObject } from '@virtsim/kube';
import { startApiServerForTest, type ApiServerHarness } from '@virtsim/testkit/apiserver';
import { startVirtsim, type ServiceProcess } from '@virtsim/testkit/service-process';
import { waitFor } from '@virtsim/testkit/wait';
import { startStandIns } from './cluster.ts';

const CLI = join(import.meta.dirname, '../../packages/cli/bin/virtsim.ts');

const node = (name: string, labels: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, labels: { 'kubevirt.io/schedulable': 'true', ...labels } },
  status: { allocatable: { cpu: '4', memory: '8Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] },
});

describe('virtsim control-plane as a process (scheduler only, no KubeVirt CRDs needed)', () => {
  let api: ApiServerHarness;
  let client: KubeClient;
  let cp: ServiceProcess;
  beforeAll(async () => {
    api = await startApiServerForTest();
    client = await KubeClient.fromFile(api.kubeconfigPath);
    for (const n of ['n1', 'n2']) {
      await client.request({ method: 'POST', path: collectionPath(NODES), body: node(n) });
      await client.request({ method: 'PATCH', path: objectPath(NODES, undefined, n, 'status'), contentType: 'application/merge-patch+json', body: { status: node(n).status } });
    }
    cp = await startStandIns(api, 'scheduler');
  }, 60_000);
  afterAll(async () => {
    await cp?.stop();
    client?.close();
    await api?.stop();
  });

  it('serves /healthz and /metrics', async () => {
    await waitFor('healthz 200', async () => (await fetch(`${cp.readyValue}/healthz`)).status === 200);
    expect(await (await fetch(`${cp.readyValue}/metrics`)).text()).toContain('virtsim_scheduler_binds_total');
  });

  it('marks a pod that fits nowhere Unschedulable and binds it once a node offers what it asks for', async () => {
    await client.request({
      method: 'POST',
      path: collectionPath(PODS, 'default'),
      body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'wants-ssd' }, spec: { nodeSelector: { disk: 'ssd' }, containers: [{ name: 'c', image: 'x' }] } },
    });
    const pending = await waitFor('PodScheduled=False', async () => {
      const p = await client.request<KubeObject>({ method: 'GET', path: objectPath(PODS, 'default', 'wants-ssd') });
      return p.status?.conditions?.find((c: { type: string }) => c.type === 'PodScheduled') ? p : undefined;
    });
    expect(pending.status.conditions.find((c: { type: string }) => c.type === 'PodScheduled')).toMatchObject({
      status: 'False',
      reason: 'Unschedulable',
      message: "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.",
    });
    const described = await api.kubectl(['describe', 'pod', 'wants-ssd']);
    expect(described.stdout).toMatch(/Warning\s+FailedScheduling\s+.*default-scheduler\s+0\/2 nodes are available/);
    await client.request({ method: 'PATCH', path: objectPath(NODES, undefined, 'n2'), contentType: 'application/merge-patch+json', body: { metadata: { labels: { disk: 'ssd' } } } });
    const bound = await waitFor('pod bound to n2', async () => {
      const p = await client.request<KubeObject>({ method: 'GET', path: objectPath(PODS, 'default', 'wants-ssd') });
      return p.spec?.nodeName ? p : undefined;
    });
    expect(bound.spec.nodeName).toBe('n2');
    expect(bound.status.conditions.find((c: { type: string }) => c.type === 'PodScheduled')).toMatchObject({ status: 'True' });
  });

  it('stops cleanly on SIGTERM, handing the Lease to a warm standby that carries on', async () => {
    const standby = await startVirtsim('standby', ['control-plane', '--kubeconfig', api.kubeconfigPath, '--only', 'scheduler', '--identity', 'standby'], (r) => (r.msg === 'control-plane started' ? r.metrics : undefined), {
      logFile: join(api.dir, 'standby.log'),
    });
    try {
      const leader = async (url: unknown) => (await (await fetch(`${url}/metrics`)).text()).match(/^virtsim_control_plane_leader(?:\{[^}]*\})? (\d+)/m)?.[1];
      await waitFor('first replica leads', async () => (await leader(cp.readyValue)) === '1');
      expect(await leader(standby.readyValue)).not.toBe('1');
      expect(await cp.stop()).toBe(0);
      expect(cp.records.some((r) => r.msg === 'stopped')).toBe(true);
      await waitFor('standby leads', async () => (await leader(standby.readyValue)) === '1');
      await client.request({ method: 'POST', path: collectionPath(PODS, 'default'), body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'after-handover' }, spec: { containers: [{ name: 'c', image: 'x' }] } } });
      await waitFor('bound by the new leader', async () => (await client.request<KubeObject>({ method: 'GET', path: objectPath(PODS, 'default', 'after-handover') })).spec?.nodeName);
    } finally {
      expect(await standby.stop()).toBe(0);
    }
  });

  it('refuses bad flags with a clear message', () => {
    const run = (args: string[]) => spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', CLI, 'control-plane', ...args], { encoding: 'utf8' });
    const missing = run([]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('--kubeconfig is required');
    const unknown = run(['--kubeconfig', api.kubeconfigPath, '--only', 'scheduler,kubelet']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('unknown component "kubelet"');
  });
});
