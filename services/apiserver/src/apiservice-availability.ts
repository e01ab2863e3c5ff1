/**
 * The APIService availability controller, after kube-aggregator's: keeps
 * `status.conditions[type=Available]` of each APIService current. A local one (no spec.service)
 * is always Available (reason Local). One with a backend is checked when it changes, when its
 * Service or endpoints change, when a proxied request could not reach it, and every `intervalMs`:
 * the Service must exist with the port, have an endpoint, and answer discovery on
 * /apis/<group>/<version> (as system:kube-aggregator in system:masters) with a 2xx. The
 * resource list it answers is kept for aggregated discovery.
 */
import type { ClientRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Logger } from '@virtsim/telemetry';
import { backendTls, dialError } from './aggregator-proxy.ts';
import { APISERVICES_KEY, type AggregatedApi, type ApiResourceList, type ApiServiceRegistry } from './apiservice-registry.ts';
import type { FrontProxyPki } from './front-proxy-pki.ts';
import { SYSTEM_USER, type ObjectService } from './objects.ts';
import type { ResourceRegistry } from './resources.ts';
import { resolveService } from './service-resolver.ts';

type Obj = Record<string, any>;

export interface Verdict {
  status: 'True' | 'False';
  reason: string;
  message: string;
}

export interface AvailabilityOptions {
  /** Recheck every APIService this often (kube-aggregator: 30 s). */
  intervalMs: number;
  /** A discovery check slower than this fails (kube-aggregator: 5 s). */
  timeoutMs: number;
}

const PASSED: Verdict = { status: 'True', reason: 'Passed', message: 'all checks passed' };
const LOCAL: Verdict = { status: 'True', reason: 'Local', message: 'Local APIServices are always available' };

/** The Service-side checks, worded as kube-aggregator's; null when the backend has an address. */
export function serviceVerdict(svc: Obj | undefined, api: Pick<AggregatedApi, 'service'>, hasEndpoint: boolean): Verdict | null {
  const { namespace, name, port } = api.service;
  const no = (reason: string, message: string): Verdict => ({ status: 'False', reason, message });
  if (!svc) return no('ServiceNotFound', `service/${name} in "${namespace}" is not present`);
  if (svc.spec?.type === 'ExternalName') return null;
  const sp = ((svc.spec?.ports ?? []) as Obj[]).find((p) => p.port === port);
  if (!sp) return no('ServicePortError', `service/${name} in "${namespace}" is not listening on port ${port}`);
  if (!hasEndpoint) return no('MissingEndpoints', `endpoints for service/${name} in "${namespace}" have no addresses with port name "${sp.name ?? ''}"`);
  return null;
}

/** The Available condition to store: the old one kept when nothing changed, the transition time moved only on a status change. */
export function nextCondition(old: Obj | undefined, v: Verdict, now: string): Obj {
  const lastTransitionTime = old && old.status === v.status ? old.lastTransitionTime : now;
  return { type: 'Available', status: v.status, lastTransitionTime, reason: v.reason, message: v.message };
}

export interface Deps {
  objects: ObjectService;
  registry: ResourceRegistry;
  apiServices: ApiServiceRegistry;
  pki: FrontProxyPki;
  log: Logger;
}

export class AvailabilityController {
  private readonly deps: Deps;
  private readonly opts: AvailabilityOptions;
  private readonly timer: NodeJS.Timeout;
  private readonly running = new Map<string, ClientRequest | null>();
  private readonly again = new Set<string>();
  private stopped = false;

  constructor(deps: Deps, opts: AvailabilityOptions) {
    this.deps = deps;
    this.opts = opts;
    deps.apiServices.listeners.push((name, api, prev) => {
      // A local one is (re)marked Local; a backend's is probed when its spec changed, not on our own status writes.
      if (!api || api.specKey !== prev?.specKey) this.check(name);
    });
    // A backend's Service or endpoints changed: its APIServices are checked again.
    deps.objects.store.onEvent((ev) => {
      if (this.stopped || (ev.storeKey !== '/services' && ev.storeKey !== '/endpoints' && ev.storeKey !== 'discovery.k8s.io/endpointslices')) return;
      const svcName = ev.storeKey === '/endpoints' || ev.storeKey === '/services' ? ev.name : ev.labels?.['kubernetes.io/service-name'];
      for (const a of deps.apiServices.all()) if (a.service.namespace === ev.ns && a.service.name === svcName) this.check(a.name);
    });
    this.timer = setInterval(() => this.checkAll(), opts.intervalMs);
    this.timer.unref();
    this.checkAll();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    for (const req of this.running.values()) req?.destroy();
    this.running.clear();
  }

