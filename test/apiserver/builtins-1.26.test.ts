// Every built-in resource of Kubernetes 1.26: discovery as the real server answers it (the
// recorded documents in the reference data), and a create/get/list/update/patch/delete round trip
// for each kind served with generic storage.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServerForTest, type ApiServerHarness } from '@virtsim/testkit/apiserver';
import { referenceDir } from '@virtsim/testkit/reference';
import { BUILTIN_CATALOG } from '../../services/apiserver/src/builtin-catalog.ts';
import { rawClient } from './raw-client.ts';

// Reviews answered at once (never stored) and the legacy bindings/componentstatuses (not served yet).
const VIRTUAL = new Set(['bindings', 'componentstatuses', 'tokenreviews', 'localsubjectaccessreviews', 'selfsubjectaccessreviews', 'selfsubjectrulesreviews', 'subjectaccessreviews']);
// (The access reviews are answered, never stored: test/apiserver/rbac.test.ts; TokenReview: sa-tokens.test.ts.)
// Kinds with behaviour of their own, covered by their own tests.
// (RBAC bindings must name a role: test/apiserver/rbac.test.ts.)
const SPECIAL = new Set(['namespaces', 'nodes', 'pods', 'events', 'configmaps', 'secrets', 'serviceaccounts', 'leases', 'customresourcedefinitions', 'rolebindings', 'clusterrolebindings']);

let discoveryDir: string | undefined;
try {
  discoveryDir = join(referenceDir(), 'kubernetes-1.26', 'discovery');
  if (!existsSync(discoveryDir)) discoveryDir = undefined;
} catch {
  discoveryDir = undefined;
}

let s: ApiServerHarness;
let raw: ReturnType<typeof rawClient>;
const JSON_CT = { 'content-type': 'application/json' };

beforeAll(async () => {
  s = await startApiServerForTest({ args: ['--no-audit'] });
  raw = rawClient(s.url, s.caPem, s.token);
});
afterAll(async () => s?.stop());

interface ApiResource { name: string; namespaced: boolean; kind: string; verbs: string[]; shortNames?: string[]; categories?: string[]; group?: string; version?: string }
const comparable = (r: ApiResource) => ({
  name: r.name,
  namespaced: r.namespaced,
  kind: r.kind,
  verbs: [...r.verbs].sort(),
  shortNames: r.shortNames ?? [],
  categories: r.categories ?? [],
  group: r.group,
  version: r.version,
});

describe.skipIf(!discoveryDir)('discovery of every built-in group/version (reference data: kubernetes-1.26/discovery)', () => {
  it('lists the resources, kinds, verbs, scopes, short names, categories and subresources the real server lists', async () => {
    const files = readdirSync(discoveryDir!).filter((f) => f.startsWith('api-') || f.startsWith('apis-'));
    expect(files.length).toBeGreaterThan(20);
    for (const file of files) {
      const recorded = JSON.parse(readFileSync(join(discoveryDir!, file), 'utf8')) as { groupVersion: string; resources: ApiResource[] };
      const path = recorded.groupVersion.includes('/') ? `/apis/${recorded.groupVersion}` : '/api/v1';
      const want = recorded.resources.filter((r) => !VIRTUAL.has(r.name.split('/')[0]!)).map(comparable);
      if (want.length === 0) continue;
      const r = await raw('GET', path);
      expect(r.status, path).toBe(200);
      const got = (r.json().resources as ApiResource[]).map(comparable);
      const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : 1);
      expect(got.sort(byName), path).toEqual(want.sort(byName));
    }
  });
});

describe('generic storage for the built-in kinds without behaviour of their own', () => {
  const generic = BUILTIN_CATALOG.filter(([, , resource]) => !VIRTUAL.has(resource) && !SPECIAL.has(resource));

  it('creates, reads, lists, updates, patches and deletes one object of each', async () => {
    expect(generic.length).toBeGreaterThan(35);
    for (const [group, version, resource, kind, namespaced] of generic) {
      const apiVersion = group ? `${group}/${version}` : version;
      const base = `${group ? `/apis/${group}/${version}` : '/api/v1'}${namespaced ? '/namespaces/default' : ''}/${resource}`;
      const name = `rt-${version}`;
      const what = `${apiVersion} ${resource}`;
      const created = await raw('POST', base, JSON.stringify({ apiVersion, kind, metadata: { name, labels: { round: 'trip' } } }), JSON_CT);
      expect(created.status, `${what}: ${created.text}`).toBe(201);
      expect(created.json()).toMatchObject({ apiVersion, kind, metadata: { name, uid: expect.any(String) } });
      expect((await raw('GET', `${base}/${name}`)).json().metadata.name, what).toBe(name);
      const list = (await raw('GET', `${base}?labelSelector=round%3Dtrip`)).json();
      expect(list.kind, what).toBe(`${kind}List`);
      expect(list.items.map((i: { metadata: { name: string } }) => i.metadata.name), what).toContain(name);
      const patched = await raw('PATCH', `${base}/${name}`, JSON.stringify({ metadata: { annotations: { patched: 'yes' } } }), { 'content-type': 'application/merge-patch+json' });
      expect(patched.json().metadata.annotations, `${what}: ${patched.text}`).toEqual({ patched: 'yes' });
      const updated = await raw('PUT', `${base}/${name}`, JSON.stringify({ ...patched.json(), metadata: { ...patched.json().metadata, labels: { round: 'trip', updated: 'yes' } } }), JSON_CT);
      expect(updated.json().metadata.labels, `${what}: ${updated.text}`).toEqual({ round: 'trip', updated: 'yes' });
      expect((await raw('DELETE', `${base}/${name}`)).status, what).toBe(200);
      expect((await raw('GET', `${base}/${name}`)).status, what).toBe(404);
    }
  });
});
