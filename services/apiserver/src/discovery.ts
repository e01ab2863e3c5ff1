/**
 * API discovery, in both forms kubectl 1.32 uses: the legacy documents (/api, /apis, /apis/<g>,
 * /apis/<g>/<v>, /api/v1) and aggregated discovery (apidiscovery.k8s.io/v2 APIGroupDiscoveryList
 * on /api and /apis when the Accept header asks for it). Rebuilt only when the registry or the
 * aggregated APIServices change. Aggregated groups (APIServices with a backend) follow the local
 * ones, in kube-aggregator's priority order; /apis/<g>/<v> of those is proxied, not answered here.
 */
import { orderGroups, type ApiResourceList, type ApiServiceRegistry } from './apiservice-registry.ts';
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

/**
 * A backend's APIResourceList as aggregated discovery resources: `a/b` entries become
 * subresources of `a`; a subresource whose parent is not listed (KubeVirt's
 * subresources.kubevirt.io lists only those) gets a parent with no verbs, as kube's converter does.
 */
export function remoteDiscoveryResources(list: ApiResourceList, group: string, version: string): Obj[] {
  const parents = new Map<string, Obj>();
  const subs: Array<[string, Obj]> = [];
  for (const r of list.resources ?? []) {
    const name = String(r.name ?? '');
    const kind = { group: r.group ?? group, version: r.version ?? version, kind: r.kind ?? '' };
    const scope = r.namespaced ? 'Namespaced' : 'Cluster';
    const slash = name.indexOf('/');
    if (slash >= 0) {
      subs.push([name.slice(0, slash), { subresource: name.slice(slash + 1), responseKind: kind, verbs: r.verbs ?? [], _scope: scope }]);
      continue;
    }
    const d: Obj = { resource: name, responseKind: kind, scope, singularResource: r.singularName ?? '', verbs: r.verbs ?? [] };
    if (Array.isArray(r.shortNames) && r.shortNames.length) d.shortNames = r.shortNames;
    if (Array.isArray(r.categories) && r.categories.length) d.categories = r.categories;
    parents.set(name, d);
  }
  for (const [parent, sub] of subs) {
    let p = parents.get(parent);
    if (!p) {
      p = { resource: parent, responseKind: { group: '', version: '', kind: '' }, scope: sub._scope, singularResource: '', verbs: [] };
      parents.set(parent, p);
    }
    delete sub._scope;
    ((p.subresources as Obj[] | undefined) ?? (p.subresources = [])).push(sub);
  }
  return [...parents.values()];
}

export class Discovery {
  private readonly registry: ResourceRegistry;
  private readonly apiServices: ApiServiceRegistry | undefined;
  private cachedAt = '';
  private cache = new Map<string, string>();

  constructor(registry: ResourceRegistry, apiServices?: ApiServiceRegistry) {
    this.registry = registry;
    this.apiServices = apiServices;
  }

  private cached(key: string, build: () => Obj): string {
    const generation = `${this.registry.generation}/${this.apiServices?.generation ?? 0}`;
    if (this.cachedAt !== generation) {
      this.cache.clear();
      this.cachedAt = generation;
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

  /** A group's document; a backend's versions (already in priority order) come first, as their APIServices' priority puts them. */
  private groupDoc(group: string, versions: string[], remote: string[] = []): Obj {
    const sorted = [...remote, ...sortVersions(versions.filter((v) => !remote.includes(v)))];
    const gv = (v: string) => ({ groupVersion: `${group}/${v}`, version: v });
    return { name: group, versions: sorted.map(gv), preferredVersion: gv(sorted[0]) };
  }

  apiGroupList(): string {
    return this.cached('apis', () => {
      const groups: Obj[] = [];
      const remote = this.remoteGroups();
      for (const [g, versions] of this.registry.groups()) if (g) groups.push(this.groupDoc(g, [...versions.keys()], remote.get(g)));
      for (const [g, versions] of remote) if (!this.registry.groups().has(g)) groups.push(this.groupDoc(g, [], versions));
      return { kind: 'APIGroupList', apiVersion: 'v1', groups };
    });
  }

  /** Aggregated groups and their versions, in priority order (Map keeps it). */
  private remoteGroups(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    if (this.apiServices) for (const { group, versions } of orderGroups(this.apiServices.all())) if (group) out.set(group, versions);
    return out;
  }

  apiGroup(group: string): string | undefined {
    const versions = this.registry.groups().get(group);
    const remote = this.remoteGroups().get(group);
    if (!group || (!versions && !remote)) return undefined;
    return this.cached(`g:${group}`, () => ({ kind: 'APIGroup', apiVersion: 'v1', ...this.groupDoc(group, [...(versions?.keys() ?? [])], remote) }));
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

  /**
   * Aggregated groups in the aggregated document: each version with the resources its backend
   * listed at the last availability check; an unavailable one is Stale (kubectl then reports the
   * group as failing, as it reports a 503 from a 1.26 server's /apis/<g>/<v>).
   */
  private remoteItems(): Obj[] {
    const items: Obj[] = [];
    const reg = this.apiServices;
    if (!reg) return items;
    for (const { group, versions } of orderGroups(reg.all())) {
      if (!group || this.registry.groups().has(group)) continue;
      const entries = versions.map((v) => {
        const api = reg.all().find((a) => a.group === group && a.version === v)!;
        const list = reg.resourceList(api.name);
        return { version: v, resources: list ? remoteDiscoveryResources(list, group, v) : [], freshness: api.available && list ? 'Current' : 'Stale' };
      });
      items.push({ metadata: { name: group, creationTimestamp: null }, versions: entries });
    }
    return items;
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
      if (!core) items.push(...this.remoteItems());
      return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${format}`, metadata: {}, items };
    });
  }
}
