/** Discovery (legacy and aggregated) and OpenAPI documents. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { aggregatedFormat, AGGREGATED_V2, AGGREGATED_V2BETA1 } from './discovery.ts';
import { send } from './http-io.ts';
import { notFoundPath } from './routing.ts';
import type { ServerState } from './server-state.ts';
import { notAcceptable } from './status.ts';

/** Answers `path` if it is a discovery or OpenAPI document; false if it is not one. */
export function serveDiscovery(state: ServerState, req: IncomingMessage, res: ServerResponse, path: string): boolean {
  const { discovery } = state;
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
    const doc = m[2] ? discovery.resourceList(m[1]!, m[2]) : discovery.apiGroup(m[1]!);
    if (!doc) throw notFoundPath();
    send(res, 200, doc);
    return true;
  }
  return serveOpenApi(state, accept, res, path);
}

function serveOpenApi(state: ServerState, accept: string | undefined, res: ServerResponse, path: string): boolean {
  const { openapi } = state;
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
