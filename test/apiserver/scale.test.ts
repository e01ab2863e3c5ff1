// The scale subresource as users meet it: `kubectl scale` on Deployments, ReplicationControllers
// and a custom resource whose CRD declares subresources.scale (as KubeVirt's
// VirtualMachineInstanceReplicaSet does), and the autoscaling/v1 Scale read and written raw.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServerForTest, type ApiServerHarness } from '@virtsim/testkit/apiserver';
import { waitFor } from '@virtsim/testkit/wait';
import { rawClient } from './raw-client.ts';

let s: ApiServerHarness;
let raw: ReturnType<typeof rawClient>;

async function ok(args: string[], input?: string): Promise<string> {
  const r = await s.kubectl(args, { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

const DEPLOYMENT = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'edge'] }] },
    template: { metadata: { labels: { app: 'web', tier: 'front' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
  },
};

const REPLICA_SET_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'vmireplicasets.example.io' },
  spec: {
    group: 'example.io',
    scope: 'Namespaced',
    names: { plural: 'vmireplicasets', singular: 'vmireplicaset', kind: 'VMIReplicaSet', shortNames: ['vmirs'] },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.labelSelector' } },
      },
    ],
  },
};

beforeAll(async () => {
  s = await startApiServerForTest();
  raw = rawClient(s.url, s.caPem, s.token);
  await ok(['apply', '-f', '-'], JSON.stringify(DEPLOYMENT));
  await ok(['apply', '-f', '-'], JSON.stringify(REPLICA_SET_CRD));
  await waitFor('the CRD is served', async () => (await s.kubectl(['get', 'vmireplicasets'])).code === 0);
});

afterAll(async () => {
  await s?.stop();
});

describe('scale subresource', () => {
  it('kubectl scale sets a Deployment\'s spec.replicas (a new generation); its Scale carries the selector as a label query', async () => {
    expect(await ok(['scale', 'deployment', 'web', '--replicas', '3'])).toContain('deployment.apps/web scaled');
    const d = JSON.parse(await ok(['get', 'deployment', 'web', '-o', 'json']));
    expect(d.spec.replicas).toBe(3);
    expect(d.metadata.generation).toBe(2);
    const scale = (await raw('GET', '/apis/apps/v1/namespaces/default/deployments/web/scale')).json();
    expect(scale).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 'web', namespace: 'default', uid: d.metadata.uid, resourceVersion: d.metadata.resourceVersion }, spec: { replicas: 3 }, status: { replicas: 0, selector: 'app=web,tier in (edge,front)' } });
    // --current-replicas is checked against the Scale.
    const wrong = await s.kubectl(['scale', 'deployment', 'web', '--current-replicas', '2', '--replicas', '5']);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('Expected replicas to be 2, was 3');
  });

  it('refuses a stale resourceVersion (409) and negative replicas (422), worded as kube-apiserver', async () => {
    const scale = (await raw('GET', '/apis/apps/v1/namespaces/default/deployments/web/scale')).json();
    const stale = { ...scale, metadata: { ...scale.metadata, resourceVersion: '1' }, spec: { replicas: 4 } };
    const conflict = await raw('PUT', '/apis/apps/v1/namespaces/default/deployments/web/scale', JSON.stringify(stale), { 'content-type': 'application/json' });
    expect(conflict.status).toBe(409);
    expect(conflict.json().message).toBe('Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again');
    const negative = await raw('PATCH', '/apis/apps/v1/namespaces/default/deployments/web/scale', JSON.stringify({ spec: { replicas: -1 } }), { 'content-type': 'application/merge-patch+json' });
    expect(negative.status).toBe(422);
    expect(negative.json().message).toBe('Scale.autoscaling "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0');
    const put = await raw('PUT', '/apis/apps/v1/namespaces/default/deployments/web/scale', JSON.stringify({ ...scale, spec: { replicas: 4 } }), { 'content-type': 'application/json' });
    expect(put.status, put.text).toBe(200);
    expect(put.json().spec.replicas).toBe(4);
    expect(JSON.parse(await ok(['get', 'deployment', 'web', '-o', 'json'])).spec.replicas).toBe(4);
  });

  it('scales a ReplicationController, whose selector is a label map', async () => {
    await ok(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'rc', namespace: 'default' }, spec: { replicas: 1, selector: { b: '2', a: '1' }, template: { metadata: { labels: { a: '1', b: '2' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } } }));
    await ok(['scale', 'rc', 'rc', '--replicas', '0']);
    const scale = (await raw('GET', '/api/v1/namespaces/default/replicationcontrollers/rc/scale')).json();
    expect(scale).toMatchObject({ spec: { replicas: 0 }, status: { selector: 'a=1,b=2' } });
  });

  it('serves a custom resource\'s scale at the CRD\'s paths, lists it in discovery, and 404s scale where there is none', async () => {
    await ok(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'example.io/v1', kind: 'VMIReplicaSet', metadata: { name: 'pool', namespace: 'default' }, spec: { replicas: 2 } }));
    await ok(['patch', 'vmirs', 'pool', '--subresource', 'status', '--type', 'merge', '-p', '{"status":{"replicas":2,"labelSelector":"kubevirt.io/vmReplicaSet=pool"}}']);
    expect(await ok(['scale', 'vmirs', 'pool', '--replicas', '7'])).toContain('vmireplicaset.example.io/pool scaled');
    expect(JSON.parse(await ok(['get', 'vmirs', 'pool', '-o', 'json'])).spec.replicas).toBe(7);
    const scale = (await raw('GET', '/apis/example.io/v1/namespaces/default/vmireplicasets/pool/scale')).json();
    expect(scale).toMatchObject({ kind: 'Scale', spec: { replicas: 7 }, status: { replicas: 2, selector: 'kubevirt.io/vmReplicaSet=pool' } });
    const resources = (await raw('GET', '/apis/example.io/v1')).json().resources.map((r: { name: string }) => r.name);
    expect(resources).toContain('vmireplicasets/scale');
    expect((await raw('GET', '/api/v1/namespaces/default/configmaps/x/scale')).status).toBe(404);
  });

  it('scales a custom resource served in a version other than its storage version (KubeVirt v0.59 stores v1alpha3, kubectl asks v1)', async () => {
    const version = (name: string, storage: boolean) => ({ ...REPLICA_SET_CRD.spec.versions[0], name, storage });
    const crd = { ...REPLICA_SET_CRD, metadata: { name: 'oldrs.example.io' }, spec: { ...REPLICA_SET_CRD.spec, names: { plural: 'oldrs', singular: 'oldr', kind: 'OldRS' }, versions: [version('v1', false), version('v1alpha3', true)] } };
    await ok(['apply', '-f', '-'], JSON.stringify(crd));
    await waitFor('the CRD is served', async () => (await s.kubectl(['get', 'oldrs'])).code === 0);
    await ok(['create', '-f', '-'], JSON.stringify({ apiVersion: 'example.io/v1', kind: 'OldRS', metadata: { name: 'old', namespace: 'default' }, spec: { replicas: 3 } }));
    expect(await ok(['scale', 'oldrs', 'old', '--replicas', '1'])).toContain('oldrs.example.io/old scaled');
    const put = await raw('PUT', '/apis/example.io/v1/namespaces/default/oldrs/old/scale', JSON.stringify({ apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'old', namespace: 'default' }, spec: { replicas: 2 } }), { 'content-type': 'application/json' });
    expect(put.status).toBe(200);
    const got = JSON.parse(await ok(['get', 'oldrs', 'old', '-o', 'json']));
    expect(got).toMatchObject({ apiVersion: 'example.io/v1', spec: { replicas: 2 } });
  });
});
