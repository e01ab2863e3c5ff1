import type { FieldError, PatchSchema } from '@virtsim/apimachinery';
import { BUILTIN_CATALOG } from './builtin-catalog.ts';
import { BUILTIN_SCALE } from './builtin-scale.ts';
import { eventFieldToCore, eventFromCore, eventToCore } from './event-conversion.ts';

/** What the server serves: one ResourceType per group/version/resource, built-in or from a CRD. */

export interface PrinterColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority: number;
  /** CRD columns: a JSONPath; built-in columns compute their cell in table.ts. */
  jsonPath?: string;
}

export interface ResourceType {
  group: string;
  version: string;
  resource: string;
  kind: string;
  listKind: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  /** Shared by all versions of a resource: objects are stored once. */
  storeKey: string;
  /** The version objects are kept in; others are served by rewriting apiVersion. */
  storageVersion: string;
  hasStatus: boolean;
  columns: PrinterColumn[] | null;
  /** Subresources served besides status (pods: binding). */
  extraSubresources: string[];
  /** Set for custom resources. */
  crd?: CustomResourceInfo;
  /** Set when the kind has a scale subresource. */
  scale?: ScaleSpec;
  /**
   * The subresources discovery lists, as kube-apiserver 1.26 lists them (built-ins). Only status,
   * scale, pods/binding, pods/eviction, serviceaccounts/token and namespaces/finalize are served;
   * the others answer 404.
   */
  discoverySubresources?: DiscoverySubresource[];
  /**
   * Served from another kind's storage (events.k8s.io Events are core Events): the handlers
   * convert bodies with `toStored` and answers with `fromStored`, and write through `storedAs`.
   */
  convert?: { /** `group/version/resource` of the storage kind. */ storedAs: string; toStored(o: Record<string, any>): Record<string, any>; fromStored(o: Record<string, any>): Record<string, any>; field(f: string): string };
}

/** Where a scalable kind keeps its replica counts and selector (a CRD's subresources.scale, or a built-in's). */
export interface ScaleSpec {
  specReplicasPath: string;
  statusReplicasPath: string;
  /** apps kinds: spec.selector (a LabelSelector); an RC: spec.selector (a label map); a CRD: a string at labelSelectorPath, if it names one. */
  selector?: { from: 'spec.selector' } | { from: 'spec.selector map' } | { from: 'path'; path: string };
}

export interface DiscoverySubresource {
  name: string;
  kind: string;
  verbs: string[];
  /** Set when the subresource answers another group's kind (deployments/scale: autoscaling/v1 Scale). */
  group?: string;
  version?: string;
}

export interface CustomResourceInfo {
  crdName: string;
  /** Validates, prunes and defaults an object in place; returns field errors. Absent without a schema. */
  admit?: (obj: Record<string, unknown>) => FieldError[];
  /** List semantics (x-kubernetes-list-type) for server-side apply. */
  patchSchema?: PatchSchema;
  /** The version's openAPIV3Schema, for /openapi/v3. */
  schema?: unknown;
}

export const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export function apiVersionOf(rt: { group: string; version: string }): string {
  return rt.group ? `${rt.group}/${rt.version}` : rt.version;
}

function builtin(
  group: string,
  version: string,
  resource: string,
  kind: string,
  namespaced: boolean,
  opts: { shortNames?: string[]; categories?: string[]; status?: boolean; extra?: string[] } = {},
): ResourceType {
  return {
    group,
    version,
    resource,
    kind,
    listKind: kind + 'List',
    singular: kind.toLowerCase(),
    namespaced,
    shortNames: opts.shortNames ?? [],
    categories: opts.categories ?? [],
    verbs: ALL_VERBS,
    storeKey: `${group}/${resource}`,
    storageVersion: version,
    hasStatus: opts.status ?? false,
    columns: null,
    extraSubresources: opts.extra ?? [],
  };
}

export const BUILTIN_RESOURCES: ResourceType[] = [
  builtin('', 'v1', 'namespaces', 'Namespace', false, { shortNames: ['ns'], status: true }),
  builtin('', 'v1', 'nodes', 'Node', false, { shortNames: ['no'], status: true }),
  builtin('', 'v1', 'pods', 'Pod', true, { shortNames: ['po'], categories: ['all'], status: true, extra: ['binding', 'eviction'] }),
  builtin('', 'v1', 'events', 'Event', true, { shortNames: ['ev'] }),
  builtin('', 'v1', 'configmaps', 'ConfigMap', true, { shortNames: ['cm'] }),
  builtin('', 'v1', 'secrets', 'Secret', true),
  builtin('', 'v1', 'serviceaccounts', 'ServiceAccount', true, { shortNames: ['sa'], extra: ['token'] }),
  { ...builtin('events.k8s.io', 'v1', 'events', 'Event', true, { shortNames: ['ev'] }), storeKey: '/events', convert: { storedAs: '/v1/events', toStored: eventToCore, fromStored: eventFromCore, field: eventFieldToCore } },
  builtin('coordination.k8s.io', 'v1', 'leases', 'Lease', true),
  builtin('apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', false, {
    shortNames: ['crd', 'crds'],
    categories: ['api-extensions'],
    status: true,
  }),
];

