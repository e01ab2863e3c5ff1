import { pino, type Logger } from 'pino';

export type { Logger };

/** One JSON line per event on stdout; level from VIRTSIM_LOG_LEVEL (default info). */
export function createLogger(service: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({
    name: service,
    level: process.env.VIRTSIM_LOG_LEVEL ?? 'info',
    base: { service, pid: process.pid, ...bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
