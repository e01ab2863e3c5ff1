import { afterEach, describe, expect, it } from 'vitest';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { lifecycleSpanId, lifecycleTraceId, startTracing, type Tracing } from '@virtsim/telemetry';
import type { KubeObject } from '@virtsim/kube';
import { LifecycleTracer, lastWriter } from './lifecycle-tracer.ts';

const vmi = (phase?: string, extra: Partial<KubeObject['metadata']> = {}): KubeObject => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { name: 'v', namespace: 'ns', uid: 'uid-1', creationTimestamp: '2026-01-01T00:00:00Z', ...extra },
  ...(phase ? { status: { phase } } : {}),
});

describe('LifecycleTracer', () => {
  let tracing: Tracing | undefined;
  afterEach(async () => {
    await tracing?.shutdown();
    tracing = undefined;
  });

  it('turns the phases a VMI goes through into tiled phase spans under a root that ends at Running', async () => {
    // Epoch milliseconds (OpenTelemetry reads small numbers as time since the process started).
    const T = Date.parse('2026-01-01T00:00:00Z');
    const exporter = new InMemorySpanExporter();
    tracing = await startTracing({ service: 'watcher', exporter, sampleRatio: 0 });
    const lt = new LifecycleTracer(tracing.tracer, 1);
    lt.emit = true;
    lt.observe('VirtualMachineInstance', 'ADDED', vmi(), T + 1000);
    lt.observe('VirtualMachineInstance', 'MODIFIED', vmi('Pending'), T + 1010);
    const ctx = lt.observe('VirtualMachineInstance', 'MODIFIED', vmi('Scheduling'), T + 1030);
    // The fleet's spans for this event nest under the Scheduling phase, by its derived id.
    expect(trace.getSpanContext(ctx)).toMatchObject({ traceId: lifecycleTraceId('uid-1'), spanId: lifecycleSpanId('uid-1', 'Scheduling'), traceFlags: 1 });
    lt.observe('VirtualMachineInstance', 'MODIFIED', vmi('Scheduled'), T + 1060);
    lt.observe('VirtualMachineInstance', 'MODIFIED', vmi('Running'), T + 1100, 'virt-handler-x');
    lt.observe('VirtualMachineInstance', 'MODIFIED', vmi('Running'), T + 1200);
    expect(lt.size).toBe(1);
    lt.observe('VirtualMachineInstance', 'DELETED', vmi('Running'), T + 1500);
    expect(lt.size).toBe(0);
    const spans = exporter.getFinishedSpans();
    const ms = (t: [number, number]) => Math.round(t[0] * 1000 + t[1] / 1e6);
    const root = spans.find((s) => s.name === 'VirtualMachineInstance ns/v')!;
    // Sampled from the UID at ratio 1 although the process's own ratio is 0.
    expect(root.spanContext()).toMatchObject({ traceId: lifecycleTraceId('uid-1'), spanId: lifecycleSpanId('uid-1') });
    expect([ms(root.startTime), ms(root.endTime)]).toEqual([T + 1000, T + 1100]);
    const phases = spans.filter((s) => s.name.startsWith('phase ')).map((s) => [s.name, ms(s.startTime), ms(s.endTime), s.attributes['virtsim.phase.ended_by'], s.parentSpanContext?.spanId]);
    const r = root.spanContext().spanId;
    expect(phases).toEqual([
      ['phase Unset', T + 1000, T + 1010, 'virt-controller', r],
      ['phase Pending', T + 1010, T + 1030, 'virt-controller', r],
      ['phase Scheduling', T + 1030, T + 1060, 'virt-controller', r],
      ['phase Scheduled', T + 1060, T + 1100, 'virt-handler-x', r],
      ['phase Running', T + 1100, T + 1500, 'deleted', r],
    ]);
  });

  it('emits nothing for an unsampled VMI or while not leading, and starts a relisted VMI at its creation', async () => {
    const exporter = new InMemorySpanExporter();
    tracing = await startTracing({ service: 'watcher', exporter });
    const off = new LifecycleTracer(tracing.tracer, 0);
    off.emit = true;
    const ctx = off.observe('VirtualMachineInstance', 'ADDED', vmi(), 1000);
    expect(trace.getSpanContext(ctx)?.traceFlags).toBe(0);
    off.observe('VirtualMachineInstance', 'MODIFIED', vmi('Running'), 1100);
    const standby = new LifecycleTracer(tracing.tracer, 1);
    standby.observe('VirtualMachineInstance', 'ADDED', vmi(undefined, { uid: 'uid-2' }), 1000);
    standby.observe('VirtualMachineInstance', 'MODIFIED', vmi('Running', { uid: 'uid-2' }), 1100);
    expect(exporter.getFinishedSpans()).toEqual([]);
    const relist = new LifecycleTracer(tracing.tracer, 1);
    relist.emit = true;
    const scheduled = { ...vmi('Scheduled', { uid: 'uid-3' }), status: { phase: 'Scheduled', phaseTransitionTimestamps: [{ phase: 'Scheduled', phaseTransitionTimestamp: '2026-01-01T00:00:02Z' }] } };
    relist.observe('VirtualMachineInstance', 'ADDED', scheduled, Date.parse('2026-01-01T00:00:03Z'));
    relist.observe('VirtualMachineInstance', 'MODIFIED', vmi('Running', { uid: 'uid-3' }), Date.parse('2026-01-01T00:00:04Z'));
    const names = exporter.getFinishedSpans().map((s) => [s.name, s.startTime[0]]);
    expect(names).toEqual([
      ['phase Scheduled', Date.parse('2026-01-01T00:00:02Z') / 1000],
      ['VirtualMachineInstance ns/v', Date.parse('2026-01-01T00:00:00Z') / 1000],
    ]);
  });

  it('reads the newest managedFields manager, not "unknown"', () => {
    expect(lastWriter(vmi(undefined, { managedFields: [{ manager: 'kubectl', time: '2026-01-01T00:00:01Z' }, { manager: 'virt-controller', time: '2026-01-01T00:00:05Z' }, { manager: 'x', time: '2026-01-01T00:00:02Z' }] }))).toBe('virt-controller');
    expect(lastWriter(vmi(undefined, { managedFields: [{ manager: 'unknown', time: '2026-01-01T00:00:01Z' }] }))).toBeUndefined();
    expect(lastWriter(vmi())).toBeUndefined();
  });
});
