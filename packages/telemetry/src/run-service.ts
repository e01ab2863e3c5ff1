import type { Logger } from 'pino';
import { ShutdownHandler } from './shutdown.ts';
import { startTracing, tracingConfigured } from './tracing.ts';

/**
 * The life of a long-running service process: tracing when a collector or the local span store is configured (the SDK
 * costs start-up time otherwise), the service itself, and on SIGTERM/SIGINT a clean stop of the
 * service, then of tracing (so the last spans are flushed).
 */
export async function runService(service: string, log: Logger, start: () => Promise<{ close(): Promise<void> }>): Promise<void> {
  const tracing = tracingConfigured() ? await startTracing({ service }) : undefined;
  const running = await start();
  const shutdown = new ShutdownHandler(log);
  if (tracing) shutdown.add('tracing', () => tracing.shutdown());
  shutdown.add(service, () => running.close());
  shutdown.installSignalHandlers();
}
