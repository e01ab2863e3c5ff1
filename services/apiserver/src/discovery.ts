/**
 * API discovery, in both forms kubectl 1.32 uses: the legacy documents (/api, /apis, /apis/<g>,
 * /apis/<g>/<v>, /api/v1) and aggregated discovery (apidiscovery.k8s.io/v2 APIGroupDiscoveryList
 * on /api and /apis when the Accept header asks for it). Rebuilt only when the registry changes.
 */
import { apiVersionOf, sortVersions, type DiscoverySubresource, type ResourceRegistry, type ResourceType } from './resources.ts';

type Obj = Record<string, unknown>;

export const AGGREGATED_V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
export const AGGREGATED_V2BETA1 = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';

/** Which aggregated form the Accept header asks for, if any (first listed wins). */
export function aggregatedFormat(accept: string | undefined): 'v2' | 'v2beta1' | null {
  if (!accept || !accept.includes('as=APIGroupDiscoveryList')) return null;
  for (const part of accept.split(',')) {
    if (!part.includes('as=APIGroupDiscoveryList') || !part.includes('g=apidiscovery.k8s.io')) continue;
    if (/;\s*v=v2beta1/.test(part)) return 'v2beta1';
    if (/;\s*v=v2(\s*;|\s*$)/.test(part)) return 'v2';
  }
  return null;
}

/** A resource's subresources as discovery lists them: a built-in's as 1.26 lists them, else status (and binding). */
function subresourcesOf(rt: ResourceType): DiscoverySubresource[] {
  if (rt.discoverySubresources) return rt.discoverySubresources;
  const subs = [...(rt.hasStatus ? ['status'] : []), ...rt.extraSubresources];
  const out: DiscoverySubresource[] = subs.map((name) => (name === 'binding' ? { name, kind: 'Binding', verbs: ['create'] } : { name, kind: rt.kind, verbs: ['get', 'patch', 'update'] }));
  if (rt.scale) out.push({ name: 'scale', kind: 'Scale', verbs: ['get', 'patch', 'update'], group: 'autoscaling', version: 'v1' });
  return out;
}

export class Discovery {
  private readonly registry: ResourceRegistry;
  private cachedAt = -1;
  private cache = new Map<string, string>();

  constructor(registry: ResourceRegistry) {
    this.registry = registry;
  }

  private cached(key: string, build: () => Obj): string {
    if (this.cachedAt !== this.registry.generation) {
      this.cache.clear();
      this.cachedAt = this.registry.generation;
    }
    let s = this.cache.get(key);
    if (s === undefined) {
      s = JSON.stringify(build());
      this.cache.set(key, s);
    }
    return s;
  }

  apiVersions(serverAddress: string): string {
    return this.cached('api', () => ({
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
    }));
  }

  private groupDoc(group: string, versions: string[]): Obj {
    const sorted = sortVersions(versions);
    const gv = (v: string) => ({ groupVersion: `${group}/${v}`, version: v });
    return { name: group, versions: sorted.map(gv), preferredVersion: gv(sorted[0]) };
  }

  apiGroupList(): string {
    return this.cached('apis', () => {
      const groups: Obj[] = [];
      for (const [g, versions] of this.registry.groups()) if (g) groups.push(this.groupDoc(g, [...versions.keys()]));
      return { kind: 'APIGroupList', apiVersion: 'v1', groups };
    });
  }

  apiGroup(group: string): string | undefined {
    const versions = this.registry.groups().get(group);
    if (!group || !versions) return undefined;
    return this.cached(`g:${group}`, () => ({ kind: 'APIGroup', apiVersion: 'v1', ...this.groupDoc(group, [...versions.keys()]) }));
  }

  resourceList(group: string, version: string): string | undefined {
    const rts = this.registry.groups().get(group)?.get(version);
    if (!rts) return undefined;
    return this.cached(`r:${group}/${version}`, () => {
      const resources: Obj[] = [];
      for (const rt of rts) {
        const r: Obj = { name: rt.resource, singularName: rt.singular, namespaced: rt.namespaced, kind: rt.kind, verbs: rt.verbs };
        if (rt.shortNames.length) r.shortNames = rt.shortNames;
        if (rt.categories.length) r.categories = rt.categories;
        resources.push(r);
        for (const sub of subresourcesOf(rt)) {
          const doc: Obj = { name: `${rt.resource}/${sub.name}`, singularName: '', namespaced: rt.namespaced };
          if (sub.group !== undefined) Object.assign(doc, { group: sub.group, version: sub.version });
          resources.push(Object.assign(doc, { kind: sub.kind, verbs: sub.verbs }));
        }
      }
      return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf({ group, version }), resources };
    });
  }

  private discoveryResource(rt: ResourceType): Obj {
    const r: Obj = {
      resource: rt.resource,
      responseKind: { group: rt.group, version: rt.version, kind: rt.kind },
      scope: rt.namespaced ? 'Namespaced' : 'Cluster',
      singularResource: rt.singular,
      verbs: rt.verbs,
    };
    if (rt.shortNames.length) r.shortNames = rt.shortNames;
    if (rt.categories.length) r.categories = rt.categories;
    const subs = subresourcesOf(rt);
    if (subs.length)
      r.subresources = subs.map((sub) => ({
        subresource: sub.name,
        responseKind: { group: sub.group ?? rt.group, version: sub.version ?? rt.version, kind: sub.kind },
        verbs: sub.verbs,
      }));
    return r;
  }

  /** The aggregated document for the core group (/api) or all named groups (/apis). */
  aggregated(core: boolean, format: 'v2' | 'v2beta1'): string {
    return this.cached(`agg:${core}:${format}`, () => {
      const items: Obj[] = [];
      for (const [g, versions] of this.registry.groups()) {
        if (core !== (g === '')) continue;
        items.push({
          metadata: { name: g, creationTimestamp: null },
          versions: sortVersions([...versions.keys()]).map((v) => ({
            version: v,
            resources: versions.get(v)!.map((rt) => this.discoveryResource(rt)),
            freshness: 'Current',
          })),
        });
      }
      return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${format}`, metadata: {}, items };
    });
  }
}
