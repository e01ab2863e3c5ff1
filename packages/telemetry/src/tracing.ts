import { context, propagation, trace, type Context, type Span, type SpanOptions, type Tracer } from '@opentelemetry/api';
import type { Sampler, SamplingDecision, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';
import { FileSpanExporter } from './span-store.ts';

// The SDK packages are imported when tracing starts, not when @virtsim/telemetry is imported:
// they add about a second to the start of every process that never traces.

export interface TracingOptions {
  /** service.name of every span. */
  service: string;
  /**
   * Where spans go. Tests pass an InMemorySpanExporter (exported at once). Without one, spans go
   * (batched) to OTLP when OTEL_EXPORTER_OTLP_ENDPOINT (or ..._TRACES_ENDPOINT) is set, over
   * gRPC when OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL is `grpc`, else HTTP; and to the local span
   * store when VIRTSIM_TRACE_DIR is set (both when both are). With neither, spans are not
   * recorded, but trace context still propagates (so a traced publisher's context crosses this
   * process unchanged).
   */
  exporter?: SpanExporter;
  /** Fraction of new traces sampled (default: traceSampleRatio()); a sampled parent is always followed. */
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

/** Samples lifecycle roots (decided from the UID by their emitter), and the rest with `ratio`. */
function lifecycleAware(ratio: Sampler, sampled: SamplingDecision): Sampler {
  return {
    shouldSample: (ctx, traceId, name, kind, attributes, links) =>
      attributes?.[LIFECYCLE_ROOT_ATTR] !== undefined ? { decision: sampled } : ratio.shouldSample(ctx, traceId, name, kind, attributes, links),
    toString: () => `LifecycleAware{${ratio.toString()}}`,
  };
}

/** Whether this process's environment asks for spans (an OTLP endpoint or the local store). */
export function tracingConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.VIRTSIM_TRACE_DIR);
}

/**
 * The sampling ratio of new traces, from OTEL_TRACES_SAMPLER_ARG (the ratio of the
 * `parentbased_traceidratio` sampler, the only one virtsim uses); 1 when unset.
 */
export function traceSampleRatio(env: NodeJS.ProcessEnv = process.env): number {
  const arg = env.OTEL_TRACES_SAMPLER_ARG;
  if (arg === undefined || arg === '') return 1;
  const r = Number(arg);
  if (!Number.isFinite(r) || r < 0 || r > 1) throw new Error(`OTEL_TRACES_SAMPLER_ARG must be a ratio between 0 and 1, got ${JSON.stringify(arg)}`);
  return r;
}

// Ids are random, except for the spans whose ids every process derives (lifecycle-ids.ts):
// startSpanWithId hands them to the generator for the one synchronous startSpan call.
// The SDK asks for ids before sampling, so for every span, recorded or not: Math.random (as the
// SDK's own generator), not crypto (randomFillSync showed in the agent's profile at 0%).
let forced: { traceId?: string; spanId: string } | undefined;
const randomHex = (bytes: number) => {
  let out = '';
  for (let i = 0; i < bytes; i += 4) out += ((Math.random() * 0x1_0000_0000) >>> 0).toString(16).padStart(8, '0');
  return out.slice(0, bytes * 2);
};
const idGenerator = {
  generateTraceId: () => forced?.traceId ?? randomHex(16),
  generateSpanId: () => forced?.spanId ?? randomHex(8),
};

/**
 * Starts a span with given ids under `ctx`'s span; with `traceId`, a root span (ctx without a
 * span) of that trace. Lifecycle roots carry LIFECYCLE_ROOT_ATTR: their object was sampled from
 * its UID already, so the ratio sampler does not decide again.
 */
export function startSpanWithId(tracer: Tracer, ids: { traceId?: string; spanId: string }, name: string, options: SpanOptions, ctx: Context): Span {
  forced = ids;
  try {
    return tracer.startSpan(name, options, ctx);
  } finally {
    forced = undefined;
  }
}

/** Attribute naming a lifecycle root span (value: the object's kind). */
export const LIFECYCLE_ROOT_ATTR = 'virtsim.lifecycle.root';

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
  const env = process.env;
  const [{ W3CTraceContextPropagator }, { NodeSDK }, { BatchSpanProcessor, ParentBasedSampler, SamplingDecision, SimpleSpanProcessor, TraceIdRatioBasedSampler }] = await Promise.all([
    import('@opentelemetry/core'),
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/sdk-trace'),
  ]);
  const processors: SpanProcessor[] = [];
  if (opts.exporter) processors.push(new SimpleSpanProcessor({ exporter: opts.exporter }));
  else {
    if (env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) {
      const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf';
      const { OTLPTraceExporter } = protocol === 'grpc' ? await import('@opentelemetry/exporter-trace-otlp-grpc') : await import('@opentelemetry/exporter-trace-otlp-http');
      processors.push(new BatchSpanProcessor({ exporter: new OTLPTraceExporter() }));
    }
    if (env.VIRTSIM_TRACE_DIR) {
      // A big queue: a burst of VMIs at 100% sampling must not drop spans (the SDK's default is 2,048).
      processors.push(
        new BatchSpanProcessor({ exporter: new FileSpanExporter({ dir: env.VIRTSIM_TRACE_DIR, service: opts.service }), scheduledDelayMillis: 1000, maxQueueSize: 65_536, maxExportBatchSize: 4096 }),
      );
    }
  }
  const sdk = new NodeSDK({
    serviceName: opts.service,
    autoDetectResources: false,
    textMapPropagator: new W3CTraceContextPropagator(),
    instrumentations: [],
    metricReaders: [],
    logRecordProcessors: [],
    spanProcessors: processors,
    idGenerator,
    sampler: new ParentBasedSampler({ root: lifecycleAware(new TraceIdRatioBasedSampler(opts.sampleRatio ?? traceSampleRatio()), SamplingDecision.RECORD_AND_SAMPLED) }),
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
