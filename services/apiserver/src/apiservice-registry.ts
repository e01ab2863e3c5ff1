/**
 * The APIServices that name a backend Service (`spec.service`), kept current from the store's
 * events: which `/apis/<group>/<version>` subtrees are proxied, where to, how to verify the
 * backend, whether it is Available (from the object's own status, which the availability
 * controller writes, as kube-aggregator's proxy reads it) and the backend's last resource list
 * (for aggregated discovery). APIServices without `spec.service` are local: the built-in and CRD
 * groups this server serves itself, left alone.
 */
import type { Store, StoredEvent } from './store.ts';

export const APISERVICES_KEY = 'apiregistration.k8s.io/apiservices';

export interface ServiceRef {
  namespace: string;
  name: string;
  port: number;
}

export interface AggregatedApi {
  /** The APIService's name (`v1.subresources.kubevirt.io`). */
  name: string;
  group: string;
  version: string;
  service: ServiceRef;
  /** PEM of spec.caBundle (empty: none given). */
  caPem: string;
  insecureSkipTLSVerify: boolean;
  groupPriorityMinimum: number;
  versionPriority: number;
  /** status.conditions[type=Available].status === "True". */
  available: boolean;
  /** The spec as a string: what a recheck is wanted for when it changes. */
  specKey: string;
}

/** An APIResourceList as a backend answers it on /apis/<group>/<version>. */
export interface ApiResourceList {
  groupVersion?: string;
  resources?: Array<Record<string, any>>;
}

type Obj = Record<string, any>;

/** The aggregated API an APIService names, or null for a local one (no spec.service). */
export function parseApiService(obj: Obj): AggregatedApi | null {
  const spec = obj.spec ?? {};
  const svc = spec.service;
  if (!svc || typeof svc !== 'object' || !svc.name || !spec.version) return null;
  const conds: Obj[] = Array.isArray(obj.status?.conditions) ? obj.status.conditions : [];
  return {
    name: String(obj.metadata?.name ?? ''),
    group: String(spec.group ?? ''),
    version: String(spec.version),
    service: { namespace: String(svc.namespace ?? 'default'), name: String(svc.name), port: typeof svc.port === 'number' ? svc.port : 443 },
    caPem: spec.caBundle ? Buffer.from(String(spec.caBundle), 'base64').toString('utf8') : '',
    insecureSkipTLSVerify: spec.insecureSkipTLSVerify === true,
    groupPriorityMinimum: Number(spec.groupPriorityMinimum ?? 0),
    versionPriority: Number(spec.versionPriority ?? 0),
    available: conds.some((c) => c.type === 'Available' && c.status === 'True'),
    specKey: JSON.stringify(spec),
  };
}

/** kube's version order (v1 > v1beta2 > v1beta1 > v1alpha1 > other) as a comparable tuple. */
function versionRank(v: string): [number, number, number, string] {
  const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
  if (!m) return [0, 0, 0, v];
  const stage = m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1;
  return [stage > 0 ? 1 : 0, stage, Number(m[1]) * 1000 + Number(m[3] ?? 0), ''];
}

function kubeVersionCompare(a: string, b: string): number {
  const [x, y] = [versionRank(a), versionRank(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return (y[i] as number) - (x[i] as number);
  return x[3] < y[3] ? -1 : x[3] > y[3] ? 1 : 0;
}

/**
 * Aggregated groups in kube-aggregator's discovery order: by the highest groupPriorityMinimum of
 * the group's APIServices (descending), then by name; each group's versions by versionPriority
 * (descending), then in kube's version order.
 */
export function orderGroups(apis: Iterable<AggregatedApi>): Array<{ group: string; versions: string[] }> {
  const byGroup = new Map<string, AggregatedApi[]>();
  for (const a of apis) {
    const list = byGroup.get(a.group) ?? [];
    list.push(a);
    byGroup.set(a.group, list);
  }
  const prio = (list: AggregatedApi[]) => Math.max(...list.map((a) => a.groupPriorityMinimum));
  return [...byGroup.entries()]
    .sort(([ga, la], [gb, lb]) => prio(lb) - prio(la) || (ga < gb ? -1 : ga > gb ? 1 : 0))
    .map(([group, list]) => ({
      group,
      versions: [...list].sort((a, b) => b.versionPriority - a.versionPriority || kubeVersionCompare(a.version, b.version)).map((a) => a.version),
    }));
}

/** `/apis/<group>/<version>[/...]` -> group and version; null for any other path. */
export function groupVersionOf(path: string): { group: string; version: string } | null {
  const m = /^\/apis\/([^/]+)\/([^/]+)(?:\/|$)/.exec(path);
  return m ? { group: m[1]!, version: m[2]! } : null;
}

export class ApiServiceRegistry {
  private readonly apis = new Map<string, AggregatedApi>();
  /** `group/version` -> the APIService serving it: one lookup per request. */
  private readonly byGroupVersion = new Map<string, AggregatedApi>();
  private readonly resources = new Map<string, ApiResourceList>();
  /** Bumped on every change discovery shows: a cached document older than this is stale. */
  generation = 0;
  /** Called with the APIService's name when one is added, changed or deleted. */
  readonly listeners: Array<(name: string, api: AggregatedApi | undefined, prev: AggregatedApi | undefined) => void> = [];
  private readonly store: Store;

  constructor(store: Store) {
    this.store = store;
    for (const e of store.scan(APISERVICES_KEY, undefined)) this.set(e.name, JSON.parse(e.json));
    store.onEvent((ev) => this.onEvent(ev));
  }

  private onEvent(ev: StoredEvent): void {
    if (ev.storeKey !== APISERVICES_KEY) return;
    this.set(ev.name, ev.type === 'DELETED' ? null : JSON.parse(ev.json));
  }

  private set(name: string, obj: Obj | null): void {
    const prev = this.apis.get(name);
    const api = obj ? parseApiService(obj) : null;
    if (api) this.apis.set(name, api);
    else this.apis.delete(name);
    if (prev) {
      // kube names an APIService `<version>.<group>`, so one per group/version; nothing checks that here, so another may take over.
      const key = `${prev.group}/${prev.version}`;
      this.byGroupVersion.delete(key);
      for (const a of this.apis.values()) if (`${a.group}/${a.version}` === key) this.byGroupVersion.set(key, a);
    }
    if (api) this.byGroupVersion.set(`${api.group}/${api.version}`, api);
    if (!api || prev?.specKey !== api.specKey) this.resources.delete(name);
    if (prev?.available !== api?.available || prev?.group !== api?.group || prev?.version !== api?.version) this.generation++;
    for (const l of this.listeners) l(name, api ?? undefined, prev);
  }

  /** The aggregated API serving `path`, if any. */
  forPath(path: string): AggregatedApi | undefined {
    if (this.apis.size === 0) return undefined;
    const gv = groupVersionOf(path);
    return gv ? this.byGroupVersion.get(`${gv.group}/${gv.version}`) : undefined;
  }

  get(name: string): AggregatedApi | undefined {
    return this.apis.get(name);
  }

  all(): AggregatedApi[] {
    return [...this.apis.values()];
  }

  /** The backend's resource list, as the last discovery check fetched it. */
  resourceList(name: string): ApiResourceList | undefined {
    return this.resources.get(name);
  }

  setResourceList(name: string, list: ApiResourceList | undefined): void {
    if (!this.apis.has(name)) return;
    const before = JSON.stringify(this.resources.get(name));
    if (list) this.resources.set(name, list);
    else this.resources.delete(name);
    if (JSON.stringify(list) !== before) this.generation++;
  }
}
