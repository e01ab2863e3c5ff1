import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODES, collectionPath, type KubeObject } from '@virtsim/kube';
import { waitFor } from '@virtsim/testkit/wait';
import { listNodes, startFleet, type Fleet } from './harness.ts';

const STAGES = fileURLToPath(new URL('../../stages', import.meta.url));

const labelStage = (value: string) => `
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata: { name: node-team-label }
spec:
  resourceRef: { apiGroup: v1, kind: Node }
  # Weight > 0 wins over the weight-0 heartbeat stages that match the same nodes (KWOK's rule).
  weight: 1
  selector:
    matchExpressions:
    - { key: '.metadata.labels.team', operator: NotIn, values: ['${value}'] }
  next:
    patches:
    - type: merge
      template: '{metadata: {labels: {team: "${value}"}}}'
`;

describe('agents playing the Stage objects of the cluster', () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await startFleet({ agents: 1, nodes: 5, agentArgs: ['--stages-from-cluster'] });
  }, 120_000);
  afterAll(async () => fleet?.stop(), 60_000);

  it('runs the stages applied with kubectl, and a changed Stage takes effect without a restart', async () => {
    const applied = await fleet.api.kubectl(['apply', '-k', `${STAGES}/node`]);
    expect(applied.code, applied.stderr).toBe(0);
    const ready = (n: KubeObject) => n.status?.conditions?.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True');
    await waitFor('5 nodes Ready from cluster stages', async () => (await listNodes(fleet.client)).filter(ready).length === 5, { timeoutMs: 60_000 });

    expect((await fleet.api.kubectl(['apply', '-f', '-'], { input: labelStage('blue') })).code).toBe(0);
    await waitFor('nodes labelled blue', async () => (await listNodes(fleet.client)).every((n) => n.metadata.labels?.team === 'blue'));
    expect((await fleet.api.kubectl(['apply', '-f', '-'], { input: labelStage('green') })).code).toBe(0);
    await waitFor('nodes relabelled green', async () => (await listNodes(fleet.client)).every((n) => n.metadata.labels?.team === 'green'));
  });

  it('keeps the last good set when a Stage change does not validate', async () => {
    const broken = labelStage('red').replace("operator: NotIn, values: ['red']", 'operator: In, values: []');
    const r = await fleet.api.kubectl(['apply', '-f', '-'], { input: broken });
    expect(r.code, r.stderr).toBe(0);
    const agentLog = fleet.agents.get('agent-0')!;
    await waitFor('refusal logged', () => agentLog.records.some((rec) => String(rec.msg).endsWith('refused, keeping the last good set') && rec.stage === 'node-team-label'));
    const node = await fleet.client.request<KubeObject>({ method: 'GET', path: `${collectionPath(NODES)}/virtsim-node-00000` });
    expect(node.metadata.labels?.team).toBe('green');
  });
});
