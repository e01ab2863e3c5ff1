/**
 * The HTTP front: authentication, routing of Kubernetes API paths to discovery, OpenAPI and the
 * REST verbs, content negotiation, Status errors, audit lines and request metrics.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@virtsim/telemetry';
import type { Authenticator, UserInfo } from './auth.ts';
import type { Authorizer } from './authz.ts';
import { decodeObject, readBody } from './body.ts';
import { aggregatedFormat, AGGREGATED_V2, AGGREGATED_V2BETA1, type Discovery } from './discovery.ts';
import { converter, list, watch, type ListWatchConfig } from './list-watch.ts';
import type { DeleteOptions, ObjectService } from './objects.ts';
import type { OpenApi } from './openapi.ts';
import { applyConfiguration } from './apply.ts';
import { applyPatchBody, patchTypeOf } from './patches.ts';
import { apiVersionOf, type ResourceRegistry, type ResourceType } from './resources.ts';
import { StatusError, badRequest, conflict, methodNotAllowed, notAcceptable, successStatus } from './status.ts';
import { columnDefinitions, tableRow, tableShape, wantsTable } from './table.ts';

type Obj = Record<string, any>;

export interface RequestMetrics {
  observe(verb: string, resource: string, code: number): void;
}

export interface ServerState extends ListWatchConfig {
  registry: ResourceRegistry;
  objects: ObjectService;
  discovery: Discovery;
  openapi: OpenApi;
  auth: Authenticator;
  authz: Authorizer;
  log: Logger;
  audit: Logger | null;
  maxBodyBytes: number;
  serverAddress: () => string;
  metrics: RequestMetrics;
  metricsText: () => Promise<{ contentType: string; text: string }>;
  ready: () => boolean;
  /** With a durable store: settles once every write so far is on disk (null: already is); rejects with a 500/507 StatusError. */
  durable?: () => Promise<void> | null;
}

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

function send(res: ServerResponse, code: number, body: string, contentType = 'application/json'): void {
  res.statusCode = code;
  res.setHeader('content-type', contentType);
  res.end(body);
}

function sendError(res: ServerResponse, e: StatusError): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  send(res, e.code, JSON.stringify(e.toStatus()));
}

interface Target {
  rt: ResourceType;
  ns: string | undefined;
  name: string | undefined;
  sub: string | undefined;
}

/**
 * A path nothing serves. kube-apiserver answers it two ways: under a root its go-restful container
 * owns (`/api/...`, `/apis/<built-in group>/...`) a Status with empty details; anywhere else (an
 * unknown group, a CRD group's unknown resource or version, any other path) its not-found handler's
 * plain `404 page not found`.
 */
class PathNotServed extends Error {}
const notFoundPath = () => new PathNotServed('the server could not find the requested resource');

function sendPathNotServed(res: ServerResponse, registry: ResourceRegistry, path: string): void {
  const segs = path.split('/').filter(Boolean);
  const restful = segs[0] === 'api' || (segs[0] === 'apis' && segs.length >= 2 && registry.isBuiltinGroup(segs[1]!));
  if (restful) {
    send(res, 404, JSON.stringify(new StatusError(404, 'NotFound', 'the server could not find the requested resource', {}).toStatus()));
  } else {
    res.setHeader('x-content-type-options', 'nosniff');
    send(res, 404, '404 page not found\n', 'text/plain; charset=utf-8');
  }
}

/** Splits `/api/v1/...` or `/apis/<g>/<v>/...` into group, version and the rest. */
function splitPath(path: string): { group: string; version: string; rest: string[] } | null {
  const segs = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (segs[0] === 'api' && segs.length >= 2) return { group: '', version: segs[1], rest: segs.slice(2) };
  if (segs[0] === 'apis' && segs.length >= 3) return { group: segs[1], version: segs[2], rest: segs.slice(3) };
  return null;
}

