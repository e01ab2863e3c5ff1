import { StatusError, objectKey, objectPath, type Impersonation, type KubeObject, type ResourceRef } from '@virtsim/kube';
import type { ControllerContext } from './context.ts';
import { KUBEVIRT_CONTROLLER } from './context.ts';
import type { ObjectCache } from './object-cache.ts';

export class ConflictError extends Error {}

/** Someone wrote in between: the key is planned again from the version the watch brings. */
export const isConflict = (err: unknown): boolean => err instanceof ConflictError;

export interface PatchOptions {
  subresource?: 'status';
  /**
   * Send the resourceVersion we planned from, so the write fails (409) instead of overwriting
   * lists (conditions, phaseTransitionTimestamps) that someone changed since: virt-controller's
   * Update has the same guard.
   */
  guard?: boolean;
  impersonate?: Impersonation | null;
  contentType?: string;
}

/** A merge patch as kubevirt-controller; the answer is remembered by the cache. 409 throws ConflictError. */
export async function patch(ctx: ControllerContext, cache: ObjectCache, obj: KubeObject, body: Record<string, any>, o: PatchOptions = {}): Promise<boolean> {
  const key = objectKey(obj);
  const ref: ResourceRef = cache.ref;
  const sent = o.guard ? { ...body, metadata: { ...(body.metadata ?? {}), resourceVersion: obj.metadata.resourceVersion } } : body;
  try {
    const r = await ctx.writer.write({
      key,
      resource: o.subresource ? `${ref.resource}/${o.subresource}` : ref.resource,
      method: 'PATCH',
      path: objectPath(ref, obj.metadata.namespace, obj.metadata.name, o.subresource),
      contentType: o.contentType ?? 'application/merge-patch+json',
      body: sent,
      impersonate: o.impersonate === null ? undefined : (o.impersonate ?? KUBEVIRT_CONTROLLER),
    });
    if (r.outcome === 'gone') return false;
    cache.wrote(r.body);
    return true;
  } catch (err) {
    if (err instanceof StatusError && err.code === 409) {
      cache.forgetWrite(key);
      throw new ConflictError(`${ref.resource} ${key}: ${err.message}`);
    }
    throw err;
  }
}

/** DELETE; a missing object counts as deleted. */
export async function remove(ctx: ControllerContext, ref: ResourceRef, obj: KubeObject, query?: Record<string, string>): Promise<void> {
  await ctx.writer.write({
    key: objectKey(obj),
    resource: ref.resource,
    method: 'DELETE',
    path: objectPath(ref, obj.metadata.namespace, obj.metadata.name),
    query,
    impersonate: KUBEVIRT_CONTROLLER,
    ignoreResponseBody: true,
  });
}

/** A finalizer-list patch that keeps the others' finalizers (guarded: lists are replaced whole). */
export function withoutFinalizers(obj: KubeObject, drop: string[]): string[] | undefined {
  const cur = obj.metadata.finalizers ?? [];
  const next = cur.filter((f) => !drop.includes(f));
  return next.length === cur.length ? undefined : next;
}
