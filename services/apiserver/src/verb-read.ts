/** GET: one object (or its status), a LIST, or a WATCH. */
import { converter, list, watch } from './list-watch.ts';
import type { ResourceRequest } from './resource-request.ts';
import { boolParam } from './routing.ts';
import { serveScale } from './scale.ts';
import { methodNotAllowed } from './status.ts';
import { wantsTable } from './table.ts';

export function serveRead(r: ResourceRequest): string | Promise<string> {
  const { state, rt, ns, name, sub } = r;
  if (sub === 'scale') return serveScale(r, 'GET');
  if (name === undefined) {
    const verb = boolParam(r.q, 'watch') ? 'watch' : 'list';
    r.authorize(verb);
    if (verb === 'watch') watch(state, rt, ns, r.q, r.accept, r.req, r.res);
    else list(state, rt, ns, r.q, r.accept, r.res);
    return verb;
  }
  r.authorize('get');
  if (sub && sub !== 'status') throw methodNotAllowed('GET', `${rt.resource}/${sub}`);
  const e = state.objects.getEntry(rt, r.nsKey, name);
  if (wantsTable(r.accept)) {
    r.respond(200, state.objects.parse(e));
  } else {
    const conv = converter(rt);
    r.send(200, conv ? conv(e.json) : e.json);
  }
  return 'get';
}
