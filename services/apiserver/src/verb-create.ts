/** POST: create an object, bind a pod (pods/binding), issue a token (serviceaccounts/token) or answer a review. */
import { isAccessReview, serveAccessReview } from './access-review.ts';
import { bindPod } from './binding.ts';
import { serveEviction } from './eviction.ts';
import type { ResourceRequest } from './resource-request.ts';
import { notFoundPath } from './routing.ts';
import { methodNotAllowed, successStatus } from './status.ts';
import { isTokenRequest, serveTokenRequest } from './token-request.ts';
import { isTokenReview, serveTokenReview } from './token-review.ts';
import { admitSubresourceCreate, createAdmitted } from './webhook-writes.ts';

export async function serveCreate(r: ResourceRequest): Promise<string> {
  const { state, rt, ns, name, sub } = r;
  if (name !== undefined && sub === 'binding') {
    r.authorize('create');
    const body = await r.object();
    bindPod(state.objects, rt, r.nsKey, name, r.viaWebhooks('CREATE') ? await admitSubresourceCreate(r, name, body, 'Binding') : body, r.user);
    await r.durable();
    r.send(201, JSON.stringify(successStatus()));
    return 'create';
  }
  if (name !== undefined && sub === 'eviction') return serveEviction(r);
  if (name !== undefined && isTokenRequest(r)) {
    r.authorize('create');
    return serveTokenRequest(r, name);
  }
  if (name !== undefined) throw methodNotAllowed('POST', rt.resource);
  r.authorize('create');
  if (rt.namespaced && ns === undefined) throw notFoundPath();
  if (isAccessReview(rt.group, rt.resource)) return serveAccessReview(r);
  if (isTokenReview(rt.group, rt.resource)) return serveTokenReview(r);
  const body = await r.object();
  const opts = { dryRun: r.dryRun, fieldManager: r.fieldManager };
  const obj = r.viaWebhooks('CREATE') ? await createAdmitted(r, body, opts) : state.objects.create(r.writeType(), r.nsKey, r.toStorage(body), r.user, opts);
  await r.durable();
  r.respond(201, obj);
  return 'create';
}
