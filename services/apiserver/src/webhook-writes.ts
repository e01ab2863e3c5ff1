/**
 * Writes that go through admission webhooks. The object service is synchronous and webhooks are
 * not, so a write is prepared as a dry run (defaulting, in-process admission, validation), the
 * webhooks are awaited, and the prepared object is then committed. An update is computed from the
 * current object and committed only if that object is still current; else it is computed and sent
 * to the webhooks again, as kube-apiserver's GuaranteedUpdate does. Used only for writes some
 * webhook's rules name (ResourceRequest.viaWebhooks): the verbs keep their direct path otherwise.
 */
import type { DeleteOptions, WriteOptions } from './objects.ts';
import type { Entry } from './store.ts';
import type { ResourceRequest } from './resource-request.ts';
import { conflict } from './status.ts';
import { warningHeader, type AdmissionCall } from './webhook-admission.ts';
import type { AdmissionAttributes, Operation } from './webhook-match.ts';

type Obj = Record<string, any>;

/**
 * How often a write is recomputed when the object keeps changing while its webhooks run. etcd's
 * GuaranteedUpdate has no bound; each round lets at least one concurrent writer through, so this
 * only stops a write starved by a hundred others in a row (it then answers 409 Conflict).
 */
const MAX_ATTEMPTS = 100;

function optionsObject(kind: 'CreateOptions' | 'UpdateOptions', r: ResourceRequest): Obj {
  const o: Obj = { kind, apiVersion: 'meta.k8s.io/v1' };
  if (r.dryRun) o.dryRun = ['All'];
  const fm = r.fieldManager ?? r.q.get('fieldManager');
  if (fm) o.fieldManager = fm;
  return o;
}

function deleteOptionsObject(opts: DeleteOptions): Obj {
  const o: Obj = { kind: 'DeleteOptions', apiVersion: 'meta.k8s.io/v1' };
  if (opts.gracePeriodSeconds !== undefined) o.gracePeriodSeconds = opts.gracePeriodSeconds;
  if (opts.preconditions) o.preconditions = opts.preconditions;
  if (opts.propagationPolicy) o.propagationPolicy = opts.propagationPolicy;
  if (opts.dryRun) o.dryRun = ['All'];
  return o;
}

function call(r: ResourceRequest, operation: Operation, name: string, object: Obj | null, oldObject: Obj | null, options: Obj, ns = r.nsKey, kind = r.rt.kind): AdmissionCall {
  const { rt } = r;
  // A namespace's own requests carry its name as their namespace (admission.Attributes).
  const namespace = rt.group === '' && rt.resource === 'namespaces' ? name : ns;
  const attrs: AdmissionAttributes = {
    operation,
    group: rt.group,
    version: rt.version,
    resource: rt.resource,
    subresource: r.sub ?? '',
    kind,
    namespace,
    name,
    object,
    oldObject,
    dryRun: r.dryRun || options.dryRun !== undefined,
    equivalentVersions: equivalentVersions(r),
  };
  return { attrs, user: r.user, options, warn: (text) => warn(r, text) };
}

/** The warnings a response carries so far: the same text once per request, however often it is sent (reinvocation, retries). */
const warned = new WeakMap<ResourceRequest['res'], Set<string>>();

function warn(r: ResourceRequest, text: string): void {
  let texts = warned.get(r.res);
  if (!texts) warned.set(r.res, (texts = new Set()));
  if (texts.has(text) || r.res.headersSent) return;
  texts.add(text);
  r.res.appendHeader('Warning', warningHeader(text));
}

/**
 * The served versions of the request's group/resource whose objects differ only in apiVersion
 * (none when the request's own version is converted, as events.k8s.io Events are).
 */
function equivalentVersions(r: ResourceRequest): string[] {
  const { rt } = r;
  if (rt.convert) return [];
  return r.state.registry
    .all()
    .filter((x) => x.group === rt.group && x.resource === rt.resource && x.version !== rt.version && !x.convert)
    .map((x) => x.version);
}

/** CREATE: mutating webhooks on the request's object, then the object service's checks, then validating webhooks. */
export async function createAdmitted(r: ResourceRequest, body: Obj, opts: WriteOptions): Promise<Obj> {
  const { state } = r;
  const webhooks = state.webhooks!;
  const name = typeof body.metadata?.name === 'string' ? body.metadata.name : '';
  const c = call(r, 'CREATE', name, body, null, optionsObject('CreateOptions', r));
  const mutated = (await webhooks.mutate(c)) ?? body;
  const prepared = state.objects.create(r.writeType(), r.nsKey, r.toStorage(mutated), r.user, { ...opts, dryRun: true });
  await webhooks.validate({ ...c, attrs: { ...c.attrs, object: r.fromStorage(prepared) } });
  if (opts.dryRun) return prepared;
  return state.objects.commitCreate(r.writeType(), r.nsKey, prepared);
}

/**
 * CREATE of a subresource that is not stored as itself (pods/binding, serviceaccounts/token):
 * `kind` is the posted object's (Binding, TokenRequest); mutating then validating webhooks see it,
 * and the result is what to apply.
 */
