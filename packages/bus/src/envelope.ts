import { headers as natsHeaders, type MsgHdrs } from 'nats';
import type { Context } from '@opentelemetry/api';
import { slotOf } from './slot.ts';
import { eventSubject, slotOfSubject } from './subjects.ts';
import { extractTraceContext, injectTraceContext } from './trace-context.ts';

/** Header names of an event message (lower case: nats.js matches header names exactly). */
export const HEADER = {
  kind: 'virtsim-kind',
  eventType: 'virtsim-event',
  resourceVersion: 'virtsim-resource-version',
  node: 'virtsim-node',
  /** Milliseconds since the Unix epoch when the watcher received the change (fan-out lag). */
  receivedAt: 'virtsim-received-at',
  /** namespace/name of the object, so a message refused unread (too large) can still be named. */
  key: 'virtsim-key',
} as const;

/**
 * The largest event body an agent decodes: the API server's request limit (3 MiB), so no real
 * object is refused, while a nats-server configured with a huge max_payload cannot make an agent
 * parse (and hold) arbitrarily large messages.
 */
export const MAX_EVENT_BYTES = 3 * 1024 * 1024;

export const EVENT_TYPES = ['ADDED', 'MODIFIED', 'DELETED'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** The parts of a Kubernetes object the bus relies on; everything else travels untouched. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    managedFields?: unknown;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** One object change, as published by the watcher and received by the owning agent. */
export interface ObjectEvent {
  type: EventType;
  /** Kubernetes kind (Node, Pod, VirtualMachineInstance, ...): list items carry no kind of their own. */
  kind: string;
  /** The node that decides the slot (the object's partition key). */
  node: string;
  object: KubeObject;
  /** When the watcher received the change, ms since the Unix epoch. */
  receivedAt: number;
  /** The object as JSON without managedFields, when the caller has it already (not serialized again). */
  json?: string;
}

export interface DecodedEvent extends ObjectEvent {
  slot: number;
  resourceVersion: string;
  /** The publisher's trace context, to parent the receiver's spans on. */
  traceContext: Context;
}

export interface EncodedMessage {
  subject: string;
  data: Uint8Array;
  headers: MsgHdrs;
}

/** A message that is not a well-formed event; names the subject and what is wrong with it. */
export class BusDecodeError extends Error {
  readonly subject: string;
  readonly reason: string;
  /** 'too_large': over the size limit, skipped unread; 'malformed': anything else. */
  readonly code: 'malformed' | 'too_large';
  constructor(subject: string, reason: string, code: 'malformed' | 'too_large' = 'malformed') {
    super(`bad event message on ${subject}: ${reason}`);
    this.name = 'BusDecodeError';
    this.subject = subject;
    this.reason = reason;
    this.code = code;
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** A copy of the object without metadata.managedFields (large, and of no use to the agents). */
export function stripManagedFields(object: KubeObject): KubeObject {
  if (!object.metadata || !('managedFields' in object.metadata)) return object;
  const { managedFields: _dropped, ...metadata } = object.metadata;
  return { ...object, metadata };
}

function objectKey(object: KubeObject): string {
  const m = object.metadata;
  return m.namespace ? `${m.namespace}/${m.name}` : m.name;
}

/**
 * Encodes a change for `virtsim.ev.<slotOf(node)>`: the JSON body is the object without
 * managedFields; the headers carry kind, event type, resourceVersion, node, receipt time and the
 * W3C trace context of `traceContext` (the active context by default).
 */
export function encodeEvent(event: ObjectEvent, traceContext?: Context): EncodedMessage {
  const { object } = event;
  if (!object || typeof object !== 'object' || !object.metadata || typeof object.metadata.name !== 'string') {
    throw new Error(`encodeEvent: ${event.kind} object has no metadata.name`);
  }
  if (!EVENT_TYPES.includes(event.type)) {
    throw new Error(`encodeEvent: ${event.kind} ${objectKey(object)}: event type ${JSON.stringify(event.type)} is not one of ${EVENT_TYPES.join(', ')}`);
  }
  if (!event.kind) throw new Error(`encodeEvent: object ${objectKey(object)} has no kind`);
  const h = natsHeaders();
  h.set(HEADER.kind, event.kind);
  h.set(HEADER.eventType, event.type);
  h.set(HEADER.resourceVersion, object.metadata.resourceVersion ?? '');
  h.set(HEADER.node, event.node);
  h.set(HEADER.receivedAt, String(event.receivedAt));
  h.set(HEADER.key, objectKey(object));
  injectTraceContext(h, traceContext);
  return {
    subject: eventSubject(slotOf(event.node)),
    data: encoder.encode(event.json ?? JSON.stringify(stripManagedFields(object))),
    headers: h,
  };
}

function requiredHeader(subject: string, h: MsgHdrs, name: string): string {
  const value = h.has(name) ? h.get(name) : '';
  if (!value) throw new BusDecodeError(subject, `header ${name} is missing`);
  return value;
}

/**
 * Decodes an event message; throws BusDecodeError naming the subject, field and reason. A body over
 * `maxBytes` is refused before it is read, named by its headers.
 */
export function decodeEvent(subject: string, data: Uint8Array, h: MsgHdrs | undefined, maxBytes = MAX_EVENT_BYTES): DecodedEvent {
  const slot = slotOfSubject(subject);
  if (slot === undefined) throw new BusDecodeError(subject, 'subject is not virtsim.ev.<slot>');
  if (!h) throw new BusDecodeError(subject, 'message has no headers');
  const kind = requiredHeader(subject, h, HEADER.kind);
  const type = requiredHeader(subject, h, HEADER.eventType);
  if (!(EVENT_TYPES as readonly string[]).includes(type)) {
    throw new BusDecodeError(subject, `header ${HEADER.eventType} is ${JSON.stringify(type)}, not one of ${EVENT_TYPES.join(', ')}`);
  }
  const node = requiredHeader(subject, h, HEADER.node);
  if (slotOf(node) !== slot) {
    throw new BusDecodeError(subject, `header ${HEADER.node} ${JSON.stringify(node)} hashes to slot ${slotOf(node)}, not ${slot}`);
  }
  const receivedAt = Number(requiredHeader(subject, h, HEADER.receivedAt));
  if (!Number.isFinite(receivedAt)) throw new BusDecodeError(subject, `header ${HEADER.receivedAt} is not a number`);
  if (data.length > maxBytes) {
    const key = h.has(HEADER.key) ? h.get(HEADER.key) : '(no key header)';
    const rv = h.has(HEADER.resourceVersion) ? h.get(HEADER.resourceVersion) : '';
    throw new BusDecodeError(subject, `${kind} ${key} on node ${node} (resourceVersion ${rv}): body is ${data.length} bytes, over the limit of ${maxBytes}`, 'too_large');
  }
  let object: KubeObject;
  try {
    object = JSON.parse(decoder.decode(data)) as KubeObject;
  } catch (err) {
    throw new BusDecodeError(subject, `body is not JSON (${(err as Error).message})`);
  }
  if (!object || typeof object !== 'object' || Array.isArray(object)) {
    throw new BusDecodeError(subject, 'body is not a JSON object');
  }
  if (!object.metadata || typeof object.metadata !== 'object' || typeof object.metadata.name !== 'string' || !object.metadata.name) {
    throw new BusDecodeError(subject, `${kind} body has no metadata.name`);
  }
  const resourceVersion = h.has(HEADER.resourceVersion) ? h.get(HEADER.resourceVersion) : '';
  const bodyRv = object.metadata.resourceVersion ?? '';
  if (resourceVersion !== bodyRv) {
    throw new BusDecodeError(
      subject,
      `${kind} ${objectKey(object)}: header ${HEADER.resourceVersion} ${JSON.stringify(resourceVersion)} differs from metadata.resourceVersion ${JSON.stringify(bodyRv)}`,
    );
  }
  return {
    type: type as EventType,
    kind,
    node,
    object,
    receivedAt,
    slot,
    resourceVersion,
    traceContext: extractTraceContext(h),
  };
}
