import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { waitFor } from '@virtsim/testkit/wait';
import { CoordinatorClient, loadProtos } from '@virtsim/fleet-proto';
import { createPki } from '@virtsim/telemetry';

const CLI = fileURLToPath(new URL('../../../packages/cli/bin/virtsim.ts', import.meta.url));

describe('virtsim coordinator (the process)', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('serves gRPC health, /metrics with the table, a log line per epoch, and stops cleanly on SIGTERM', async () => {
    child = spawn(process.execPath, [CLI, 'coordinator', '--port', '0', '--metrics-port', '0', '--ttl-ms', '1000', '--settle-ms', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: Array<Record<string, unknown>> = [];
    let stderr = '';
    let buf = '';
    child.stdout!.on('data', (c: Buffer) => {
      buf += c.toString();
      const parts = buf.split('\n');
      buf = parts.pop()!;
      for (const p of parts) if (p.trim()) lines.push(JSON.parse(p));
    });
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));

    const ready = await waitFor('the ready log line', () => lines.find((l) => l.msg === 'coordinator ready'));
    const grpcPort = ready.grpcPort as number;
    const metricsPort = ready.metricsPort as number;

    const Health = loadProtos().health.grpc.health.v1.Health;
    const health = new Health(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
    const check = (service: string) =>
      new Promise<string>((resolve) => health.check({ service }, (err, res) => resolve(err ? `error: ${err.details}` : String(res!.status))));
    expect(await check('')).toBe('SERVING');
    expect(await check('virtsim.fleet.v1.Coordinator')).toBe('SERVING');
    expect(await check('no.such.Service')).toMatch(/error: unknown service/);
    health.close();

    const agent = new CoordinatorClient({ address: `127.0.0.1:${grpcPort}`, agentId: 'agent-1' });
    await agent.start();
    await waitFor('agent-1 owns every slot', () => agent.assignment.slots.length === 1024);
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/virtsim_coordinator_slots\{agent="agent-1",service="coordinator"\} 1024/);
    expect(metrics).toMatch(/virtsim_coordinator_members\{service="coordinator"\} 1/);
    expect(metrics).toMatch(/virtsim_coordinator_epoch\{service="coordinator"\} [1-9]/);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/healthz`)).status).toBe(200);
    const epochLine = await waitFor('an epoch log line', () => lines.find((l) => l.msg === 'epoch' && (l.slotsPerAgent as Record<string, number>)?.['agent-1'] === 1024));
    expect(epochLine.members).toEqual(['agent-1']);
    // The operator's view of the same table.
    const table = spawn(process.execPath, [CLI, 'coordinator', 'table', '--address', `127.0.0.1:${grpcPort}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let tableOut = '';
    table.stdout!.on('data', (c: Buffer) => (tableOut += c.toString()));
    expect(await new Promise((resolve) => table.once('exit', resolve))).toBe(0);
    expect(tableOut).toMatch(/^epoch \d+ +slots 1024 +members 1 +revoking 0 +unowned 0/);
    expect(tableOut).toMatch(/agent-1 +1024 +0 /);
    await agent.leave();

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(lines.some((l) => l.msg === 'stopped')).toBe(true);
    expect(stderr).toBe('');
  });

  it('refuses a bad flag with a clear message', async () => {
    const p = spawn(process.execPath, [CLI, 'coordinator', '--ttl-ms', 'soon'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = p;
    let err = '';
    p.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise<number | null>((resolve) => p.once('exit', resolve));
    expect(code).toBe(2);
    expect(err).toBe('virtsim coordinator: --ttl-ms: expected a duration like 500ms, 10s or 2m (or a number of milliseconds) of at least 100 ms, got "soon"\n');
  });

  it('refuses unusable TLS files with one line naming the flag and the file (exit 2)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'virtsim-coord-flags-'));
    try {
      const pki = createPki(join(dir, 'pki'));
      const server = pki.issue('coordinator', { hosts: ['127.0.0.1'] });
      const agent = pki.issue('agent');
      const run = async (args: string[]) => {
        const p = spawn(process.execPath, [CLI, 'coordinator', '--port', '0', '--metrics-port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        child = p;
        let err = '';
        p.stderr!.on('data', (c: Buffer) => (err += c.toString()));
        const code = await new Promise<number | null>((resolve) => p.once('exit', resolve));
        return { code, err };
      };
      const missing = join(dir, 'missing.key');
      expect(await run(['--tls-cert', server.cert, '--tls-key', missing])).toEqual({ code: 2, err: `virtsim coordinator: --tls-key: cannot read ${missing}: no such file\n` });
      const wrongKey = await run(['--tls-cert', server.cert, '--tls-key', agent.key]);
      expect(wrongKey.code).toBe(2);
      expect(wrongKey.err).toMatch(new RegExp(`^virtsim coordinator: --tls-key: ${agent.key} does not match the certificate in ${server.cert} \\(.+\\)\n$`));
      expect(await run(['--tls-cert', server.key, '--tls-key', server.key])).toEqual({ code: 2, err: `virtsim coordinator: --tls-cert: ${server.key} is not a PEM certificate\n` });
      expect(await run(['--tls-ca', pki.ca])).toEqual({ code: 2, err: "virtsim coordinator: --tls-ca: needs --tls-cert and --tls-key (the coordinator's own certificate)\n" });
      expect(await run(['--tls-cert', server.cert])).toEqual({ code: 2, err: 'virtsim coordinator: --tls-cert: needs --tls-key too\n' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
