import { context, propagation, trace, type Tracer } from '@opentelemetry/api';
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';

// The SDK packages are imported when tracing starts, not when @virtsim/telemetry is imported:
// they add about a second to the start of every process that never traces.

export interface TracingOptions {
  /** service.name of every span. */
  service: string;
  /**
   * Where spans go. Tests pass an InMemorySpanExporter (exported at once). Without one, spans go
   * to OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT (or ..._TRACES_ENDPOINT) is set, batched; else
   * they are not recorded, but trace context still propagates (so a traced publisher's context
   * crosses this process unchanged).
   */
  exporter?: SpanExporter;
  /** Fraction of new traces sampled (default 1); a sampled parent is always followed. */
  sampleRatio?: number;
}

export interface Tracing {
  tracer: Tracer;
  /** Exports what is pending. */
  flush(): Promise<void>;
  /** Flushes and unregisters everything, so tracing can be started again (tests). */
  shutdown(): Promise<void>;
}

let active: Tracing | undefined;

/**
 * Starts OpenTelemetry tracing for this process: W3C trace-context propagation (used by
 * @virtsim/bus over NATS headers), AsyncLocalStorage context, and the span exporter chosen above.
 * Only explicit configuration is used: no resource detectors, no metric or log exporters (metrics
 * are Prometheus, logs are pino). One call per process; a second one while active throws.
 */
export async function startTracing(opts: TracingOptions): Promise<Tracing> {
  if (active || starting) throw new Error('startTracing: tracing is already started in this process');
  starting = true;
  try {
    return await start(opts);
  } finally {
    starting = false;
  }
}

let starting = false;

async function start(opts: TracingOptions): Promise<Tracing> {
  const [{ W3CTraceContextPropagator }, { NodeSDK }, { BatchSpanProcessor, ParentBasedSampler, SimpleSpanProcessor, TraceIdRatioBasedSampler }, { OTLPTraceExporter }] =
    await Promise.all([
      import('@opentelemetry/core'),
      import('@opentelemetry/sdk-node'),
      import('@opentelemetry/sdk-trace'),
      import('@opentelemetry/exporter-trace-otlp-http'),
    ]);
  const processors: SpanProcessor[] = [];
  if (opts.exporter) processors.push(new SimpleSpanProcessor({ exporter: opts.exporter }));
  else if (process.env.OTEL_EXPORTER_OTLP_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) {
    processors.push(new BatchSpanProcessor({ exporter: new OTLPTraceExporter() }));
  }
  const sdk = new NodeSDK({
    serviceName: opts.service,
    autoDetectResources: false,
    textMapPropagator: new W3CTraceContextPropagator(),
    instrumentations: [],
    metricReaders: [],
    logRecordProcessors: [],
    spanProcessors: processors,
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(opts.sampleRatio ?? 1) }),
  });
  sdk.start();
  const flush = async () => {
    await Promise.all(processors.map((p) => p.forceFlush()));
  };
  const tracing: Tracing = {
    tracer: trace.getTracer(`virtsim-${opts.service}`),
    flush,
    async shutdown() {
      await flush();
      await sdk.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
      active = undefined;
    },
  };
  active = tracing;
  return tracing;
}
