import { EVENTS, collectionPath, objectKey, type KubeObject } from '@virtsim/kube';
import type { ControllerContext } from './context.ts';
import { kubeNow } from './time.ts';

/** Nanoseconds after the epoch, unique within this process: client-go names an Event `<object>.<%x of UnixNano>`. */
let lastNanos = 0n;
function uniqueNanos(): bigint {
  const now = BigInt(Date.now()) * 1_000_000n;
  lastNanos = now > lastNanos ? now : lastNanos + 1n;
  return lastNanos;
}

/**
 * Records a core/v1 Event about an object, as client-go's event recorder does (name
 * `<object>.<hex nanoseconds>`, source component), without waiting for it: an event that cannot be written
 * is dropped with a debug line, never retried in the caller's path.
 */
export function recordEvent(ctx: ControllerContext, component: string, obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
  const ns = obj.metadata.namespace ?? 'default';
  const now = kubeNow();
  const body = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${obj.metadata.name}.${uniqueNanos().toString(16)}`, namespace: ns },
    involvedObject: {
      apiVersion: obj.apiVersion,
      kind: obj.kind,
      name: obj.metadata.name,
      namespace: ns,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
    },
    reason,
    message,
    type,
    source: { component },
    reportingComponent: component,
    reportingInstance: '',
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
  };
  ctx.writer
    .write({ key: objectKey(obj), resource: 'events', method: 'POST', path: collectionPath(EVENTS, ns), body, ignoreResponseBody: true })
    .catch((err) => ctx.log.debug({ object: objectKey(obj), reason, err }, 'event not recorded'));
}
