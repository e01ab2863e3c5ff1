export { abandonLogOutput, createLogger, type Logger } from './logger.ts';
export { createRegistry } from './metrics.ts';
export { startOpsEndpoint, type OpsEndpoint, type OpsEndpointOptions } from './http-endpoint.ts';
export { ShutdownHandler } from './shutdown.ts';
export { startTracing, type Tracing, type TracingOptions } from './tracing.ts';
export { runService } from './run-service.ts';
export { parseFlags, readFlags, parseDuration, metricsFlags, FlagError, type FlagSpec, type FlagSpecs, type FlagValues } from './flags.ts';
export { readFlagFile, readSecretFile, loadTlsFiles, type TlsFiles, type TlsFlagNames } from './tls-files.ts';
export { createPki, PkiError, type Pki, type LeafFiles } from './pki.ts';
