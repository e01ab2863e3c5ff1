import {
  applyJsonPatch,
  applyMergePatch,
  applyStrategicMergePatch,
  builtinPatchSchemas,
  deepEqual,
} from '@virtsim/apimachinery';
import { EVENTS, collectionPath, objectPath, type Impersonation, type KubeObject, type WriteRequest } from '@virtsim/kube';
import { PATCH_CONTENT_TYPES, type PlanRequest } from '@virtsim/stages';
import { createHash } from 'node:crypto';
import { resourceOf } from './resource-of.ts';

/**
 * The name of a stage's event: <object>.<16 hex digits> as client-go's recorder shapes it, but
 * derived from the object version the stage was planned from (UID, resourceVersion) and the
 * event, not from the clock. A replay of the same plan (a new slot owner after a handover, a
 * resync while the first play's patch was still retried) POSTs the same name and gets 409
 * AlreadyExists instead of recording a second Started event for one transition.
 */
export function stageEventName(name: string, uid: string | undefined, rv: string | undefined, reason: string | undefined, message: string | undefined): string {
  const h = createHash('sha256').update(`${uid ?? ''}\0${rv ?? ''}\0${reason ?? ''}\0${message ?? ''}`).digest('hex');
  return `${name}.${h.slice(0, 16)}`;
}

type StageImpersonation = { username: string; groups?: string[]; extra?: Record<string, string[]> };

function impersonation(i: StageImpersonation | undefined): Impersonation | undefined {
  return i ? { user: i.username, groups: i.groups, extra: i.extra } : undefined;
}

/**
 * True when the patch would leave the object as it is: such a write is not sent (it would cost
 * the API server a write and every watcher an event for nothing).
 */
export function isNoopPatch(obj: KubeObject, type: 'merge' | 'json' | 'strategic', data: unknown): boolean {
  try {
    let after: unknown;
    if (type === 'merge') after = applyMergePatch(obj, data);
    else if (type === 'json') after = applyJsonPatch(obj, data as Parameters<typeof applyJsonPatch>[1]);
    else {
      const schema = builtinPatchSchemas[`${obj.apiVersion ?? 'v1'}/${obj.kind}`];
      if (!schema) return false;
      after = applyStrategicMergePatch(obj, data, schema);
    }
    return deepEqual(after, obj);
  } catch {
    // Let the API server judge (and word the error for) a patch we cannot apply here.
    return false;
  }
}

/**
 * The patch with a resourceVersion precondition: the API server answers 409 if the object changed
 * since the stage was chosen (another writer, or the previous owner of a slot during a handover),
 * and the agent plans again from the newer version instead of applying a transition twice.
 */
function withPrecondition(type: 'merge' | 'json' | 'strategic', data: unknown, rv: string | undefined): unknown {
  if (!rv) return data;
  if (type === 'json') return Array.isArray(data) ? [{ op: 'test', path: '/metadata/resourceVersion', value: rv }, ...data] : data;
  if (!data || typeof data !== 'object' || Array.isArray(data)) return data;
  const d = data as { metadata?: Record<string, unknown> };
  return { ...d, metadata: { ...d.metadata, resourceVersion: rv } };
}

/**
 * Turns one planned request on `obj` into the HTTP write that carries it out (null: skip it).
 * `rv` is the resourceVersion the object has now (the plan's, or our previous write's answer).
 */
export function toWriteRequest(obj: KubeObject, req: PlanRequest, component: string, rv = obj.metadata.resourceVersion): WriteRequest | null {
  const ref = resourceOf(obj);
  const ns = obj.metadata.namespace;
  const name = obj.metadata.name;
  const key = ns ? `${ns}/${name}` : name;
  switch (req.kind) {
    case 'patch':
      if (isNoopPatch(obj, req.type, req.data)) return null;
      return {
        key,
        resource: ref.resource,
        method: 'PATCH',
        path: objectPath(ref, ns, name, req.subresource || undefined),
        body: withPrecondition(req.type, req.data, rv),
        contentType: PATCH_CONTENT_TYPES[req.type],
        impersonate: impersonation(req.impersonate),
      };
    case 'delete':
      return {
        key,
        resource: ref.resource,
        method: 'DELETE',
        path: objectPath(ref, ns, name),
        body: { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: req.gracePeriodSeconds },
        ignoreResponseBody: true,
      };
    case 'apply': {
      const target = req.data as KubeObject;
      const tref = resourceOf({ ...target, metadata: { ...target.metadata, namespace: target.metadata?.namespace ?? ns } });
      const tns = target.metadata?.namespace ?? (tref.namespaced ? ns : undefined);
      return {
        key: tns ? `${tns}/${target.metadata.name}` : target.metadata.name,
        resource: tref.resource,
        method: 'PATCH',
        path: objectPath(tref, tns, target.metadata.name, req.subresource || undefined),
        query: req.type === 'apply' ? { fieldManager: 'kwok', force: true } : undefined,
        body: target,
        contentType: PATCH_CONTENT_TYPES[req.type],
        impersonate: impersonation(req.impersonate),
      };
    }
    case 'event': {
      const evNs = ns ?? 'default';
      const now = new Date().toISOString();
      return {
        key,
        resource: 'events',
        method: 'POST',
        path: collectionPath(EVENTS, evNs),
        body: {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { name: stageEventName(name, obj.metadata.uid, rv, req.reason, req.message), namespace: evNs },
          involvedObject: { apiVersion: obj.apiVersion, kind: obj.kind, name, namespace: ns, uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion },
          type: req.type || 'Normal',
          reason: req.reason,
          message: req.message,
          source: { component },
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
        // Nothing reads the Event back: its answer is not parsed.
        ignoreResponseBody: true,
      };
    }
  }
}
