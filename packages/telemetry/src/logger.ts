import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Set once nobody will read our stdout again (the supervisor that read it is gone). */
let abandoned = false;
/** Under `virtsim up`, the supervisor that reads our stdout (see packages/cli's launcher watch). */
const supervisor = Number(process.env.VIRTSIM_PARENT_PID) || 0;

/**
 * Asked by pino between retries of a write stdout refused (EAGAIN), with the event loop blocked:
 * so it checks for itself whether the supervisor, our only reader, is gone.
 */
function keepRetrying(): boolean {
  if (!abandoned && supervisor && process.ppid !== supervisor) abandoned = true;
  return !abandoned;
}
let stdout: (DestinationStream & { on(event: 'error', fn: (err: NodeJS.ErrnoException) => void): unknown }) | undefined;

/**
 * The one stdout all loggers of the process share: written synchronously (a line is out before a
 * crash), but a stdout nobody reads any more (its reader killed, the socket kept full by an
 * inherited descriptor) would make every write wait forever in pino's EAGAIN retry, and with it
 * the shutdown it logs; once abandoned, such lines are dropped instead.
 */
function sharedStdout() {
  if (!stdout) {
    stdout = pino.destination({ fd: 1, sync: true, retryEAGAIN: keepRetrying });
    stdout.on('error', (err) => {
      if (!abandoned) throw err;
    });
  }
  return stdout;
}

/** Drop log lines stdout cannot take from now on, instead of waiting for a reader that is gone. */
export function abandonLogOutput(): void {
  abandoned = true;
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
    sharedStdout(),
  );
}
