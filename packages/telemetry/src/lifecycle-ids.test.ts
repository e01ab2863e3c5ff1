import { describe, expect, it } from 'vitest';
import { trace } from '@opentelemetry/api';
import { lifecycleContext, lifecycleSampled, lifecycleSpanId, lifecycleTraceId } from './lifecycle-ids.ts';

const uid = '6f0a3c1e-2b7d-4c55-9e0a-1d2c3b4a5f60';

describe('lifecycle ids', () => {
  it('derives the same trace and span ids from a UID, different ones per phase and per object', () => {
    expect(lifecycleTraceId(uid)).toMatch(/^[0-9a-f]{32}$/);
    expect(lifecycleTraceId(uid)).toBe(lifecycleTraceId(uid));
    expect(lifecycleTraceId(uid)).not.toBe(lifecycleTraceId(uid.replace('6f', '70')));
    expect(lifecycleSpanId(uid, 'Pending')).toMatch(/^[0-9a-f]{16}$/);
    expect(new Set(['', 'Pending', 'Scheduling', 'Scheduled', 'Running'].map((p) => lifecycleSpanId(uid, p))).size).toBe(5);
  });

  it('samples a fraction of UIDs close to the ratio, and each UID the same way every time', () => {
    const uids = Array.from({ length: 4000 }, (_, i) => `uid-${i}`);
    const sampled = uids.filter((u) => lifecycleSampled(u, 0.1)).length;
    expect(sampled).toBeGreaterThan(300);
    expect(sampled).toBeLessThan(500);
    expect(uids.filter((u) => lifecycleSampled(u, 0)).length).toBe(0);
    expect(uids.filter((u) => lifecycleSampled(u, 1)).length).toBe(4000);
    // Monotone in the ratio: a VMI sampled at 1% is sampled at 10%.
    expect(uids.filter((u) => lifecycleSampled(u, 0.01) && !lifecycleSampled(u, 0.1))).toEqual([]);
  });

  it('builds a remote parent context carrying the phase span and the decision', () => {
    const sc = trace.getSpanContext(lifecycleContext(uid, 'Scheduled', false))!;
    expect(sc).toMatchObject({ traceId: lifecycleTraceId(uid), spanId: lifecycleSpanId(uid, 'Scheduled'), traceFlags: 0, isRemote: true });
    expect(trace.getSpanContext(lifecycleContext(uid, '', true))!.traceFlags).toBe(1);
  });
});
