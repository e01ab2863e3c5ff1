// `kubectl drain` of a fake node with the control-plane stand-ins' eviction webhook: virt-api's
// interceptor marks each migratable VMI and refuses the eviction (429), virt-controller's
// evacuation controller migrates it away, and the drain's retries find the source pods finished.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@virtsim/testkit/wait';
import { PODS, StatusError, objectPath } from '@virtsim/kube';
import { nodeName } from '../fleet/harness.ts';
import { startCluster, type Cluster } from './cluster.ts';

const EXAMPLES = fileURLToPath(new URL('../../examples', import.meta.url));
const NODES = 4;
const SOURCE = nodeName(0);
const MIGRATABLE = ['evac-a', 'evac-b', 'evac-c'];
const NO_EVICTION = 'evac-none';

/** vmi-fedora (masquerade: live-migratable) under another name, with an eviction strategy if given. */
function vmiYaml(name: string, strategy?: string): string {
  const y = readFileSync(`${EXAMPLES}/vmi-fedora.yaml`, 'utf8').replace('name: vmi-fedora', `name: ${name}`);
  return strategy ? y.replace('spec:\n', `spec:\n  evictionStrategy: ${strategy}\n`) : y;
}

describe('kubectl drain live-migrates the VMIs of a fake node (eviction webhook + evacuation controller)', () => {
  let c: Cluster;
  beforeAll(async () => {
    c = await startCluster({ agents: 1, nodes: NODES, controlPlaneArgs: ['--eviction-webhook'] });
    await waitFor('eviction webhook registered', async () => (await c.fleet.api.kubectl(['get', 'validatingwebhookconfiguration', 'virtsim-virt-api-validator'])).code === 0, { timeoutMs: 30_000 });
    // Every VMI on node 0: the others are cordoned while they start.
    for (let i = 1; i < NODES; i++) await c.kubectl(['cordon', nodeName(i)]);
    await c.kubectl(['apply', '-f', '-'], [vmiYaml('evac-a', 'LiveMigrate'), vmiYaml('evac-b'), vmiYaml('evac-c', 'LiveMigrateIfPossible'), vmiYaml(NO_EVICTION, 'None')].join('\n---\n'));
    for (const name of [...MIGRATABLE, NO_EVICTION]) {
      await waitFor(`VMI ${name} Running on ${SOURCE}`, async () => {
        const v = await c.kubectlJson(['get', 'vmi', name]);
        return v.status?.phase === 'Running' && v.status.nodeName === SOURCE && v.status.conditions?.some((x: any) => x.type === 'LiveMigratable' && x.status === 'True');
      }, { timeoutMs: 60_000 });
    }
    for (let i = 1; i < NODES; i++) await c.kubectl(['uncordon', nodeName(i)]);
  }, 180_000);
  afterAll(async () => c?.stop(), 60_000);

  it('drains the node: migratable VMIs move, the one with evictionStrategy None is evicted', async () => {
    const drain = await c.fleet.api.kubectl(['drain', SOURCE, '--ignore-daemonsets', '--delete-emptydir-data', '--force', '--timeout=120s'], { timeoutMs: 130_000 });
    expect(drain.code, drain.stderr).toBe(0);
    expect(drain.stdout).toContain(`node/${SOURCE} drained`);
    // kubectl shows the webhook's refusal while it retries, in KubeVirt's words.
    expect(drain.stderr).toMatch(/admission webhook "virt-launcher-eviction-interceptor.kubevirt.io" denied the request: Eviction triggered evacuation of VMI "default\/evac-[abc]"/);

    const migrations = (await c.kubectlJson(['get', 'vmim'])).items as any[];
    for (const name of MIGRATABLE) {
      const vmi = await c.kubectlJson(['get', 'vmi', name]);
      expect(vmi.status.phase).toBe('Running');
      expect(vmi.status.nodeName).not.toBe(SOURCE);
      const mine = migrations.filter((m) => m.spec.vmiName === name);
      expect(mine).toHaveLength(1);
      expect(mine[0].metadata.name).toMatch(/^kubevirt-evacuation-/);
      expect(mine[0].metadata.annotations['kubevirt.io/evacuationMigration']).toBe(SOURCE);
      expect(mine[0].status.phase).toBe('Succeeded');
    }
    expect(migrations.filter((m) => m.spec.vmiName === NO_EVICTION)).toHaveLength(0);
    // parallelOutboundMigrationsPerNode (2): the third was created only once one of the first two ended.
    const ours = migrations.filter((m) => MIGRATABLE.includes(m.spec.vmiName)).sort((a, b) => Date.parse(a.metadata.creationTimestamp) - Date.parse(b.metadata.creationTimestamp));
    const ended = (m: any) => Date.parse(m.status.phaseTransitionTimestamps.find((t: any) => t.phase === 'Succeeded').phaseTransitionTimestamp);
    expect(Date.parse(ours[2].metadata.creationTimestamp)).toBeGreaterThanOrEqual(Math.min(ended(ours[0]), ended(ours[1])));

    const left = (await c.kubectlJson(['get', 'pods', '--field-selector', `spec.nodeName=${SOURCE}`])).items as any[];
    expect(left.map((p) => p.metadata.name)).toEqual([]);
    const none = await waitFor('VMI with evictionStrategy None stopped', async () => {
      const v = await c.kubectlJson(['get', 'vmi', NO_EVICTION]);
      return v.status?.phase === 'Failed' || v.status?.phase === 'Succeeded' ? v : undefined;
    }, { timeoutMs: 30_000 });
    expect(none.status.nodeName).toBe(SOURCE);
    expect(none.status.evacuationNodeName).toBeUndefined();
  }, 150_000);

  it('clears the spent marks, so the VMIs can be evacuated again from their new nodes', async () => {
    for (const name of MIGRATABLE) {
      await waitFor(`VMI ${name} unmarked`, async () => !(await c.kubectlJson(['get', 'vmi', name])).status?.evacuationNodeName, { timeoutMs: 30_000 });
    }
  });

  it('drains the node a VMI was evacuated to: it moves again', async () => {
    const before = await c.kubectlJson(['get', 'vmi', 'evac-a']);
    const node = before.status.nodeName;
    const drain = await c.fleet.api.kubectl(['drain', node, '--ignore-daemonsets', '--delete-emptydir-data', '--force', '--timeout=60s'], { timeoutMs: 70_000 });
    expect(drain.code, drain.stderr).toBe(0);
    const after = await c.kubectlJson(['get', 'vmi', 'evac-a']);
    expect(after.status.phase).toBe('Running');
    expect([SOURCE, node]).not.toContain(after.status.nodeName);
    const mine = ((await c.kubectlJson(['get', 'vmim'])).items as any[]).filter((m) => m.spec.vmiName === 'evac-a');
    expect(mine.map((m) => [m.metadata.annotations['kubevirt.io/evacuationMigration'], m.status.phase])).toEqual(expect.arrayContaining([[SOURCE, 'Succeeded'], [node, 'Succeeded']]));
    await c.kubectl(['uncordon', node]);
  }, 90_000);

  /** POST pods/NAME/eviction as kubectl drain does; the refusal it gets, if any. */
  async function evict(vmi: string, dryRun = false): Promise<StatusError | undefined> {
    const [pod] = (await c.kubectlJson(['get', 'pods', '-l', `vm.kubevirt.io/name=${vmi}`])).items as any[];
    try {
      await c.fleet.client.request({
        method: 'POST',
        path: objectPath(PODS, 'default', pod.metadata.name, 'eviction'),
        query: dryRun ? { dryRun: 'All' } : undefined,
        body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod.metadata.name, namespace: 'default' } },
      });
      return undefined;
    } catch (err) {
      if (err instanceof StatusError) return err;
      throw err;
    }
  }

  it('refuses to evict a VMI with evictionStrategy LiveMigrate that cannot migrate, and marks nothing', async () => {
    // The bridge binding on the pod network: the handler stages report LiveMigratable=False.
    await c.kubectl(['apply', '-f', '-'], vmiYaml('evac-bridge', 'LiveMigrate').replace('masquerade: {}', 'bridge: {}'));
    await waitFor('VMI evac-bridge Running, not live-migratable', async () => {
      const v = await c.kubectlJson(['get', 'vmi', 'evac-bridge']);
      return v.status?.phase === 'Running' && v.status.conditions?.some((x: any) => x.type === 'LiveMigratable' && x.status === 'False');
    }, { timeoutMs: 30_000 });
    const refused = await evict('evac-bridge');
    expect(refused?.code).toBe(429);
    expect(refused?.message).toBe('admission webhook "virt-launcher-eviction-interceptor.kubevirt.io" denied the request: VMI evac-bridge is configured with an eviction strategy but is not live-migratable');
    expect((await c.kubectlJson(['get', 'vmi', 'evac-bridge'])).status.evacuationNodeName).toBeUndefined();
  });

  it('answers a dry-run eviction as a real one but leaves the VMI unmarked', async () => {
    const refused = await evict('evac-a', true);
    expect(refused?.code).toBe(429);
    expect(refused?.message).toBe('admission webhook "virt-launcher-eviction-interceptor.kubevirt.io" denied the request: Eviction triggered evacuation of VMI "default/evac-a"');
    const v = await c.kubectlJson(['get', 'vmi', 'evac-a']);
    expect(v.status.evacuationNodeName).toBeUndefined();
    expect((await c.kubectlJson(['get', 'vmim'])).items.filter((m: any) => m.spec.vmiName === 'evac-a')).toHaveLength(2);
  });

  it('re-registers after a restart of the control plane (new port and CA): evictions are intercepted again', async () => {
    await c.controlPlane.stop();
    await c.startControlPlane();
    // failurePolicy Ignore: a stale registration would let this eviction through instead.
    const refused = await waitFor('eviction intercepted by the new webhook', async () => {
      const r = await evict('evac-b', true);
      return r?.code === 429 ? r : undefined;
    }, { timeoutMs: 30_000 });
    expect(refused.message).toBe('admission webhook "virt-launcher-eviction-interceptor.kubevirt.io" denied the request: Eviction triggered evacuation of VMI "default/evac-b"');
  });
});
