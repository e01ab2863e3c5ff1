/** DELETE: one object, or every object a selector picks (deletecollection). */
import { decodeObject } from './body.ts';
import type { DeleteOptions } from './objects.ts';
import { apiVersionOf } from './resources.ts';
import type { ResourceRequest } from './resource-request.ts';
import { parseSelection } from './selectors.ts';
import { StatusError, badRequest, methodNotAllowed } from './status.ts';
import { deleteAdmitted } from './webhook-writes.ts';

type Obj = Record<string, any>;

/** DeleteOptions from the query and the body (the query wins), checked. */
async function deleteOptions(r: ResourceRequest): Promise<DeleteOptions> {
  const raw = await r.body();
  const o: Obj = raw.length ? decodeObject(raw, r.req.headers['content-type'] || 'application/json') : {};
  const q = r.q;
  const opts: DeleteOptions = {
    gracePeriodSeconds: q.has('gracePeriodSeconds') ? Number(q.get('gracePeriodSeconds')) : o.gracePeriodSeconds,
    propagationPolicy: (q.get('propagationPolicy') ?? o.propagationPolicy ?? (o.orphanDependents === true ? 'Orphan' : undefined)) as DeleteOptions['propagationPolicy'],
    preconditions: o.preconditions,
    dryRun: r.dryRun || (Array.isArray(o.dryRun) && o.dryRun.length > 0),
  };
  if (opts.propagationPolicy && !['Background', 'Foreground', 'Orphan'].includes(opts.propagationPolicy))
    throw badRequest(`propagationPolicy: Unsupported value: "${opts.propagationPolicy}": supported values: "Foreground", "Background", "Orphan"`);
  if (opts.gracePeriodSeconds !== undefined && !Number.isFinite(opts.gracePeriodSeconds)) throw badRequest('gracePeriodSeconds: must be an integer');
  return opts;
}

export async function serveDelete(r: ResourceRequest): Promise<string> {
  const { state, rt, name, sub } = r;
  const opts = await deleteOptions(r);
  if (name === undefined) return deleteCollection(r, opts);
  r.authorize('delete');
  if (sub) throw methodNotAllowed('DELETE', `${rt.resource}/${sub}`);
  const { obj } = r.viaWebhooks('DELETE') ? await deleteAdmitted(r, r.nsKey, name, opts) : state.objects.delete(rt, r.nsKey, name, r.user, opts);
  await r.durable();
  r.respond(200, obj);
  return 'delete';
}

async function deleteCollection(r: ResourceRequest, opts: DeleteOptions): Promise<string> {
  const { state, rt, ns } = r;
  r.authorize('deletecollection');
  const items: Obj[] = [];
  const sel = parseSelection(rt, ns, r.q);
  for (const e of [...state.objects.store.scan(rt.storeKey, ns)]) {
    if (!sel.everything && !sel.matches(e)) continue;
    try {
      const { obj } = r.viaWebhooks('DELETE') ? await deleteAdmitted(r, e.ns, e.name, opts) : state.objects.delete(rt, e.ns, e.name, r.user, opts);
      items.push(r.fromStorage(obj));
    } catch (err) {
      // Gone meanwhile (a dependent removed by an earlier delete's garbage collection).
      if (!(err instanceof StatusError && err.code === 404)) throw err;
    }
  }
  await r.durable();
  r.send(200, JSON.stringify({ kind: rt.listKind, apiVersion: apiVersionOf(rt), metadata: { resourceVersion: String(state.objects.store.resourceVersion) }, items }));
  return 'deletecollection';
}