/**
 * Resources whose objects are never stored (reviews answered at once, the legacy bindings and
 * componentstatuses): not served yet, so left out of discovery rather than stored as plain objects.
 * (The access and rules reviews and TokenReview are served, create only: access-review.ts, token-review.ts.)
 */
const VIRTUAL_RESOURCES = new Set(['bindings', 'componentstatuses']);

/**
 * Every other built-in resource of Kubernetes 1.26 (builtin-catalog.ts): the kinds with behaviour
 * of their own above, the rest with generic storage (create, read, list, watch, update, patch,
 * delete, status where they have one). A resource served in several versions is stored in its
 * preferred one; the others are served by rewriting apiVersion.
 */
function catalogResources(special: ResourceType[]): ResourceType[] {
  const byPath = new Map(special.map((rt) => [`${rt.group}/${rt.version}/${rt.resource}`, rt]));
  const versionsOf = new Map<string, string[]>();
  for (const [g, v, r] of BUILTIN_CATALOG) versionsOf.set(`${g}/${r}`, [...(versionsOf.get(`${g}/${r}`) ?? []), v]);
  const out: ResourceType[] = [];
  for (const [group, version, resource, kind, namespaced, verbs, shortNames, categories, subs] of BUILTIN_CATALOG) {
    if (VIRTUAL_RESOURCES.has(resource)) continue;
    const discoverySubresources = subs.map(([name, k, v, g, ver]) => ({ name, kind: k, verbs: v, ...(g !== undefined ? { group: g, version: ver } : {}) }));
    const existing = byPath.get(`${group}/${version}/${resource}`);
    if (existing) {
      existing.verbs = verbs;
      existing.discoverySubresources = discoverySubresources;
      continue;
    }
    const rt = builtin(group, version, resource, kind, namespaced, { shortNames, categories, status: subs.some(([n]) => n === 'status') });
    rt.verbs = verbs;
    rt.storageVersion = sortVersions(versionsOf.get(`${group}/${resource}`)!)[0]!;
    rt.discoverySubresources = discoverySubresources;
    if (subs.some(([n]) => n === 'scale')) rt.scale = BUILTIN_SCALE[rt.storeKey];
    out.push(rt);
  }
  return out;
}

BUILTIN_RESOURCES.push(...catalogResources(BUILTIN_RESOURCES));

/** Looks up resource types by path and kind; CRDs add and remove theirs at run time. */
export class ResourceRegistry {
  private readonly byPath = new Map<string, ResourceType>();
  private version = 0;

  constructor() {
    for (const rt of BUILTIN_RESOURCES) this.add(rt);
  }

  /** Bumps on every change, so discovery documents can be cached until then. */
  get generation(): number {
    return this.version;
  }

  add(rt: ResourceType): void {
    this.byPath.set(`${rt.group}/${rt.version}/${rt.resource}`, rt);
    this.version++;
  }

  removeCrd(crdName: string): void {
    for (const [k, rt] of this.byPath) if (rt.crd?.crdName === crdName) this.byPath.delete(k);
    this.version++;
  }

  get(group: string, version: string, resource: string): ResourceType | undefined {
    return this.byPath.get(`${group}/${version}/${resource}`);
  }

  /** Is `group` one of the server's own (built-in) groups, as opposed to a CRD's or an unknown one? */
  isBuiltinGroup(group: string): boolean {
    for (const rt of this.byPath.values()) if (rt.group === group && !rt.crd) return true;
    return false;
  }

  /** By group and kind, any served version (ownerReference and apiVersion checks). */
  byKind(group: string, version: string, kind: string): ResourceType | undefined {
    for (const rt of this.byPath.values()) if (rt.group === group && rt.version === version && rt.kind === kind) return rt;
    return undefined;
  }

  all(): ResourceType[] {
    return [...this.byPath.values()];
  }

  /** Groups with their versions, in the order kube-apiserver lists them (core first, then by name). */
  groups(): Map<string, Map<string, ResourceType[]>> {
    const out = new Map<string, Map<string, ResourceType[]>>();
    const all = this.all().sort((a, b) => (a.group === b.group ? 0 : a.group === '' ? -1 : b.group === '' ? 1 : a.group < b.group ? -1 : 1));
    for (const rt of all) {
      let g = out.get(rt.group);
      if (!g) out.set(rt.group, (g = new Map()));
      let v = g.get(rt.version);
      if (!v) g.set(rt.version, (v = []));
      v.push(rt);
    }
    return out;
  }

  /** The preferred version of a group: the storage version of its first resource, else the first. */
  preferredVersion(group: string): string | undefined {
    const g = this.groups().get(group);
    if (!g) return undefined;
    const versions = [...g.keys()];
    return sortVersions(versions)[0];
  }
}

/** Kubernetes version priority: GA > beta > alpha, higher numbers first. */
export function sortVersions(vs: string[]): string[] {
  const rank = (v: string): [number, number, number] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [0, 0, 0];
    const stage = m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1;
    return [stage, Number(m[1]), Number(m[3] ?? 0)];
  };
  return [...vs].sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    for (let i = 0; i < 3; i++) if (ra[i] !== rb[i]) return rb[i] - ra[i];
    return a < b ? -1 : 1;
  });
}
