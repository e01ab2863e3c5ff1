/** pods/binding: what the scheduler posts to place a pod on a node. */
import type { UserInfo } from './auth.ts';
import type { ObjectService } from './objects.ts';
import type { ResourceType } from './resources.ts';
import { StatusError, conflict } from './status.ts';

type Obj = Record<string, any>;

export function bindPod(objects: ObjectService, rt: ResourceType, ns: string, name: string, body: Obj, user: UserInfo): void {
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
