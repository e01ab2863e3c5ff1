import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../cli/bin/virtsim.ts', import.meta.url));

// Every child a test process started, so a crashed or forgetful test still leaves none behind.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  /** The first log record for which `ready` returned a value. */
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
 * Starts `virtsim <args>` as a child process on the same Node as the tests, parses its pino JSON
 * lines, and resolves once `ready(record)` returns a value (e.g. the port it logged).
 */
export function startVirtsim(
  name: string,
  args: string[],
  ready: (rec: Record<string, unknown>) => unknown,
  opts: { logFile: string; timeoutMs?: number; env?: Record<string, string> },
): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env },
  });
  running.add(child);
  const out = createWriteStream(opts.logFile, { flags: 'a' });
  const records: Array<Record<string, unknown>> = [];
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  return new Promise((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => {
      if (!done) {
        done = true;
        child.kill('SIGKILL');
        reject(new Error(`${name} not ready within ${opts.timeoutMs ?? 30_000} ms (log: ${opts.logFile})`));
      }
    }, opts.timeoutMs ?? 30_000);
    let buf = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out.write(chunk);
      buf += chunk.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        let rec: Record<string, unknown>;
        try {
          rec = JSON.parse(line);
        } catch {
          continue;
        }
        records.push(rec);
        if (done) continue;
        const v = ready(rec);
        if (v !== undefined && v !== null && v !== false) {
          done = true;
          clearTimeout(timer);
          resolve(proc(v));
        }
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => out.write(chunk));
    void exited.then((code) => {
      if (!done) {
        done = true;
        clearTimeout(timer);
        reject(new Error(`${name} exited with ${code} before it was ready (log: ${opts.logFile})`));
      }
    });
  });

  function proc(readyValue: unknown): ServiceProcess {
    return {
      name,
      child,
      readyValue,
      records,
      logFile: opts.logFile,
      exited,
      async stop(graceMs = 10_000) {
        if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
        const code = await exited;
        clearTimeout(t);
        return code;
      },
      async kill() {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGKILL');
        await exited;
      },
    };
  }
}
