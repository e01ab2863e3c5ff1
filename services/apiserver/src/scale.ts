/**
 * The `scale` subresource (autoscaling/v1 Scale), as kube-apiserver serves it for Deployments,
 * ReplicaSets, StatefulSets and ReplicationControllers, and for custom resources whose CRD
 * declares `subresources.scale` (KubeVirt's VirtualMachineInstanceReplicaSet and
 * VirtualMachinePool): GET reads the replica counts and selector out of the object, PUT and PATCH
 * write `spec.replicas` (at the CRD's specReplicasPath) back into it. `kubectl scale` and the
 * HorizontalPodAutoscaler use it.
 */
import { fieldErrors, LabelSelector } from '@virtsim/apimachinery';
import { applyPatchBody, patchTypeOf } from './patches.ts';
import type { ResourceRequest } from './resource-request.ts';
import type { ResourceType, ScaleSpec } from './resources.ts';
import { badRequest, invalid, methodNotAllowed, StatusError } from './status.ts';
import { admitSubresourceUpdate } from './webhook-writes.ts';

type Obj = Record<string, any>;

/** `.spec.replicas` -> ['spec', 'replicas'] (the JSON paths CRDs use: dotted, no indexes). */
const segments = (path: string) => path.replace(/^\./, '').split('.');

function read(obj: Obj, path: string): unknown {
  let cur: any = obj;
  for (const s of segments(path)) cur = cur?.[s];
  return cur;
}

/** A copy of `obj` with `value` at `path`, objects on the way copied (the stored object is never mutated). */
function written(obj: Obj, path: string, value: unknown): Obj {
  const [head, ...rest] = segments(path);
  const out = { ...obj };
  out[head!] = rest.length ? written((obj[head!] as Obj) ?? {}, rest.join('.'), value) : value;
  return out;
}

/** status.selector: the label query in its string form, as kube formats it. */
function selectorOf(spec: ScaleSpec, obj: Obj): string | undefined {
  const sel = spec.selector;
  if (!sel) return undefined;
  if (sel.from === 'spec.selector') return obj.spec?.selector ? LabelSelector.fromObject(obj.spec.selector).toString() : '';
  if (sel.from === 'spec.selector map') return LabelSelector.fromObject({ matchLabels: obj.spec?.selector ?? {} }).toString();
  const v = read(obj, sel.path);
  return typeof v === 'string' ? v : undefined;
}

export function scaleOf(rt: ResourceType, obj: Obj): Obj {
  const spec = rt.scale!;
  const md = obj.metadata;
  const selector = selectorOf(spec, obj);
  const specReplicas = read(obj, spec.specReplicasPath);
  const statusReplicas = read(obj, spec.statusReplicasPath);
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: md.name, namespace: md.namespace, uid: md.uid, resourceVersion: md.resourceVersion, creationTimestamp: md.creationTimestamp },
    spec: { replicas: typeof specReplicas === 'number' ? specReplicas : 0 },
    status: { replicas: typeof statusReplicas === 'number' ? statusReplicas : 0, ...(selector ? { selector } : {}) },
  };
}

/** The Scale a client sent: kind, replicas and resourceVersion checked as kube's scale REST does. */
function validated(name: string, scale: Obj): { replicas: number; resourceVersion?: string } {
  if (scale.kind !== undefined && scale.kind !== 'Scale') throw badRequest(`the kind in the data (${scale.kind}) does not match the expected kind (Scale)`);
  if (scale.metadata?.name !== undefined && scale.metadata.name !== name) throw badRequest(`the name of the object (${scale.metadata.name}) does not match the name on the URL (${name})`);
  const replicas = scale.spec?.replicas ?? 0;
  if (!Number.isInteger(replicas)) throw badRequest('spec.replicas: expected an integer');
  if (replicas < 0) throw invalid('Scale', 'autoscaling', name, [fieldErrors.invalid('spec.replicas', replicas, 'must be greater than or equal to 0')]);
  return { replicas, resourceVersion: scale.metadata?.resourceVersion || undefined };
}

/** GET, PUT or PATCH of NAME/scale. */
export async function serveScale(r: ResourceRequest, method: 'GET' | 'PUT' | 'PATCH'): Promise<string> {
  const { state, rt, name } = r;
  if (name === undefined) throw methodNotAllowed(method, `${rt.resource}/scale`);
  const verb = method === 'GET' ? 'get' : method === 'PUT' ? 'update' : 'patch';
  r.authorize(verb);
  let entry = state.objects.getEntry(rt, r.nsKey, name);
  let current = state.objects.parse(entry);
  if (method === 'GET') {
    r.send(200, JSON.stringify(scaleOf(rt, current)));
    return verb;
  }
  const scaleType = { ...rt, group: 'autoscaling', version: 'v1', kind: 'Scale', crd: undefined };
  const body = method === 'PUT' ? await r.object() : await r.body();
  const ask = (cur: Obj): Obj => (Buffer.isBuffer(body) ? applyPatchBody(patchTypeOf(r.req.headers['content-type'], scaleType), scaleType, scaleOf(rt, cur), body) : body);
  let asked = ask(current);
  // Admission webhooks see the Scale, as for any `*/scale` request to kube-apiserver.
  if (r.viaWebhooks('UPDATE')) ({ entry, current, asked } = await admitSubresourceUpdate(r, name, 'Scale', { group: 'autoscaling', version: 'v1' }, ask, (cur) => scaleOf(rt, cur)));
  const { replicas, resourceVersion } = validated(name, asked);
  if (resourceVersion !== undefined && resourceVersion !== current.metadata.resourceVersion)
    throw new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${rt.group ? `${rt.resource}.${rt.group}` : rt.resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`, {
      name,
      group: rt.group,
      kind: rt.resource,
    });
  // Written as the version asked for, like a PUT of the object: a CRD whose storage version is
  // another one (KubeVirt v0.59 stores VMI replica sets as v1alpha3, kubectl scales them in v1).
  const next = r.toStorage(written(r.fromStorage(current), rt.scale!.specReplicasPath, replicas));
  const obj = state.objects.update(r.writeType(), r.nsKey, name, next, r.user, undefined, { dryRun: r.dryRun, fieldManager: r.fieldManager, userAgentManager: r.userAgentManager }, { entry, obj: current });
  await r.durable();
  r.send(200, JSON.stringify(scaleOf(rt, obj)));
  return verb;
}
