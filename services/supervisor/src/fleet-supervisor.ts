import type { Logger } from '@virtsim/telemetry';
import { ChildStartError, ManagedChild, type ChildSpec } from './managed-child.ts';

/**
 * Starts children in order and keeps them running: a child that exits on its own is restarted
 * with backoff and reported. stop() stops them in reverse order and leaves no process behind.
 */
export class FleetSupervisor {
  private readonly children: ManagedChild[] = [];
  private stopping = false;
  private readonly log: Logger;
  private readonly report: (msg: string) => void;
  readonly restarts = new Map<string, number>();

  constructor(log: Logger, report: (msg: string) => void) {
    this.log = log;
    this.report = report;
  }

  get(name: string): ManagedChild | undefined {
    return this.children.find((c) => c.spec.name === name);
  }

  list(): ManagedChild[] {
    return [...this.children];
  }

  /** Starts a child and waits until it is ready; throws ChildStartError (with its last lines). */
  async start(spec: ChildSpec): Promise<ManagedChild> {
    const child = new ManagedChild(spec);
    this.children.push(child);
    await child.start();
    this.watch(child);
    return child;
  }

  private watch(child: ManagedChild): void {
    void child.exited.then(async (code) => {
      if (this.stopping) return;
      const n = (this.restarts.get(child.spec.name) ?? 0) + 1;
      this.restarts.set(child.spec.name, n);
      const delay = Math.min(30_000, 500 * 2 ** Math.min(n - 1, 6));
      this.report(`${child.spec.name} exited (code ${code}); restarting in ${(delay / 1000).toFixed(1)} s (restart #${n}, log: ${child.spec.logFile})`);
      this.log.warn({ child: child.spec.name, code, restart: n, delayMs: delay }, 'child exited, restarting');
      await new Promise((r) => setTimeout(r, delay));
      if (this.stopping) return;
      try {
        await child.start();
        this.report(`${child.spec.name} is back`);
      } catch (err) {
        this.log.error({ child: child.spec.name, err, tail: err instanceof ChildStartError ? err.tail : [] }, 'restart failed');
      }
      this.watch(child);
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const child of [...this.children].reverse()) {
      const code = await child.stop();
      this.log.info({ child: child.spec.name, code }, 'stopped');
      child.closeLog();
    }
  }
}