function resolveTarget(registry: ResourceRegistry, group: string, version: string, rest: string[]): Target {
  let ns: string | undefined;
  let r = rest;
  // namespaces/<name>/status|finalize is the namespace itself; namespaces/<ns>/<resource>/... is namespaced.
  if (r[0] === 'namespaces' && r.length >= 3 && !(group === '' && r.length === 3 && (r[2] === 'status' || r[2] === 'finalize'))) {
    ns = r[1];
    r = r.slice(2);
  }
  const rt = registry.get(group, version, r[0]);
  if (!rt || r.length > 3) throw notFoundPath();
  if (ns !== undefined && !rt.namespaced) throw notFoundPath();
  const name = r[1];
  const sub = r[2];
  if (sub !== undefined && !(sub === 'status' && rt.hasStatus) && !rt.extraSubresources.includes(sub) && !(sub === 'finalize' && rt.storeKey === '/namespaces'))
    throw notFoundPath();
  return { rt, ns, name, sub };
}

/** Go's strconv.ParseBool truths, as kube-apiserver reads boolean query parameters. */
function boolParam(q: URLSearchParams, k: string): boolean {
  const v = q.get(k);
  return v === 'true' || v === '1' || v === 't' || v === 'T' || v === 'TRUE' || v === 'True';
}

