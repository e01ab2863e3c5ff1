/**
 * Test harness for the embedded API server: as a real child process (`virtsim apiserver --port 0`,
 * the port read back from its "apiserver listening" log line) or in-process, with a kubeconfig
 * written to a temporary directory, a `kubectl` runner that uses it, and a stop that leaves nothing
 * behind.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = join(REPO_ROOT, 'packages/cli/bin/virtsim.ts');

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ApiServerHarness {
  url: string;
  port: number;
  token: string;
  caPem: string;
  /** The temporary directory (kubeconfig, kubectl cache, data unless one was given). */
  dir: string;
  kubeconfigPath: string;
  /** Runs /usr/bin/kubectl (or $KUBECTL) against this server; never throws on a non-zero exit. */
  kubectl(args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<KubectlResult>;
  /** Starts `kubectl` and returns the child (for `get -w`); the caller kills it. */
  spawnKubectl(args: string[]): ChildProcess;
  /** Everything the child process logged so far (empty in-process). */
  logs(): string;
  /** The child process, when started as one. */
  child?: ChildProcess;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Extra `virtsim apiserver` flags (process mode) */
  args?: string[];
  dataDir?: string;
  /** Start inside this process via startApiServer instead of a child process. */
  inProcess?: boolean;
  /** startApiServer options for in-process mode. */
  serverOptions?: Record<string, unknown>;
  timeoutMs?: number;
}

function kubectlRunner(dir: string, kubeconfigPath: string) {
  const bin = process.env.KUBECTL ?? 'kubectl';
  const base = ['--kubeconfig', kubeconfigPath, '--cache-dir', join(dir, 'kube-cache')];
  const env = { ...process.env, KUBECONFIG: kubeconfigPath, HOME: dir };
  return {
    kubectl(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<KubectlResult> {
      return new Promise((resolve) => {
        const child = execFile(bin, [...base, ...args], { env, timeout: opts.timeoutMs ?? 30_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
          const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
          resolve({ code, stdout, stderr });
        });
        if (opts.input !== undefined) child.stdin?.end(opts.input);
        else child.stdin?.end();
      });
    },
    spawnKubectl(args: string[]): ChildProcess {
      return spawn(bin, [...base, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    },
  };
}

export async function startApiServerForTest(opts: StartOptions = {}): Promise<ApiServerHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'virtsim-apiserver-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  if (opts.inProcess) {
    const { startApiServer } = await import('@virtsim/apiserver');
    const s = await startApiServer({ port: 0, kubeconfigOut: kubeconfigPath, dataDir: opts.dataDir, ...(opts.serverOptions ?? {}) }).catch((err: unknown) => {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    });
    return {
      url: s.url,
      port: s.port,
      token: s.adminToken,
      caPem: s.caPem,
      dir,
      kubeconfigPath,
      ...kubectlRunner(dir, kubeconfigPath),
      logs: () => '',
      async stop() {
        await s.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  // --exit-with-parent: a test process that dies without stop() leaves no server behind.
  const args = ['apiserver', '--port', '0', '--exit-with-parent', '--kubeconfig-out', kubeconfigPath, ...(opts.dataDir ? ['--data-dir', opts.dataDir] : []), ...(opts.args ?? [])];
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', CLI, ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, VIRTSIM_LOG_LEVEL: process.env.VIRTSIM_LOG_LEVEL ?? 'info' },
  });
  let out = '';
  const listening = new Promise<{ url: string; port: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`apiserver did not start within ${opts.timeoutMs ?? 30_000} ms; output:\n${out}`)), opts.timeoutMs ?? 30_000);
    // Scans each new line once, and stops scanning once the server listens (the log keeps growing).
    let found = false;
    let partial = '';
    const onData = (d: Buffer) => {
      const text = d.toString();
      out += text;
      if (found) return;
      partial += text;
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        if (!line.includes('"apiserver listening"')) continue;
        const j = JSON.parse(line);
        found = true;
        partial = '';
        clearTimeout(timer);
        resolve({ url: j.url, port: j.port });
        return;
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`apiserver exited with ${code} before listening; output:\n${out}`));
    });
  });
  let url: string;
  let port: number;
  try {
    ({ url, port } = await listening);
  } catch (err) {
    // A server that never listened (a test of a refused start) leaves neither a process nor its folder behind.
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const { readFileSync } = await import('node:fs');
  const kc = readFileSync(kubeconfigPath, 'utf8');
  const token = /token: (\S+)/.exec(kc)?.[1] ?? '';
  const caB64 = /certificate-authority-data: (\S+)/.exec(kc)?.[1];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url,
    port,
    token,
    caPem: caB64 ? Buffer.from(caB64, 'base64').toString() : '',
    dir,
    kubeconfigPath,
    child,
    ...kubectlRunner(dir, kubeconfigPath),
    logs: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
