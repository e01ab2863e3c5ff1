export { createLogger, type Logger } from './logger.ts';
export { createRegistry } from './metrics.ts';
export { startOpsEndpoint, type OpsEndpoint, type OpsEndpointOptions } from './http-endpoint.ts';
export { ShutdownHandler } from './shutdown.ts';
export { LIFECYCLE_ROOT_ATTR, startSpanWithId, startTracing, traceSampleRatio, tracingConfigured, type Tracing, type TracingOptions } from './tracing.ts';
export { lifecycleContext, lifecycleSampled, lifecycleSpanId, lifecycleTraceId } from './lifecycle-ids.ts';
export { FileSpanExporter, readSpanStore, type StoredSpan } from './span-store.ts';
export { runService } from './run-service.ts';
