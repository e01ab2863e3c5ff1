import type { Logger } from 'pino';

type Step = () => Promise<void> | void;

/**
 * Runs registered steps in reverse order of registration on SIGTERM, SIGINT or SIGHUP (last
 * started, first stopped), then exits: a closed terminal or a killed launcher stops us cleanly too.
 * A second signal, or a step that hangs past the deadline, forces exit. A second signal within
 * `echoMs` of the first is the same stop, not an impatient user: Ctrl-C or `kill -- -PGID` reaches
 * every process of the group directly and once more through its parent (`virtsim up` passes the
 * stop on to its children), and that echo must not cut a clean stop short.
 */
export class ShutdownHandler {
  private readonly steps: Array<{ name: string; step: Step }> = [];
  private stopping: Promise<void> | null = null;

  private readonly log: Logger;
  private readonly deadlineMs: number;
  private readonly echoMs: number;
  private firstSignalAt = 0;

  constructor(log: Logger, deadlineMs = 10_000, echoMs = 1_000) {
    this.log = log;
    this.deadlineMs = deadlineMs;
    this.echoMs = echoMs;
  }

  add(name: string, step: Step): void {
    this.steps.push({ name, step });
  }

  /** Installs the signal handlers; call once from a process entry point. */
  installSignalHandlers(): void {
    const onSignal = (signal: NodeJS.Signals) => {
      if (this.stopping) {
        if (Date.now() - this.firstSignalAt < this.echoMs) {
          this.log.info({ signal }, 'signal again while stopping (the same stop reaching us twice), carrying on');
          return;
        }
        this.log.warn({ signal }, 'second signal, exiting now');
        process.exit(1);
      }
      this.firstSignalAt = Date.now();
      this.log.info({ signal }, 'shutting down');
      const timer = setTimeout(() => {
        this.log.error({ deadlineMs: this.deadlineMs }, 'shutdown deadline passed, exiting');
        process.exit(1);
      }, this.deadlineMs);
      timer.unref();
      void this.stop().then(() => process.exit(process.exitCode ?? 0));
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    process.on('SIGHUP', onSignal);
  }

  /** Stops everything once; later calls return the same promise. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const { name, step } of [...this.steps].reverse()) {
        try {
          await step();
        } catch (err) {
          this.log.error({ err, step: name }, 'shutdown step failed');
        }
      }
      this.log.info('stopped');
    })();
    return this.stopping;
  }
}
