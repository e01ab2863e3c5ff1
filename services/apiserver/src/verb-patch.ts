/** PATCH: server-side apply (creates when absent), or a JSON, merge or strategic merge patch. */
import { applyConfiguration } from './apply.ts';
import { decodeObject } from './body.ts';
import { applyPatchBody, patchTypeOf } from './patches.ts';
import type { ResourceRequest } from './resource-request.ts';
import { boolParam } from './routing.ts';
import { serveScale } from './scale.ts';
import { badRequest, methodNotAllowed } from './status.ts';
import { createAdmitted, updateAdmitted } from './webhook-writes.ts';

export async function servePatch(r: ResourceRequest): Promise<string> {
  const { state, rt, name, sub } = r;
  if (sub === 'scale') return serveScale(r, 'PATCH');
  if (name === undefined) throw methodNotAllowed('PATCH', rt.resource);
  r.authorize('patch');
  const type = patchTypeOf(r.req.headers['content-type'], rt);
  const body = await r.body();
  if (type === 'application/apply-patch+yaml') return serveApply(r, name, body);
  if (r.viaWebhooks('UPDATE')) {
    const opts = { dryRun: r.dryRun, fieldManager: r.fieldManager, userAgentManager: r.userAgentManager };
    const obj = await updateAdmitted(r, name, (current) => applyPatchBody(type, rt, current, body), opts, true);
    await r.durable();
    r.respond(200, obj);
    return 'patch';
  }
  const entry = state.objects.getEntry(rt, r.nsKey, name);
  const old = state.objects.parse(entry);
  const next = r.toStorage(applyPatchBody(type, rt, r.fromStorage(old), body));
  const obj = state.objects.update(r.writeType(), r.nsKey, name, next, r.user, sub, { dryRun: r.dryRun, fieldManager: r.fieldManager, userAgentManager: r.userAgentManager }, { entry, obj: old });
  await r.durable();
  r.respond(200, obj);
  return 'patch';
}

async function serveApply(r: ResourceRequest, name: string, body: Buffer): Promise<string> {
  const { state, rt, sub } = r;
  const manager = r.q.get('fieldManager');
  if (!manager) throw badRequest('PATCH, fieldManager: Required value: is required for apply patch');
  const force = boolParam(r.q, 'force');
  // kubectl sends JSON (valid YAML, parsed much faster as JSON).
  const patch = decodeObject(body, body[0] === 0x7b ? 'application/json' : 'application/yaml');
  const existing = state.objects.store.get(rt.storeKey, r.nsKey, name);
  if (!existing) {
    if (patch.metadata?.name !== undefined && patch.metadata.name !== name)
      throw badRequest(`the name of the object (${patch.metadata.name}) does not match the name on the URL (${name})`);
    const applied = applyConfiguration(rt, null, { ...patch, metadata: { ...(patch.metadata ?? {}), name } }, manager, force, sub);
    const opts = { dryRun: r.dryRun, applied: true };
    const obj = r.viaWebhooks('CREATE') ? await createAdmitted(r, applied, opts) : state.objects.create(r.writeType(), r.nsKey, r.toStorage(applied), r.user, opts);
    await r.durable();
    r.respond(201, obj);
    return 'patch';
  }
  if (r.viaWebhooks('UPDATE')) {
    const withoutRv = (o: Record<string, any>) => ({ ...o, metadata: { ...o.metadata, resourceVersion: undefined } });
    const obj = await updateAdmitted(r, name, (current) => withoutRv(applyConfiguration(rt, current, patch, manager, force, sub)), { dryRun: r.dryRun, applied: true }, true);
    await r.durable();
    r.respond(200, obj);
    return 'patch';
  }
  const old = state.objects.parse(existing);
  const applied = r.toStorage(applyConfiguration(rt, r.fromStorage(old), patch, manager, force, sub));
  const next = { ...applied, metadata: { ...applied.metadata, resourceVersion: undefined } };
  const obj = state.objects.update(r.writeType(), r.nsKey, name, next, r.user, sub, { dryRun: r.dryRun, applied: true }, { entry: existing, obj: old });
  await r.durable();
  r.respond(200, obj);
  return 'patch';
}