// eslint-disable-next-line max-lines-per-function -- not split yet: known debt (issue 14), listed in ARCHITECTURE.md
export function createHandler(state: ServerState) {
  const { registry, objects, discovery, openapi, auth, authz, log } = state;

  /** The kind a request writes through: itself, or the storage kind it is converted to. */
  const writeType = (rt: ResourceType): ResourceType => {
    if (!rt.convert) return rt;
    const [g, v, r] = rt.convert.storedAs.split('/');
    return registry.get(g, v, r)!;
  };
  /** A client body in the storage kind's form (type meta checked against what was asked for). */
  const toStorage = (rt: ResourceType, body: Obj): Obj => {
    if (!rt.convert) return body;
    if (body.apiVersion !== undefined && body.apiVersion !== apiVersionOf(rt))
      throw badRequest(`the API version in the data (${body.apiVersion}) does not match the expected API version (${apiVersionOf(rt)})`);
    if (body.kind !== undefined && body.kind !== rt.kind) throw badRequest(`the kind in the data (${body.kind}) does not match the expected kind (${rt.kind})`);
    return rt.convert.toStored(body);
  };
  const fromStorage = (rt: ResourceType, obj: Obj): Obj => (rt.convert ? rt.convert.fromStored(obj) : obj);

  const respondObject = (res: ServerResponse, rt: ResourceType, code: number, obj: Obj, accept: string | undefined, q: URLSearchParams) => {
    if (rt.convert) obj = rt.convert.fromStored(obj);
    else if (rt.version !== rt.storageVersion) obj = { ...obj, apiVersion: apiVersionOf(rt) };
    if (wantsTable(accept) && obj.metadata) {
      const shape = tableShape(rt);
      const inc = q.get('includeObject') === 'None' ? 'None' : q.get('includeObject') === 'Object' ? 'Object' : 'Metadata';
      const table = { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: obj.metadata.resourceVersion }, columnDefinitions: columnDefinitions(shape), rows: [tableRow(obj, shape, inc, Date.now())] };
      send(res, code, JSON.stringify(table));
      return;
    }
    // The object just written is already serialized in the store: send those bytes.
    const e = obj.metadata ? objects.store.get(rt.storeKey, obj.metadata.namespace ?? '', obj.metadata.name) : undefined;
    // (Not for a dry run: the result was never stored, and it carries the stored resourceVersion.)
    if (e && !q.has('dryRun') && String(e.rv) === obj.metadata.resourceVersion && rt.version === rt.storageVersion && !rt.convert) send(res, code, e.json);
    else send(res, code, JSON.stringify(obj));
  };

  // eslint-disable-next-line complexity, max-lines-per-function -- not split yet: known debt (issue 14), listed in ARCHITECTURE.md
  async function serveResource(req: IncomingMessage, res: ServerResponse, url: URL, user: UserInfo, t: Target): Promise<string> {
    const { rt, ns, name, sub } = t;
    const q = url.searchParams;
    const accept = req.headers.accept;
    const method = req.method ?? 'GET';
    const nsOrEmpty = ns ?? '';
    if (rt.namespaced && name !== undefined && ns === undefined) throw notFoundPath();
    const dryRun = q.has('dryRun');
    const fieldManager = q.get('fieldManager') ?? undefined;
    // Kubernetes names a writer without fieldManager after its User-Agent's first part.
    const userAgentManager = req.headers['user-agent']?.split('/')[0] || undefined;
    if (method === 'GET') {
      if (name === undefined) {
        const verb = boolParam(q, 'watch') ? 'watch' : 'list';
        authz.authorize(user, verb, rt, undefined, ns);
        if (verb === 'watch') watch(state, rt, ns, q, accept, req, res);
        else list(state, rt, ns, q, accept, res);
        return verb;
      }
      authz.authorize(user, 'get', rt, sub, ns);
      if (sub && sub !== 'status') throw methodNotAllowed('GET', `${rt.resource}/${sub}`);
      const e = objects.getEntry(rt, nsOrEmpty, name);
      if (!wantsTable(accept)) {
        const conv = converter(rt);
        send(res, 200, conv ? conv(e.json) : e.json);
      } else respondObject(res, rt, 200, objects.parse(e), accept, q);
      return 'get';
    }
    if (method === 'POST') {
      if (name !== undefined && sub === 'binding') {
        authz.authorize(user, 'create', rt, sub, ns);
        const body = decodeObject(await readBody(req, state.maxBodyBytes), req.headers['content-type']);
        bind(rt, nsOrEmpty, name, body, user);
        await state.durable?.();
        send(res, 201, JSON.stringify(successStatus()));
        return 'create';
      }
      if (name !== undefined) throw methodNotAllowed('POST', rt.resource);
      authz.authorize(user, 'create', rt, undefined, ns);
      if (rt.namespaced && ns === undefined) throw notFoundPath();
      const body = decodeObject(await readBody(req, state.maxBodyBytes), req.headers['content-type']);
      const obj = objects.create(writeType(rt), nsOrEmpty, toStorage(rt, body), user, { dryRun, fieldManager });
      await state.durable?.();
      respondObject(res, rt, 201, obj, accept, q);
      return 'create';
    }
    if (method === 'PUT') {
      if (name === undefined) throw methodNotAllowed('PUT', rt.resource);
      authz.authorize(user, 'update', rt, sub, ns);
      const body = decodeObject(await readBody(req, state.maxBodyBytes), req.headers['content-type']);
      const obj = objects.update(writeType(rt), nsOrEmpty, name, toStorage(rt, body), user, sub, { dryRun, fieldManager, userAgentManager });
      await state.durable?.();
      respondObject(res, rt, 200, obj, accept, q);
      return 'update';
    }
    if (method === 'PATCH') {
      if (name === undefined) throw methodNotAllowed('PATCH', rt.resource);
      authz.authorize(user, 'patch', rt, sub, ns);
      const type = patchTypeOf(req.headers['content-type'], rt);
      const body = await readBody(req, state.maxBodyBytes);
      if (type === 'application/apply-patch+yaml') {
        const manager = q.get('fieldManager');
        if (!manager) throw badRequest('PATCH, fieldManager: Required value: is required for apply patch');
        // kubectl sends JSON (valid YAML, parsed much faster as JSON).
        const patch = decodeObject(body, body[0] === 0x7b ? 'application/json' : 'application/yaml');
        const existing = objects.store.get(rt.storeKey, nsOrEmpty, name);
        if (!existing) {
          if (patch.metadata?.name !== undefined && patch.metadata.name !== name)
            throw badRequest(`the name of the object (${patch.metadata.name}) does not match the name on the URL (${name})`);
          const applied = applyConfiguration(rt, null, { ...patch, metadata: { ...(patch.metadata ?? {}), name } }, manager, boolParam(q, 'force'), sub);
          const obj = objects.create(writeType(rt), nsOrEmpty, toStorage(rt, applied), user, { dryRun, applied: true });
          await state.durable?.();
          respondObject(res, rt, 201, obj, accept, q);
          return 'patch';
        }
        const old = objects.parse(existing);
        const applied = toStorage(rt, applyConfiguration(rt, fromStorage(rt, old), patch, manager, boolParam(q, 'force'), sub));
        const obj = objects.update(writeType(rt), nsOrEmpty, name, { ...applied, metadata: { ...applied.metadata, resourceVersion: undefined } }, user, sub, { dryRun, applied: true }, { entry: existing, obj: old });
        await state.durable?.();
        respondObject(res, rt, 200, obj, accept, q);
        return 'patch';
      }
      const entry = objects.getEntry(rt, nsOrEmpty, name);
      const old = objects.parse(entry);
      const next = toStorage(rt, applyPatchBody(type, rt, fromStorage(rt, old), body));
      const obj = objects.update(writeType(rt), nsOrEmpty, name, next, user, sub, { dryRun, fieldManager, userAgentManager }, { entry, obj: old });
      await state.durable?.();
      respondObject(res, rt, 200, obj, accept, q);
      return 'patch';
    }
    if (method === 'DELETE') {
      const optsBody = await readBody(req, state.maxBodyBytes);
      const o: Obj = optsBody.length ? decodeObject(optsBody, req.headers['content-type'] || 'application/json') : {};
      const opts: DeleteOptions = {
        gracePeriodSeconds: q.has('gracePeriodSeconds') ? Number(q.get('gracePeriodSeconds')) : o.gracePeriodSeconds,
        propagationPolicy: (q.get('propagationPolicy') ?? o.propagationPolicy ?? (o.orphanDependents === true ? 'Orphan' : undefined)) as DeleteOptions['propagationPolicy'],
        preconditions: o.preconditions,
        dryRun: dryRun || (Array.isArray(o.dryRun) && o.dryRun.length > 0),
      };
      if (opts.propagationPolicy && !['Background', 'Foreground', 'Orphan'].includes(opts.propagationPolicy))
        throw badRequest(`propagationPolicy: Unsupported value: "${opts.propagationPolicy}": supported values: "Foreground", "Background", "Orphan"`);
      if (opts.gracePeriodSeconds !== undefined && !Number.isFinite(opts.gracePeriodSeconds)) throw badRequest('gracePeriodSeconds: must be an integer');
      if (name === undefined) {
        authz.authorize(user, 'deletecollection', rt, undefined, ns);
        const items: Obj[] = [];
        const sel = (await import('./selectors.ts')).parseSelection(rt, ns, q);
        for (const e of [...objects.store.scan(rt.storeKey, ns)]) {
          if (!sel.everything && !sel.matches(e)) continue;
          try {
            items.push(fromStorage(rt, objects.delete(rt, e.ns, e.name, user, opts).obj));
          } catch (err) {
            if (!(err instanceof StatusError && err.code === 404)) throw err;
          }
        }
        await state.durable?.();
        send(res, 200, JSON.stringify({ kind: rt.listKind, apiVersion: apiVersionOf(rt), metadata: { resourceVersion: String(objects.store.resourceVersion) }, items }));
        return 'deletecollection';
      }
      authz.authorize(user, 'delete', rt, sub, ns);
      if (sub) throw methodNotAllowed('DELETE', `${rt.resource}/${sub}`);
      const { obj, removed } = objects.delete(rt, nsOrEmpty, name, user, opts);
      void removed;
      await state.durable?.();
      respondObject(res, rt, 200, obj, accept, q);
      return 'delete';
    }
    throw methodNotAllowed(method, rt.resource);
  }

  /** pods/binding: what the scheduler posts to place a pod on a node. */
  function bind(rt: ResourceType, ns: string, name: string, body: Obj, user: UserInfo): void {
    const target = body.target;
    if (!target || typeof target.name !== 'string' || !target.name)
      throw new StatusError(422, 'Invalid', `Binding "${name}" is invalid: target.name: Required value`);
    const entry = objects.getEntry(rt, ns, name);
    const pod = objects.parse(entry);
    if (pod.metadata.deletionTimestamp) throw conflict('', 'pods', name, 'pod is being deleted, cannot be assigned to a host');
    if (pod.spec?.nodeName) throw conflict('', 'pods', name, `pod ${name} is already assigned to node "${pod.spec.nodeName}"`);
    const next: Obj = { ...pod, spec: { ...pod.spec, nodeName: target.name }, status: { ...(pod.status ?? {}) } };
    const conds: Obj[] = (next.status.conditions ?? []).filter((c: Obj) => c.type !== 'PodScheduled');
    conds.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') });
    next.status.conditions = conds;
    // Binding writes spec and status together, as the real binding REST does.
    const withStatus = objects.update(rt, ns, name, next, user, undefined, {}, { entry, obj: pod });
    const e2 = objects.getEntry(rt, ns, name);
    objects.update(rt, ns, name, { ...withStatus, status: next.status }, user, 'status', {}, { entry: e2, obj: objects.parse(e2) });
  }

  function serveDiscovery(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    const accept = req.headers.accept;
    if (path === '/api' || path === '/apis') {
      const fmt = aggregatedFormat(accept);
      if (fmt) {
        res.setHeader('vary', 'Accept');
        send(res, 200, discovery.aggregated(path === '/api', fmt), fmt === 'v2' ? AGGREGATED_V2 : AGGREGATED_V2BETA1);
      } else send(res, 200, path === '/api' ? discovery.apiVersions(state.serverAddress()) : discovery.apiGroupList());
      return true;
    }
    if (path === '/api/v1') {
      send(res, 200, discovery.resourceList('', 'v1')!);
      return true;
    }
    const m = /^\/apis\/([^/]+)(?:\/([^/]+))?\/?$/.exec(path);
    if (m) {
      const doc = m[2] ? discovery.resourceList(m[1], m[2]) : discovery.apiGroup(m[1]);
      if (!doc) throw notFoundPath();
      send(res, 200, doc);
      return true;
    }
    if (path === '/openapi/v2') {
      if (accept && !accept.includes('json') && !accept.includes('*/*')) throw notAcceptable('only application/json is served for /openapi/v2');
      send(res, 200, openapi.v2());
      return true;
    }
    if (path === '/openapi/v3' || path === '/openapi/v3/') {
      send(res, 200, openapi.v3Root());
      return true;
    }
    if (path.startsWith('/openapi/v3/')) {
      const doc = openapi.v3Doc(path.slice('/openapi/v3/'.length));
      if (!doc) throw notFoundPath();
      send(res, 200, doc);
      return true;
    }
    return false;
  }

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://x');
    } catch {
      sendError(res, badRequest(`the request URL ${JSON.stringify(req.url)} is not valid`));
      return;
    }
    const path = url.pathname;
    let verb = (req.method ?? 'GET').toLowerCase();
    let resource = '';
    let user: UserInfo | undefined;
    let target: Target | undefined;
    try {
      if (path === '/healthz' || path === '/livez' || path === '/readyz' || path.startsWith('/healthz/') || path.startsWith('/livez/') || path.startsWith('/readyz/')) {
        const ok = !path.startsWith('/readyz') || state.ready();
        send(res, ok ? 200 : 503, ok ? 'ok' : 'not ready', 'text/plain; charset=utf-8');
        return;
      }
      if (path === '/version' || path === '/version/') {
        send(res, 200, JSON.stringify(KUBE_VERSION));
        return;
      }
      if (path === '/metrics') {
        const m = await state.metricsText();
        send(res, 200, m.text, m.contentType);
        return;
      }
      user = auth.authenticate(req.headers);
      if (serveDiscovery(req, res, path)) {
        verb = 'discovery';
        return;
      }
      const parts = splitPath(path);
      if (!parts || parts.rest.length === 0) throw notFoundPath();
      // The deprecated /watch/ prefix (…/v1/watch/namespaces/x/pods) is a watch request.
      if (parts.rest[0] === 'watch' && parts.rest.length > 1) {
        parts.rest = parts.rest.slice(1);
        url.searchParams.set('watch', 'true');
      }
      target = resolveTarget(registry, parts.group, parts.version, parts.rest);
      resource = target.rt.resource;
      verb = await serveResource(req, res, url, user, target);
    } catch (e) {
      if (e instanceof URIError) e = badRequest(`the request path ${JSON.stringify(path)} is not valid: ${e.message}`);
      if (e instanceof PathNotServed) sendPathNotServed(res, registry, path);
      else if (e instanceof StatusError) {
        if (e.code === 413) res.setHeader('connection', 'close');
        sendError(res, e);
      } else {
        log.error({ err: e, method: req.method, url: req.url }, 'request failed');
        sendError(res, new StatusError(500, 'InternalError', `Internal error occurred: ${(e as Error)?.message ?? String(e)}`));
      }
    } finally {
      if (verb !== 'watch') state.metrics.observe(verb, resource, res.statusCode);
      const mutating = req.method !== 'GET' && req.method !== 'HEAD' && resource;
      if (state.audit && mutating && user) {
        state.audit.info(
          {
            audit: true,
            user: user.username,
            groups: user.groups,
            impersonatedBy: user.impersonatedBy,
            verb,
            resource: target?.sub ? `${resource}/${target.sub}` : resource,
            namespace: target?.ns,
            name: target?.name,
            code: res.statusCode,
          },
          'audit',
        );
      }
    }
  };
}

