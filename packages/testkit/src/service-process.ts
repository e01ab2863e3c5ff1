import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ChildStartError, ManagedChild } from '@virtsim/supervisor';

const CLI = fileURLToPath(new URL('../../cli/bin/virtsim.ts', import.meta.url));

// Every child a test process started, so a crashed or forgetful test still leaves none behind.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  /** What `ready` returned for the record that made the process ready. */
  readyValue: unknown;
  /** Every JSON log record seen so far. */
  records: Array<Record<string, unknown>>;
  logFile: string;
  /** SIGTERM, then waits for exit (SIGKILL after the grace period); resolves to the exit code. */
  stop(graceMs?: number): Promise<number | null>;
  /** kill -9. */
  kill(): Promise<void>;
  exited: Promise<number | null>;
}

/**
 * Starts `virtsim <args>` as a child process on the same Node as the tests (the supervisor's
 * ManagedChild: output to `logFile`), collects its pino records, and resolves once
 * `ready(record)` returns a value (e.g. the port it logged).
 */
export async function startVirtsim(
  name: string,
  args: string[],
  ready: (rec: Record<string, unknown>) => unknown,
  opts: { logFile: string; timeoutMs?: number; env?: Record<string, string> },
): Promise<ServiceProcess> {
  const records: Array<Record<string, unknown>> = [];
  const managed = new ManagedChild({
    name,
    command: process.execPath,
    args: ['--disable-warning=ExperimentalWarning', CLI, ...args],
    env: opts.env,
    logFile: opts.logFile,
    readyTimeoutMs: opts.timeoutMs ?? 30_000,
    ready: (_line, rec) => (rec ? ready(rec) : undefined),
    onRecord: (rec) => records.push(rec),
  });
  try {
    await managed.start();
  } catch (err) {
    throw new Error(`${(err as Error).message} (log: ${opts.logFile})${err instanceof ChildStartError ? `\n${err.tail.join('\n')}` : ''}`);
  } finally {
    if (managed.child) running.add(managed.child);
  }
  const child = managed.child!;
  void managed.exited.then(() => {
    running.delete(child);
    managed.closeLog();
  });
  return {
    name,
    child,
    readyValue: managed.readyValue,
    records,
    logFile: opts.logFile,
    exited: managed.exited,
    stop: (graceMs = 10_000) => managed.stop(graceMs),
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await managed.exited;
    },
  };
}
