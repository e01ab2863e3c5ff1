/** From a request path to what it names: resource type, namespace, name and subresource. */
import type { ServerResponse } from 'node:http';
import { send } from './http-io.ts';
import type { ResourceRegistry, ResourceType } from './resources.ts';
import { StatusError } from './status.ts';

export interface Target {
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
export class PathNotServed extends Error {}
export const notFoundPath = () => new PathNotServed('the server could not find the requested resource');

export function sendPathNotServed(res: ServerResponse, registry: ResourceRegistry, path: string): void {
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
export function splitPath(path: string): { group: string; version: string; rest: string[] } | null {
  const parts = path.split('/').filter(Boolean);
  // (decodeURIComponent per segment only when there is an escape: most paths have none.)
  const segs = path.includes('%') ? parts.map(decodeURIComponent) : parts;
  if (segs[0] === 'api' && segs.length >= 2) return { group: '', version: segs[1]!, rest: segs.slice(2) };
  if (segs[0] === 'apis' && segs.length >= 3) return { group: segs[1]!, version: segs[2]!, rest: segs.slice(3) };
  return null;
}

export function resolveTarget(registry: ResourceRegistry, group: string, version: string, rest: string[]): Target {
  let ns: string | undefined;
  let r = rest;
  // namespaces/<name>/status|finalize is the namespace itself; namespaces/<ns>/<resource>/... is namespaced.
  if (r[0] === 'namespaces' && r.length >= 3 && !(group === '' && r.length === 3 && (r[2] === 'status' || r[2] === 'finalize'))) {
    ns = r[1];
    r = r.slice(2);
  }
  const rt = registry.get(group, version, r[0]!);
  if (!rt || r.length > 3) throw notFoundPath();
  if (ns !== undefined && !rt.namespaced) throw notFoundPath();
  const name = r[1];
  const sub = r[2];
  if (sub !== undefined && !(sub === 'status' && rt.hasStatus) && !(sub === 'scale' && rt.scale) && !rt.extraSubresources.includes(sub) && !(sub === 'finalize' && rt.storeKey === '/namespaces'))
    throw notFoundPath();
  return { rt, ns, name, sub };
}

/** Go's strconv.ParseBool truths, as kube-apiserver reads boolean query parameters. */
export function boolParam(q: URLSearchParams, k: string): boolean {
  const v = q.get(k);
  return v === 'true' || v === '1' || v === 't' || v === 'T' || v === 'TRUE' || v === 'True';
}
