/**
 * The aggregation layer, wired: which requests go to an APIService's backend (apiservice-registry),
 * the checks in front of the proxy, the proxy itself (aggregator-proxy) and the availability
 * controller (apiservice-availability). As in kube-apiserver, a proxied request is authenticated
 * and authorized here first (the backend then authorizes again, by SubjectAccessReview): the
 * request's attributes come from its path the way kube's RequestInfo reads any /apis path.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '@virtsim/telemetry';
import { proxyRequest, proxyUpgrade, writeRaw, type ProxyDeps } from './aggregator-proxy.ts';
import { AvailabilityController, type AvailabilityOptions } from './apiservice-availability.ts';
import { ApiServiceRegistry } from './apiservice-registry.ts';
import type { Authenticator, UserInfo } from './auth.ts';
import type { Authorizer } from './authz.ts';
import type { FrontProxyPki } from './front-proxy-pki.ts';
import type { ObjectService } from './objects.ts';
import type { Attributes } from './rbac-rules.ts';
import type { ResourceRegistry } from './resources.ts';
import { StatusError } from './status.ts';

/**
 * The authorization attributes of a request under /apis/<group>/<version>, as kube's RequestInfo
 * reads them; null for the group-version's discovery document (a non-resource path every
 * authenticated user may read, which this server does not authorize anywhere).
 */
export function proxiedAttributes(method: string, path: string, query: URLSearchParams): Attributes | null {
  const segs = path.split('/').filter(Boolean).map(decodeURIComponent);
  const group = segs[1] ?? '';
  let rest = segs.slice(3);
  if (rest.length === 0) return null;
  let watch = query.get('watch') === 'true' || query.get('watch') === '1';
  if (rest[0] === 'watch' && rest.length > 1) {
    watch = true;
    rest = rest.slice(1);
  }
  let namespace = '';
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1]!;
    rest = rest.slice(2);
  } else if (rest[0] === 'namespaces' && rest.length === 2) namespace = rest[1]!;
  const [resource = '', name = '', subresource = ''] = rest;
  const verbs: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch' };
  let verb = verbs[method] ?? (method === 'DELETE' ? (name ? 'delete' : 'deletecollection') : name ? 'get' : 'list');
  if (watch && (verb === 'get' || verb === 'list')) verb = 'watch';
  return { verb, resource: { group, resource, subresource, namespace, name } };
}

export interface AggregatorDeps {
  objects: ObjectService;
  registry: ResourceRegistry;
  auth: Authenticator;
  authz: Authorizer;
  pki: FrontProxyPki;
  log: Logger;
}

export class Aggregator {
  readonly apiServices: ApiServiceRegistry;
  private readonly availability: AvailabilityController;
  private readonly proxyDeps: ProxyDeps;
  private readonly deps: AggregatorDeps;
  /** Upgraded connections: the HTTP server no longer tracks them, so close() ends them. */
  private readonly upgraded = new Set<Duplex>();

  constructor(deps: AggregatorDeps, availability: AvailabilityOptions) {
    this.deps = deps;
    this.apiServices = new ApiServiceRegistry(deps.objects.store);
    this.availability = new AvailabilityController({ ...deps, apiServices: this.apiServices }, availability);
    this.proxyDeps = {
      store: deps.objects.store,
      pki: deps.pki,
      onBackendFailure: (api, err) => {
        deps.log.warn({ apiService: api.name, err: err.message }, 'could not reach an aggregated API backend');
        this.availability.check(api.name);
      },
    };
  }

  /** Whether `rawUrl` is under an aggregated API (an upgrade to it is taken; any other is not). */
  handles(rawUrl: string | undefined): boolean {
    return !!this.apiServices.forPath(pathOf(rawUrl));
  }

  private authorize(req: IncomingMessage, user: UserInfo): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const a = proxiedAttributes(req.method ?? 'GET', url.pathname, url.searchParams);
    if (a) this.deps.authz.check(user, a);
  }

  /** Proxies the request when its path is an aggregated API's; false otherwise. Throws the 403 of a refused request. */
  async serve(req: IncomingMessage, res: ServerResponse, path: string, user: UserInfo): Promise<boolean> {
    const api = this.apiServices.forPath(path);
    if (!api) return false;
    this.authorize(req, user);
    await proxyRequest(this.proxyDeps, api, req, res, user);
    return true;
  }

  /** A connection upgrade (console, VNC, port-forward) to an aggregated API: authenticated, authorized, then spliced. */
  serveUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    this.upgraded.add(socket);
    socket.on('close', () => this.upgraded.delete(socket));
    const api = this.apiServices.forPath(pathOf(req.url));
    try {
      if (!api) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
      const user = this.deps.auth.impersonate(this.deps.auth.tokenUser(req.headers), req.headers);
      this.authorize(req, user);
      proxyUpgrade(this.proxyDeps, api, req, socket, head, user);
    } catch (e) {
      const err = e instanceof StatusError ? e : new StatusError(500, 'InternalError', `Internal error occurred: ${(e as Error).message}`);
      writeRaw(socket, err.code, JSON.stringify(err.toStatus()), 'application/json');
    }
  }

  close(): void {
    this.availability.stop();
    for (const s of this.upgraded) s.destroy();
  }
}

function pathOf(rawUrl: string | undefined): string {
  const u = rawUrl ?? '/';
  const q = u.indexOf('?');
  return q >= 0 ? u.slice(0, q) : u;
}
