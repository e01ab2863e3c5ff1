import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Informer, KubeClient, type KubeObject } from '@virtsim/kube';
import { startApiServerForTest, type ApiServerHarness } from '@virtsim/testkit/apiserver';
import { waitFor } from '@virtsim/testkit/wait';

// Installing KubeVirt's own CRDs over virtsim's changes the storage version of VMIs (v1 to
// v1alpha3) while the fleet is watching them: every watcher must go on seeing v1 objects.

const WIDGETS = { group: 'example.com', version: 'v1', resource: 'widgets', kind: 'Widget', namespaced: true };
const schema = { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } };
const crd = (versions: Array<{ name: string; storage: boolean }>) => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.com' },
  spec: { group: 'example.com', scope: 'Namespaced', names: { plural: 'widgets', singular: 'widget', kind: 'Widget' }, versions: versions.map((v) => ({ ...v, served: true, schema })) },
});

describe('a CRD whose versions change while it is watched', () => {
  let api: ApiServerHarness;
  let client: KubeClient;

  beforeAll(async () => {
    api = await startApiServerForTest({ inProcess: true });
    client = await KubeClient.fromFile(api.kubeconfigPath);
  });
  afterAll(async () => {
    client?.close();
    await api?.stop();
  });

  it('ends the watches opened before, so a watcher that watches again gets objects in the version it asks for, not the new storage version', async () => {
    await client.request({ method: 'POST', path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', body: crd([{ name: 'v1', storage: true }]) });
    await waitFor('widgets served', () => client.request({ method: 'GET', path: '/apis/example.com/v1/widgets' }).then(() => true));
    const seen: KubeObject[] = [];
    const informer = new Informer(client, { resource: WIDGETS, log: pino({ level: 'silent' }), onEvent: (_t, o) => seen.push(o) });
    informer.start();
    try {
      await waitFor('informer synced', () => informer.hasSynced);
      const current = await client.request<KubeObject>({ method: 'GET', path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com' });
      await client.request({ method: 'PUT', path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com', body: { ...crd([{ name: 'v1', storage: false }, { name: 'v1alpha3', storage: true }]), metadata: current.metadata } });
      await client.request({ method: 'POST', path: '/apis/example.com/v1/namespaces/default/widgets', body: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'after' }, spec: { x: 1 } } });
      const after = await waitFor('the widget created after the change', () => seen.find((o) => o.metadata.name === 'after'), { timeoutMs: 10_000 });
      expect(after.apiVersion).toBe('example.com/v1');
      // Stored in the new storage version all the same.
      const asStored = await client.request<KubeObject>({ method: 'GET', path: '/apis/example.com/v1alpha3/namespaces/default/widgets/after' });
      expect(asStored.apiVersion).toBe('example.com/v1alpha3');
    } finally {
      await informer.stop();
    }
  });
});