export async function admitSubresourceCreate(r: ResourceRequest, name: string, body: Obj, kind: string, kindGroupVersion?: { group: string; version: string }): Promise<Obj> {
  const webhooks = r.state.webhooks!;
  const c = call(r, 'CREATE', name, body, null, optionsObject('CreateOptions', r), r.nsKey, kind);
  if (kindGroupVersion) c.attrs.kindGroupVersion = kindGroupVersion;
  const mutated = (await webhooks.mutate(c)) ?? body;
  await webhooks.validate({ ...c, attrs: { ...c.attrs, object: mutated } });
  return mutated;
}

/**
 * UPDATE (PUT, every patch, subresources): `next` computes the request's object from the current
 * one (both in the request's version). `patched`: the write is a patch of the current object, which
 * (unlike a PUT of a custom resource) need not carry a resourceVersion.
 */
export async function updateAdmitted(r: ResourceRequest, name: string, next: (current: Obj) => Obj, opts: WriteOptions, patched: boolean): Promise<Obj> {
  const { state } = r;
  const webhooks = state.webhooks!;
  const rt = r.writeType();
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    // The store updates an entry in place: its version is what was read.
    const entry = state.objects.getEntry(rt, r.nsKey, name);
    const readRv = entry.rv;
    const stored = state.objects.parse(entry);
    const current = r.fromStorage(stored);
    const c = call(r, 'UPDATE', name, next(current), current, optionsObject('UpdateOptions', r));
    const mutated = (await webhooks.mutate(c)) ?? c.attrs.object!;
    const now = state.objects.getEntry(rt, r.nsKey, name);
    if (now.rv !== readRv) continue; // changed while the mutating webhooks ran
    // A patch leaves the object it applies to as it was (the path without webhooks relies on that
    // too), so what was read serves again as the base, unless a mutating webhook changed it.
    const base = patched ? { entry: now, obj: mutated === c.attrs.object ? stored : state.objects.parse(now) } : undefined;
    const prepared = state.objects.update(rt, r.nsKey, name, r.toStorage(mutated), r.user, r.sub, { ...opts, dryRun: true }, base);
    await webhooks.validate({ ...c, attrs: { ...c.attrs, object: r.fromStorage(prepared) } });
    if (opts.dryRun) return prepared;
    const done = state.objects.commitUpdate(rt, r.nsKey, name, prepared);
    if (done) return done;
  }
  throw conflict(rt.group, rt.resource, name, 'the object has been modified; please apply your changes to the latest version and try again');
}

/**
 * UPDATE of a subresource served as another kind (`NAME/scale`: an autoscaling/v1 Scale): the
 * webhooks see `ask(current)` and `view(current)` as object and oldObject, both of `kind`. Returns
 * what they left, with the stored object it was computed from, still current when this returns.
 */
export async function admitSubresourceUpdate(
  r: ResourceRequest,
  name: string,
  kind: string,
  kindGroupVersion: { group: string; version: string },
  ask: (current: Obj) => Obj,
  view: (current: Obj) => Obj,
): Promise<{ entry: Entry; current: Obj; asked: Obj }> {
  const { state, rt } = r;
  const webhooks = state.webhooks!;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const entry = state.objects.getEntry(rt, r.nsKey, name);
    const readRv = entry.rv;
    const current = state.objects.parse(entry);
    const c = call(r, 'UPDATE', name, ask(current), view(current), optionsObject('UpdateOptions', r), r.nsKey, kind);
    c.attrs.kindGroupVersion = kindGroupVersion;
    const mutated = (await webhooks.mutate(c)) ?? c.attrs.object!;
    await webhooks.validate({ ...c, attrs: { ...c.attrs, object: mutated } });
    const now = state.objects.getEntry(rt, r.nsKey, name);
    if (now.rv === readRv) return { entry: now, current: state.objects.parse(now), asked: mutated };
  }
  throw conflict(rt.group, rt.resource, name, 'the object has been modified; please apply your changes to the latest version and try again');
}

/** DELETE: the current object as oldObject; deleted only if it is still that version once the webhooks allowed it. */
export async function deleteAdmitted(r: ResourceRequest, ns: string, name: string, opts: DeleteOptions): Promise<{ obj: Obj; removed: boolean }> {
  const { state, rt } = r;
  const webhooks = state.webhooks!;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const entry = state.objects.getEntry(rt, ns, name);
    const readRv = entry.rv;
    const c = call(r, 'DELETE', name, null, r.fromStorage(state.objects.parse(entry)), deleteOptionsObject(opts), ns);
    // Mutating webhooks see the delete too (they have no object to patch).
    await webhooks.mutate(c);
    await webhooks.validate(c);
    if (state.objects.store.get(rt.storeKey, ns, name)?.rv !== readRv) continue;
    return state.objects.delete(rt, ns, name, r.user, opts);
  }
  throw conflict(rt.group, rt.resource, name, 'the object has been modified; please apply your changes to the latest version and try again');
}
