import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../packages/cli/bin/virtsim.ts', import.meta.url));

function virtsim(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

// Every subcommand reads its flags through one typed parser: a bad value is refused before anything
// starts, with exit 2 and one line naming the command, the flag, what it expects and what it got.
describe('virtsim flags', () => {
  it.each([
    [['up', '--agents', 'x'], 'virtsim up: --agents: expected a positive integer, got "x"'],
    [['up', '--nats-port', '0'], 'virtsim up: --nats-port: expected a port number (1-65535), got "0"'],
    [['apiserver', '--port', '70000'], 'virtsim apiserver: --port: expected a port number (0-65535, 0 picks a free one), got "70000"'],
    [['apiserver', '--event-ttl', 'a day'], 'virtsim apiserver: --event-ttl: expected a duration like 500ms, 10s or 2m (or a number of seconds), got "a day"'],
    [['agent', '--nats', 'nats://127.0.0.1:1', '--coordinator', '127.0.0.1:1', '--metrics-port', 'http'], 'virtsim agent: --metrics-port: expected a port number (0-65535, 0 picks a free one), got "http"'],
    [['watcher', '--nats', 'nats://127.0.0.1:1', '--lease-duration-seconds', '0'], 'virtsim watcher: --lease-duration-seconds: expected a positive integer, got "0"'],
    [['control-plane', '--kubeconfig', '/nonexistent', '--concurrency', '1.5'], 'virtsim control-plane: --concurrency: expected a positive integer, got "1.5"'],
    [['coordinator', '--ttl-ms', '50'], 'virtsim coordinator: --ttl-ms: expected a duration like 500ms, 10s or 2m (or a number of milliseconds) of at least 100 ms, got "50"'],
    [['up', '--nodez', '3'], "virtsim up: Unknown option '--nodez'"],
    // Secrets and certificates come from files: a file that cannot be used is named with its flag.
    [['watcher', '--nats', 'nats://127.0.0.1:1', '--nats-token-file', '/nonexistent/token'], 'virtsim watcher: --nats-token-file: cannot read /nonexistent/token: no such file'],
    [['agent', '--nats', 'nats://127.0.0.1:1', '--coordinator', '127.0.0.1:1', '--nats-tls-ca', '/nonexistent/ca.crt'], 'virtsim agent: --nats-tls-ca: cannot read /nonexistent/ca.crt: no such file'],
    [['agent', '--nats', 'nats://127.0.0.1:1', '--coordinator', '127.0.0.1:1', '--coordinator-tls-cert', '/nonexistent/agent.crt'], 'virtsim agent: --coordinator-tls-cert: needs --coordinator-tls-key too'],
    [['agent', '--nats', 'nats://127.0.0.1:1', '--coordinator', '127.0.0.1:1', '--coordinator-tls-ca', CLI], `virtsim agent: --coordinator-tls-ca: ${CLI} is not a PEM certificate`],
    [['coordinator', '--tls-cert', '/nonexistent/c.crt', '--tls-key', '/nonexistent/c.key'], 'virtsim coordinator: --tls-cert: cannot read /nonexistent/c.crt: no such file'],
  ])('virtsim %j', async (args, line) => {
    const r = await virtsim(args);
    expect(r.stderr).toBe(`${line}\n`);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
  });
});
