/** PUT: replace an object or its status. */
import type { ResourceRequest } from './resource-request.ts';
import { serveScale } from './scale.ts';
import { methodNotAllowed } from './status.ts';
import { updateAdmitted } from './webhook-writes.ts';

export async function serveUpdate(r: ResourceRequest): Promise<string> {
  const { state, rt, name, sub } = r;
  if (sub === 'scale') return serveScale(r, 'PUT');
  if (name === undefined) throw methodNotAllowed('PUT', rt.resource);
  r.authorize('update');
  const body = await r.object();
  const opts = { dryRun: r.dryRun, fieldManager: r.fieldManager, userAgentManager: r.userAgentManager };
  const obj = r.viaWebhooks('UPDATE') ? await updateAdmitted(r, name, () => body, opts, false) : state.objects.update(r.writeType(), r.nsKey, name, r.toStorage(body), r.user, sub, opts);
  await r.durable();
  r.respond(200, obj);
  return 'update';
}
