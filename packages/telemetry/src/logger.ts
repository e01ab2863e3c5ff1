import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * stdout, written synchronously. When stdout is full sonic-boom sleeps and retries for ever; once
 * our parent is gone (a supervisor killed with SIGKILL) nobody will ever read it, and the retry
 * blocked the SIGTERM shutdown for good: the lines are dropped then instead.
 */
function stdoutDestination() {
  const parent = process.ppid;
  const dest = pino.destination({ dest: 1, sync: true, retryEAGAIN: () => process.ppid === parent });
  dest.on('error', () => {
    // Nobody reads our stdout any more: the line has nowhere to go.
  });
  return dest;
}

/** One JSON line per event on stdout; level from VIRTSIM_LOG_LEVEL (default info). */
export function createLogger(service: string, bindings: Record<string, unknown> = {}): Logger {
  return pino(
    {
      name: service,
      level: process.env.VIRTSIM_LOG_LEVEL ?? 'info',
      base: { service, pid: process.pid, ...bindings },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    stdoutDestination(),
  );
}
