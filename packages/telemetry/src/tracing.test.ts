import { afterEach, describe, expect, it } from 'vitest';
import { context, propagation, trace, type Span } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { startTracing, type Tracing } from './tracing.ts';

describe('startTracing', () => {
  let tracing: Tracing | undefined;
  afterEach(async () => {
    await tracing?.shutdown();
    tracing = undefined;
  });

  it('records spans with the service name and nests them through async calls', async () => {
    const exporter = new InMemorySpanExporter();
    tracing = await startTracing({ service: 'agent', exporter });
    await tracing.tracer.startActiveSpan('receive', async (parent: Span) => {
      await new Promise((r) => setImmediate(r));
      tracing!.tracer.startSpan('patch').end();
      parent.end();
    });
    await tracing.flush();
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name).sort()).toEqual(['patch', 'receive']);
    const patch = spans.find((s) => s.name === 'patch')!;
    const receive = spans.find((s) => s.name === 'receive')!;
    expect(patch.parentSpanContext?.spanId).toBe(receive.spanContext().spanId);
    expect(receive.resource.attributes['service.name']).toBe('agent');
  });

  it('propagates W3C traceparent, and continues a remote trace', async () => {
    const exporter = new InMemorySpanExporter();
    tracing = await startTracing({ service: 'watcher', exporter });
    const carrier: Record<string, string> = {};
    const span = tracing.tracer.startSpan('publish');
    propagation.inject(trace.setSpan(context.active(), span), carrier);
    span.end();
    expect(carrier.traceparent).toBe(`00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`);
    const remote = propagation.extract(context.active(), carrier);
    tracing.tracer.startSpan('handle', {}, remote).end();
    await tracing.flush();
    const handle = exporter.getFinishedSpans().find((s) => s.name === 'handle')!;
    expect(handle.spanContext().traceId).toBe(span.spanContext().traceId);
  });

  it('refuses a second start while one is active', async () => {
    tracing = await startTracing({ service: 'x' });
    await expect(startTracing({ service: 'y' })).rejects.toThrow(/already started/);
  });
});
