/**
 * The HTTP front: unauthenticated probes, authentication, discovery, then the REST verbs (one file
 * each: verb-read, verb-create, verb-update, verb-patch, verb-delete), with Status errors, request
 * metrics and audit lines for every answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isAccessReview } from './access-review.ts';
import type { UserInfo } from './auth.ts';
import { serveDiscovery } from './discovery-routes.ts';
import { send, sendError } from './http-io.ts';
import { serveOidcDiscovery } from './oidc-discovery.ts';
import { ResourceRequest } from './resource-request.ts';
import { parseRequestUrl, type RequestUrl } from './request-url.ts';
import { notFoundPath, PathNotServed, resolveTarget, sendPathNotServed, splitPath, type Target } from './routing.ts';
import type { ServerState } from './server-state.ts';
import { StatusError, badRequest, methodNotAllowed } from './status.ts';
import { serveCreate } from './verb-create.ts';
import { serveDelete } from './verb-delete.ts';
import { servePatch } from './verb-patch.ts';
import { serveRead } from './verb-read.ts';
import { isTokenReview } from './token-review.ts';
import { serveUpdate } from './verb-update.ts';

export type { RequestMetrics, ServerState } from './server-state.ts';

export const KUBE_VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-virtsim',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.23.0',
  compiler: 'gc',
  platform: 'linux/amd64',
};

const VERBS: Record<string, (r: ResourceRequest) => string | Promise<string>> = {
  GET: serveRead,
  POST: serveCreate,
  PUT: serveUpdate,
  PATCH: servePatch,
  DELETE: serveDelete,
};

/** Runs the verb of a resource request; returns the verb as audit and metrics name it. */
function serveResource(state: ServerState, req: IncomingMessage, res: ServerResponse, url: RequestUrl, user: UserInfo, t: Target): string | Promise<string> {
  if (t.rt.namespaced && t.name !== undefined && t.ns === undefined) throw notFoundPath();
  const method = req.method ?? 'GET';
  const serve = VERBS[method];
  // Reviews, token requests and evictions are create-only: nothing is stored to read back.
  const createOnly = isAccessReview(t.rt.group, t.rt.resource) || isTokenReview(t.rt.group, t.rt.resource) || (t.rt.resource === 'serviceaccounts' && t.sub === 'token') || (t.rt.storeKey === '/pods' && t.sub === 'eviction');
  if (!serve || (method !== 'POST' && createOnly)) throw methodNotAllowed(method, t.sub ? `${t.rt.resource}/${t.sub}` : t.rt.resource);
  return serve(new ResourceRequest(state, req, res, url, user, t));
}

/** Health, version and metrics: answered before authentication. */
async function serveOpen(state: ServerState, res: ServerResponse, path: string): Promise<boolean> {
  if (path === '/healthz' || path === '/livez' || path === '/readyz' || path.startsWith('/healthz/') || path.startsWith('/livez/') || path.startsWith('/readyz/')) {
    const ok = !path.startsWith('/readyz') || state.ready();
    send(res, ok ? 200 : 503, ok ? 'ok' : 'not ready', 'text/plain; charset=utf-8');
    return true;
  }
  if (path === '/version' || path === '/version/') {
    send(res, 200, JSON.stringify(KUBE_VERSION));
    return true;
  }
  if (path === '/metrics') {
    const m = await state.metricsText();
    send(res, 200, m.text, m.contentType);
    return true;
  }
  return false;
}

/** The answer to a request that failed: its Status, the plain 404 of a path nothing serves, or a logged 500. */
function sendFailure(state: ServerState, req: IncomingMessage, res: ServerResponse, path: string, e: unknown): void {
  if (e instanceof URIError) e = badRequest(`the request path ${JSON.stringify(path)} is not valid: ${e.message}`);
  if (e instanceof PathNotServed) sendPathNotServed(res, state.registry, path);
  else if (e instanceof StatusError) sendError(res, e);
  else {
    state.log.error({ err: e, method: req.method, url: req.url }, 'request failed');
    sendError(res, new StatusError(500, 'InternalError', `Internal error occurred: ${(e as Error)?.message ?? String(e)}`));
  }
}

/**
 * One audit line per write (and per read with `--audit-log-reads`), when auditing is on. A refused
 * impersonation is audited too, as the token's user with verb `impersonate`.
 */
function audit(state: ServerState, req: IncomingMessage, res: ServerResponse, user: UserInfo | undefined, verb: string, target: Target | undefined): void {
  const resource = target?.rt.resource;
  if (!state.audit || !user || (!resource && verb !== 'impersonate')) return;
  if (!state.auditReads && (req.method === 'GET' || req.method === 'HEAD') && verb !== 'impersonate') return;
  state.audit.info(
    {
      audit: true,
      user: user.username,
      groups: user.groups,
      extra: user.extra && Object.keys(user.extra).length > 0 ? user.extra : undefined,
      impersonatedBy: user.impersonatedBy,
      verb,
      apiGroup: target?.rt.group,
      resource: target?.sub ? `${resource}/${target.sub}` : resource,
      namespace: target?.ns,
      name: target?.name,
      code: res.statusCode,
    },
    'audit',
  );
}

export function createHandler(state: ServerState) {
  const { registry, auth } = state;
  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    let url: RequestUrl;
    try {
      url = parseRequestUrl(req.url ?? '/');
    } catch {
      sendError(res, badRequest(`the request URL ${JSON.stringify(req.url)} is not valid`));
      return;
    }
    const path = url.pathname;
    let verb = (req.method ?? 'GET').toLowerCase();
    let user: UserInfo | undefined;
    let target: Target | undefined;
    try {
      if (await serveOpen(state, res, path)) return;
      user = auth.tokenUser(req.headers);
      try {
        user = auth.impersonate(user, req.headers);
      } catch (e) {
        verb = 'impersonate'; // audited as the token's user, who asked for it
        throw e;
      }
      // Checked without an await first: every request asks.
      if (state.aggregator?.handles(req.url) && (await state.aggregator.serve(req, res, path, user))) {
        verb = 'proxy';
        return;
      }
      if (serveDiscovery(state, req, res, path)) {
        verb = 'discovery';
        return;
      }
      if (serveOidcDiscovery(auth.serviceAccounts, req, res, path)) return;
      const parts = splitPath(path);
      if (!parts || parts.rest.length === 0) throw notFoundPath();
      // The deprecated /watch/ prefix (…/v1/watch/namespaces/x/pods) is a watch request.
      if (parts.rest[0] === 'watch' && parts.rest.length > 1) {
        parts.rest = parts.rest.slice(1);
        url.searchParams.set('watch', 'true');
      }
      target = resolveTarget(registry, parts.group, parts.version, parts.rest);
      const fault = state.faults?.intercept(req, res, target.rt.resource, target.name);
      if (fault?.lose) {
        // "applied, answer lost": the write goes through into a stand-in response; the client gets a timeout or a hang-up.
        const [u, t, method] = [user, target, verb];
        verb = await fault.lose(async (sink) => {
          try {
            return await serveResource(state, req, sink, url, u, t);
          } catch (e) {
            sendFailure(state, req, sink, path, e);
            return method;
          }
        });
        return;
      }
      if (fault) {
        verb = 'fault';
        return;
      }
      verb = await serveResource(state, req, res, url, user, target);
    } catch (e) {
      sendFailure(state, req, res, path, e);
    } finally {
      if (verb !== 'watch') state.metrics.observe(verb, target?.rt.resource ?? '', res.statusCode, (performance.now() - started) / 1000);
      audit(state, req, res, user, verb, target);
    }
  };
}
