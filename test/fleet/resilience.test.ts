import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'nats';
import { encodeEvent } from '@virtsim/bus';
import { PODS, VMIS, collectionPath, type KubeObject } from '@virtsim/kube';
import { startVirtsim } from '@virtsim/testkit/service-process';
import { waitFor } from '@virtsim/testkit/wait';
import { CONTROLLER, createScheduledVmi, listVmis, metricSum, nodeName, scrape, startFleet, type Fleet } from './harness.ts';

const NODES = 20;

describe('fleet resilience: watcher and NATS restarts, bad input', () => {
  let fleet: Fleet;
  let created = 0;
  const createBatch = async (n: number) => {
    const from = created;
    created += n;
    for (let i = from; i < created; i++) await createScheduledVmi(fleet.client, `vmi-${i}`, nodeName(i % NODES));
  };
  const allRunning = (n: number) =>
    waitFor(`${n} VMIs Running`, async () => {
      const v = await listVmis(fleet.client);
      return v.length === n && v.every((x) => x.status?.phase === 'Running');
    }, { timeoutMs: 60_000 });
  const agentMetrics = async () => Promise.all([...fleet.agents.values()].map((a) => scrape(a.readyValue as string)));

  beforeAll(async () => {
    fleet = await startFleet({ agents: 2, nodes: NODES });
  }, 120_000);
  afterAll(async () => fleet?.stop(), 60_000);

  it('picks up changes made while the watcher was down once it is back', async () => {
    await createBatch(20);
    await allRunning(20);
    await fleet.watcher.stop();
    await createBatch(20); // nobody publishes these now
    fleet.watcher = await startVirtsim(
      'watcher',
      ['watcher', '--kubeconfig', fleet.api.kubeconfigPath, '--nats', fleet.nats.url, '--identity', 'watcher-1'],
      (r) => (r.msg === 'watcher started' ? r.metrics : undefined),
      { logFile: join(fleet.dir, 'watcher-1.log') },
    );
    await allRunning(40);
  });

  it('resyncs from snapshots after a NATS server restart', async () => {
    await fleet.nats.stop();
    await createBatch(20); // the watcher sees these while NATS is down: they cannot be published
    await fleet.nats.restart();
    await allRunning(60);
  });

  it('counts and skips garbage messages, malformed objects, objects on no node and nodes outside the pool', async () => {
    const before = await agentMetrics();
    const nc = await connect({ servers: fleet.nats.url });
    for (let slot = 0; slot < 1024; slot++) nc.publish(`virtsim.ev.${slot}`, new TextEncoder().encode('not json'));
    // Well-formed messages about objects a cluster without validation could hold: mistyped fields on a simulated node.
    const receivedAt = Date.now();
    const malformed = [
      { kind: 'Pod', object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bad-labels', namespace: 'default', labels: { app: 5 } }, spec: { nodeName: nodeName(0) } } },
      { kind: 'VirtualMachineInstance', object: { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'bad-status', namespace: 'default' }, status: 'Running' } },
    ];
    for (const m of malformed) {
      const msg = encodeEvent({ type: 'ADDED', kind: m.kind, node: nodeName(0), object: m.object as unknown as KubeObject, receivedAt });
      nc.publish(msg.subject, msg.data, { headers: msg.headers });
    }
    await nc.flush();
    await nc.close();
    // A VMI nobody scheduled (no node): the control plane's, not an agent's.
    await fleet.client.request({
      method: 'POST',
      path: collectionPath(VMIS, 'default'),
      impersonate: { user: CONTROLLER },
      body: { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'unscheduled', namespace: 'default' }, spec: { domain: { devices: {} } }, status: { phase: 'Pending' } },
    });
    // A pod bound to a node no agent simulates.
    await fleet.client.request({
      method: 'POST',
      path: collectionPath(PODS, 'default'),
      body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'foreign', namespace: 'default' }, spec: { nodeName: 'real-node-1', containers: [{ name: 'c', image: 'x' }] } },
    });
    await waitFor('garbage counted by the agents', async () => {
      const after = await agentMetrics();
      const bad = after.reduce((s, m) => s + metricSum(m, 'virtsim_agent_events_ignored_total', { reason: 'bad_message' }), 0);
      const was = before.reduce((s, m) => s + metricSum(m, 'virtsim_agent_events_ignored_total', { reason: 'bad_message' }), 0);
      return bad - was === 1024; // every slot is owned by one agent: each message counted once
    });
    await waitFor('malformed objects counted by the agent of their node', async () => {
      const ignored = (ms: string[]) => ms.reduce((s, m) => s + metricSum(m, 'virtsim_agent_events_ignored_total', { reason: 'malformed_object' }), 0);
      return ignored(await agentMetrics()) - ignored(before) === malformed.length;
    });
    await waitFor('foreign pod counted as outside the pool', async () => {
      const after = await agentMetrics();
      return after.reduce((s, m) => s + metricSum(m, 'virtsim_agent_events_ignored_total', { reason: 'node_outside_pool' }), 0) >= 1;
    });
    await waitFor('unscheduled VMI counted as unrouted by the watcher', async () => {
      const m = await scrape(fleet.watcher.readyValue as string);
      return metricSum(m, 'virtsim_watcher_events_unrouted_total', { kind: 'VirtualMachineInstance' }) >= 1;
    });
    // ...and the fleet goes on.
    await createBatch(10);
    await waitFor('70 scheduled VMIs Running', async () => {
      const v = await listVmis(fleet.client);
      return v.filter((x) => x.status?.phase === 'Running').length === 70;
    }, { timeoutMs: 60_000 });
    const pending = (await listVmis(fleet.client)).find((v) => v.metadata.name === 'unscheduled');
    expect(pending?.status?.phase).toBe('Pending');
  });

  it('a standby watcher takes over when the leader is killed, and nothing is lost', async () => {
    const standby = await startVirtsim(
      'watcher-standby',
      ['watcher', '--kubeconfig', fleet.api.kubeconfigPath, '--nats', fleet.nats.url, '--identity', 'watcher-standby'],
      (r) => (r.msg === 'watcher started' ? r.metrics : undefined),
      { logFile: join(fleet.dir, 'watcher-standby.log') },
    );
    const leader = fleet.watcher;
    fleet.watcher = standby; // stopped by the fleet at the end
    expect(standby.records.some((r) => r.msg === 'became leader')).toBe(false);
    await leader.kill();
    const killedAt = Date.now();
    await createBatch(10); // published by nobody until the standby leads
    await waitFor('standby leads', () => standby.records.some((r) => r.msg === 'became leader'), { timeoutMs: 30_000 });
    console.log(`standby took over ${Date.now() - killedAt} ms after the leader was killed`);
    await waitFor('80 scheduled VMIs Running', async () => {
      const v = await listVmis(fleet.client);
      return v.filter((x) => x.status?.phase === 'Running').length === 80;
    }, { timeoutMs: 60_000 });
  });

  it('keeps agents on their slots across a coordinator restart', async () => {
    const slotsOf = async () => Promise.all([...fleet.agents.values()].map(async (a) => metricSum(await scrape(a.readyValue as string), 'virtsim_agent_slots_owned')));
    const before = await slotsOf();
    expect(before.reduce((x, y) => x + y, 0)).toBe(1024);
    const port = String(fleet.coordinator.readyValue);
    await fleet.coordinator.stop();
    fleet.coordinator = await startVirtsim(
      'coordinator',
      ['coordinator', '--port', port, '--metrics-port', '0', '--ttl-ms', '3000'],
      (r) => (r.msg === 'coordinator ready' ? r.grpcPort : undefined),
      { logFile: join(fleet.dir, 'coordinator-2.log') },
    );
    await createBatch(10);
    await waitFor('90 scheduled VMIs Running', async () => {
      const v = await listVmis(fleet.client);
      return v.filter((x) => x.status?.phase === 'Running').length === 90;
    }, { timeoutMs: 60_000 });
    // The table is rebuilt from the agents' claims: every agent re-joins claiming what it held,
    // every claim is accepted, no slot moves, nobody gained or lost a slot.
    const coordinator = fleet.coordinator;
    const joins = await waitFor('every agent re-joined', () => {
      const j = coordinator.records.filter((r) => r.msg === 'agent joined');
      return new Set(j.map((r) => r.agentId)).size === fleet.agents.size ? j : undefined;
    });
    expect(joins.every((r) => r.accepted === r.claimed)).toBe(true);
    expect(joins.reduce((n, r) => n + (r.claimed as number), 0)).toBe(1024);
    const epochs = coordinator.records.filter((r) => r.msg === 'epoch');
    expect(epochs.map((r) => r.moves)).toEqual(epochs.map(() => 0));
    expect(await slotsOf()).toEqual(before);
  });
});
