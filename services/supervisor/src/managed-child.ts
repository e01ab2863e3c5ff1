import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';

export interface ChildSpec {
  name: string;
  command: string;
  args: string[];
  /** Arguments for restarts, when they differ (e.g. the coordinator settles only after a restart). */
  restartArgs?: string[];
  env?: Record<string, string>;
  /** Every output line goes here (appended). */
  logFile: string;
  /**
   * Called with each output line (and its JSON record when it is one); a value other than
   * undefined/null/false means "ready" and is kept as `readyValue` (e.g. a port it logged).
   */
  ready: (line: string, record: Record<string, unknown> | undefined) => unknown;
  readyTimeoutMs?: number;
  /** Called with every JSON log record the child prints, before and after it is ready. */
  onRecord?: (record: Record<string, unknown>) => void;
}

/** Why a child could not start, with the last lines it printed (often the real reason). */
export class ChildStartError extends Error {
  readonly tail: string[];
  constructor(name: string, reason: string, tail: string[]) {
    super(`${name} ${reason}`);
    this.tail = tail;
  }
}

/**
 * One child process: started, watched until it reports ready, its output logged to a file, and
 * stopped with SIGTERM (SIGKILL after a grace period).
 */
export class ManagedChild {
  readonly spec: ChildSpec;
  child: ChildProcess | undefined;
  readyValue: unknown;
  private starts = 0;
  private log: WriteStream | undefined;
  private exitPromise: Promise<number | null> = Promise.resolve(null);
  private readonly tail: string[] = [];

  constructor(spec: ChildSpec) {
    this.spec = spec;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Resolves with the exit code (null when killed by a signal) once the child has exited. */
  get exited(): Promise<number | null> {
    return this.exitPromise;
  }

  start(): Promise<unknown> {
    const { spec } = this;
    this.log ??= createWriteStream(spec.logFile, { flags: 'a' });
    const args = this.starts++ > 0 && spec.restartArgs ? spec.restartArgs : spec.args;
    const child = spawn(spec.command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...spec.env } });
    this.child = child;
    this.readyValue = undefined;
    this.tail.length = 0;
    this.exitPromise = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (err: Error | null, v?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(v);
      };
      const timeoutMs = spec.readyTimeoutMs ?? 30_000;
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        settle(new ChildStartError(spec.name, `was not ready within ${timeoutMs} ms`, [...this.tail]));
      }, timeoutMs);
      child.once('error', (err) => settle(new ChildStartError(spec.name, `could not be started: ${err.message}`, [])));
      const onData = () => {
        let buf = '';
        return (chunk: Buffer) => {
          this.log!.write(chunk);
          buf += chunk.toString('utf8');
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            this.tail.push(line);
            if (this.tail.length > 20) this.tail.shift();
            if (settled && !spec.onRecord) continue;
            let rec: Record<string, unknown> | undefined;
            if (line.startsWith('{')) {
              try {
                rec = JSON.parse(line);
              } catch {
                rec = undefined;
              }
            }
            if (rec) spec.onRecord?.(rec);
            if (settled) continue;
            const v = spec.ready(line, rec);
            if (v !== undefined && v !== null && v !== false) {
              this.readyValue = v;
              settle(null, v);
            }
          }
        };
      };
      child.stdout!.on('data', onData());
      child.stderr!.on('data', onData());
      void this.exitPromise.then((code) =>
        settle(new ChildStartError(spec.name, `exited with code ${code} before it was ready`, [...this.tail])),
      );
    });
  }

  /** The last lines the child printed. */
  lastLines(): string[] {
    return [...this.tail];
  }

  async stop(graceMs = 10_000): Promise<number | null> {
    const child = this.child;
    if (!child || !this.running) return child?.exitCode ?? null;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const code = await this.exitPromise;
    clearTimeout(t);
    return code;
  }

  closeLog(): void {
    this.log?.end();
    this.log = undefined;
  }
}
