import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian installs nats-server under /usr/sbin; NATS_SERVER_BIN overrides the lookup. */
function natsServerBinary(): string {
  if (process.env.NATS_SERVER_BIN) return process.env.NATS_SERVER_BIN;
  for (const p of ['/usr/sbin/nats-server', '/usr/bin/nats-server']) if (existsSync(p)) return p;
  return 'nats-server';
}

export interface NatsServerOptions {
  /** A fixed port; by default the server picks a free one (-p -1) and we read it from its log. */
  port?: number;
  /** nats-server configuration text (e.g. subject `mappings`), written to a temporary file. */
  config?: string;
}

// Every server a test process started, so a crashed or forgetful test still leaves none behind.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

const LISTEN_RE = /Listening for client connections on ([^\s]+):(\d+)/;
const READY_RE = /Server is ready/;

/**
 * A real nats-server (Debian's 2.9) on 127.0.0.1 for tests: started on a free port, restartable on
 * the same port (clients reconnect to the same URL), stopped with no process left behind.
 */
export class NatsServer {
  private child: ChildProcess | undefined;
  private readonly configFile: string | undefined;
  private readonly tmpDir: string | undefined;
  port: number;
  /** Everything the server logged, for failure messages. */
  log = '';

  private constructor(port: number, config: string | undefined) {
    this.port = port;
    if (config !== undefined) {
      this.tmpDir = mkdtempSync(join(tmpdir(), 'virtsim-nats-'));
      this.configFile = join(this.tmpDir, 'nats.conf');
      writeFileSync(this.configFile, config);
    }
  }

  static async start(opts: NatsServerOptions = {}): Promise<NatsServer> {
    const server = new NatsServer(opts.port ?? -1, opts.config);
    await server.spawn();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private async spawn(): Promise<void> {
    // A port just released by the previous run can be refused for a moment: retry briefly.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.spawnOnce();
        return;
      } catch (err) {
        if (attempt >= 20 || this.port === -1 || !/address already in use/.test(String(err))) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  private spawnOnce(): Promise<void> {
    const args = ['-a', '127.0.0.1', '-p', String(this.port)];
    if (this.configFile) args.push('-c', this.configFile);
    const child = spawn(natsServerBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    child.once('exit', () => running.delete(child));
    this.child = child;
    return new Promise<void>((resolve, reject) => {
      let out = '';
      let listened = false;
      let settled = false;
      const timer = setTimeout(() => fail(new Error('nats-server did not become ready within 10 s')), 10_000);
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new Error(`${err.message}\n${out}`));
      };
      const onData = (chunk: Buffer) => {
        const text = chunk.toString();
        out += text;
        this.log += text;
        const m = LISTEN_RE.exec(out);
        if (m && !listened) {
          listened = true;
          this.port = Number(m[2]);
        }
        if (listened && READY_RE.test(out) && !settled) {
          settled = true;
          clearTimeout(timer);
          child.stdout?.off('data', onData);
          child.stderr?.off('data', onData);
          // Keep draining the pipes so a chatty server never blocks on a full pipe.
          child.stdout?.on('data', (c: Buffer) => (this.log += c.toString()));
          child.stderr?.on('data', (c: Buffer) => (this.log += c.toString()));
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('error', (err) => fail(err));
      child.once('exit', (code, signal) => fail(new Error(`nats-server exited early (code ${code}, signal ${signal})`)));
    });
  }

  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and waits until the process is gone. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      child.once('exit', () => {
        clearTimeout(killer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  /** Stops the server and starts it again on the same port (clients keep their URL). */
  async restart(): Promise<void> {
    await this.stop();
    await this.spawn();
  }

  /** Stops the server and removes its temporary files. */
  async close(): Promise<void> {
    await this.stop();
    if (this.tmpDir) rmSync(this.tmpDir, { recursive: true, force: true });
  }
}

/** Starts a nats-server for a test; call close() when done (afterAll). */
export async function startNatsServer(opts: NatsServerOptions = {}): Promise<NatsServer> {
  return NatsServer.start(opts);
}
