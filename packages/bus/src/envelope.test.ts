import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headers as natsHeaders } from 'nats';
import { context, propagation, trace, type Span } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BusDecodeError, HEADER, decodeEvent, encodeEvent, type KubeObject, type ObjectEvent } from './envelope.ts';
import { slotOf } from './slot.ts';
import { eventSubject } from './subjects.ts';

const vmi: KubeObject = {
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: {
    name: 'vm-1',
    namespace: 'default',
    resourceVersion: '42',
    managedFields: [{ manager: 'virt-controller', operation: 'Update' }],
    labels: { 'kubevirt.io/nodeName': 'virtsim-node-00007' },
  },
  status: { phase: 'Scheduled', nodeName: 'virtsim-node-00007' },
};
const event: ObjectEvent = { type: 'MODIFIED', kind: 'VirtualMachineInstance', node: 'virtsim-node-00007', object: vmi, receivedAt: 1_700_000_000_123 };

describe('event envelope', () => {
  it('carries the JSON the caller already has as is, instead of serializing the object again', () => {
    const { managedFields: _, ...metadata } = vmi.metadata;
    const json = JSON.stringify({ ...vmi, metadata });
    const m = encodeEvent({ ...event, json });
    expect(new TextDecoder().decode(m.data)).toBe(json);
    expect(decodeEvent(m.subject, m.data, m.headers).object).toEqual({ ...vmi, metadata });
  });

  it('round-trips an event on its node slot subject, without managedFields', () => {
    const m = encodeEvent(event);
    expect(m.subject).toBe(`virtsim.ev.${slotOf('virtsim-node-00007')}`);
    expect(m.headers.get(HEADER.kind)).toBe('VirtualMachineInstance');
    expect(m.headers.get(HEADER.eventType)).toBe('MODIFIED');
    expect(m.headers.get(HEADER.resourceVersion)).toBe('42');
    const d = decodeEvent(m.subject, m.data, m.headers);
    expect(d.type).toBe('MODIFIED');
    expect(d.kind).toBe('VirtualMachineInstance');
    expect(d.resourceVersion).toBe('42');
    expect(d.slot).toBe(slotOf('virtsim-node-00007'));
    expect(d.receivedAt).toBe(1_700_000_000_123);
    expect(d.object.metadata.managedFields).toBeUndefined();
    expect(d.object.metadata.labels).toEqual(vmi.metadata.labels);
    expect(d.object.status).toEqual(vmi.status);
    // The caller's object is not modified.
    expect(vmi.metadata.managedFields).toBeDefined();
  });

  it('rejects garbage with an error naming the subject, field and reason', () => {
    const good = encodeEvent(event);
    const subject = good.subject;
    const bad = (data: Uint8Array, mutate?: (h: ReturnType<typeof natsHeaders>) => void, subj = subject) => {
      const h = natsHeaders();
      for (const k of good.headers.keys()) h.set(k, good.headers.get(k));
      mutate?.(h);
      try {
        decodeEvent(subj, data, h);
      } catch (err) {
        expect(err).toBeInstanceOf(BusDecodeError);
        return (err as Error).message;
      }
      throw new Error('decodeEvent accepted a bad message');
    };
    const text = (s: string) => new TextEncoder().encode(s);
    expect(bad(text('{not json'))).toMatch(new RegExp(`bad event message on ${subject.replace(/\./g, '\\.')}: body is not JSON`));
    expect(bad(text('[1,2]'))).toMatch(/body is not a JSON object/);
    expect(bad(text('{"metadata":{}}'))).toMatch(/VirtualMachineInstance body has no metadata.name/);
    expect(bad(good.data, (h) => h.delete(HEADER.kind))).toMatch(/header virtsim-kind is missing/);
    expect(bad(good.data, (h) => h.set(HEADER.eventType, 'EXPLODED'))).toMatch(/header virtsim-event is "EXPLODED", not one of ADDED, MODIFIED, DELETED/);
    expect(bad(good.data, (h) => h.set(HEADER.resourceVersion, '41'))).toMatch(/default\/vm-1: header virtsim-resource-version "41" differs from metadata.resourceVersion "42"/);
    const otherSlot = eventSubject((slotOf('virtsim-node-00007') + 1) % 1024);
    expect(bad(good.data, undefined, otherSlot)).toMatch(/hashes to slot \d+, not \d+/);
    expect(bad(good.data, undefined, 'virtsim.ev.4096')).toMatch(/subject is not virtsim.ev.<slot>/);
    expect(() => decodeEvent(subject, good.data, undefined)).toThrow(/message has no headers/);
  });

  it('refuses to encode an event it could not route', () => {
    expect(() => encodeEvent({ ...event, node: '' })).toThrow(/node name must be a non-empty string/);
    expect(() => encodeEvent({ ...event, object: { metadata: {} } as KubeObject })).toThrow(/has no metadata.name/);
  });
});

describe('trace context in headers', () => {
  beforeAll(() => propagation.setGlobalPropagator(new W3CTraceContextPropagator()));
  afterAll(() => propagation.disable());

  it('carries the publisher span as W3C traceparent to the receiver', () => {
    const spanContext = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 };
    const ctx = trace.setSpan(context.active(), trace.wrapSpanContext(spanContext) as Span);
    const m = encodeEvent(event, ctx);
    expect(m.headers.get('traceparent')).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    const d = decodeEvent(m.subject, m.data, m.headers);
    const received = trace.getSpanContext(d.traceContext);
    expect(received?.traceId).toBe(spanContext.traceId);
    expect(received?.spanId).toBe(spanContext.spanId);
    expect(received?.isRemote).toBe(true);
  });
});