  private checkAll(): void {
    for (const e of this.deps.objects.store.scan(APISERVICES_KEY, undefined)) this.check(e.name);
  }

  /** Checks `name` soon; a check already running is followed by one more. */
  check(name: string): void {
    if (this.stopped) return;
    if (this.running.has(name)) {
      this.again.add(name);
      return;
    }
    this.running.set(name, null);
    void this.run(name).finally(() => {
      this.running.delete(name);
      if (this.again.delete(name)) this.check(name);
    });
  }

  private async run(name: string): Promise<void> {
    const entry = this.deps.objects.store.get(APISERVICES_KEY, '', name);
    if (!entry) return;
    const api = this.deps.apiServices.get(name);
    const verdict = api ? await this.probe(api) : LOCAL;
    if (!this.stopped) this.record(name, verdict);
  }

  private async probe(api: AggregatedApi): Promise<Verdict> {
    const { store } = this.deps.objects;
    const svcEntry = store.get('/services', api.service.namespace, api.service.name);
    let target;
    try {
      target = resolveService(store, api.service.namespace, api.service.name, api.service.port);
    } catch {
      target = undefined;
    }
    const early = serviceVerdict(svcEntry ? JSON.parse(svcEntry.json) : undefined, api, !!target);
    if (early || !target) {
      this.deps.apiServices.setResourceList(api.name, undefined);
      return early ?? { status: 'False', reason: 'MissingEndpoints', message: `endpoints for service/${api.service.name} in "${api.service.namespace}" have no addresses` };
    }
    const url = `https://${target.host}:${target.port}/apis/${api.group}/${api.version}`;
    try {
      const { code, body } = await this.get(api, target, url);
      // A 401/403 fails too: the backend does not trust the front proxy.
      if (code < 200 || code >= 300) throw new Error(`bad status from ${url}: ${code}`);
      this.deps.apiServices.setResourceList(api.name, parseList(body));
      return PASSED;
    } catch (err) {
      this.deps.apiServices.setResourceList(api.name, undefined);
      return { status: 'False', reason: 'FailedDiscoveryCheck', message: `failing or missing response from ${url}: ${(err as Error).message}` };
    }
  }

  private get(api: AggregatedApi, target: ReturnType<typeof resolveService>, url: string): Promise<{ code: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest({
        ...backendTls(api, target, this.deps.pki),
        method: 'GET',
        path: `/apis/${api.group}/${api.version}`,
        // The aggregator's own identity: always allowed, so only reachability is tested.
        headers: { accept: 'application/json', 'x-remote-user': 'system:kube-aggregator', 'x-remote-group': ['system:masters'] },
        timeout: this.opts.timeoutMs,
      });
      this.running.set(api.name, req);
      req.on('timeout', () => req.destroy(new Error(`Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`)));
      req.on('error', (err: NodeJS.ErrnoException) => reject(err.code ? new Error(`Get "${url}": ${dialError(err, target.host, target.port)}`) : err));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.end();
    });
  }

  /** Stores the verdict in status.conditions when it differs from what is there. */
  private record(name: string, v: Verdict): void {
    const { objects, registry, log } = this.deps;
    const entry = objects.store.get(APISERVICES_KEY, '', name);
    if (!entry) return;
    const obj = objects.parse(entry);
    const conds: Obj[] = Array.isArray(obj.status?.conditions) ? obj.status.conditions : [];
    const old = conds.find((c) => c.type === 'Available');
    if (old && old.status === v.status && old.reason === v.reason && old.message === v.message) return;
    const cond = nextCondition(old, v, new Date().toISOString().replace(/\.\d+Z$/, 'Z'));
    const status = { ...(obj.status ?? {}), conditions: [...conds.filter((c) => c.type !== 'Available'), cond] };
    try {
      objects.update(registry.get('apiregistration.k8s.io', 'v1', 'apiservices')!, '', name, { ...obj, status }, SYSTEM_USER, 'status', {}, { entry, obj });
      if (old?.status !== v.status) log.info({ apiService: name, available: v.status, reason: v.reason, message: v.message }, 'APIService availability changed');
    } catch (err) {
      // A write in between changed the object; its event or the next period checks again.
      log.warn({ err, apiService: name }, 'could not update the APIService status');
    }
  }
}

function parseList(body: string): ApiResourceList | undefined {
  try {
    const doc = JSON.parse(body);
    return doc && Array.isArray(doc.resources) ? { groupVersion: doc.groupVersion, resources: doc.resources } : undefined;
  } catch {
    return undefined;
  }
}
