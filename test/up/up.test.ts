import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '@virtsim/testkit/wait';
import { KubeClient, NODES, collectionPath, type KubeObject } from '@virtsim/kube';
import { freePort, runUp } from './run-up.ts';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Every process `up` started, from the pids its children logged. */
function childPids(stateDir: string): number[] {
  const pids = new Set<number>();
  for (const f of readdirSync(join(stateDir, 'logs'))) {
    for (const line of readFileSync(join(stateDir, 'logs', f), 'utf8').split('\n')) {
      const json = /"pid":(\d+)/.exec(line);
      const nats = /^\[(\d+)\]/.exec(line);
      const pid = Number(json?.[1] ?? nats?.[1]);
      if (pid) pids.add(pid);
    }
  }
  return [...pids];
}

describe('virtsim up', () => {
  const leftovers: ChildProcess[] = [];
  let busy: Server | undefined;
  afterAll(() => {
    for (const c of leftovers) c.kill('SIGKILL');
    busy?.close();
  });

  it('runs the fleet for kubectl and stops it all, leaving no process behind', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'virtsim-up-'));
    const up = runUp(['--state-dir', stateDir, '--nodes', '12', '--agents', '2', '--port', String(await freePort()), '--nats-port', String(await freePort())]);
    leftovers.push(up.child);
    // The whole banner, whose last line says how to stop.
    await waitFor('virtsim is up', () => up.out().includes('stop        Ctrl-C'), { timeoutMs: 60_000 });
    expect(up.out()).toContain(`kubeconfig  ${stateDir}/kubeconfig`);
    const client = await KubeClient.fromFile(join(stateDir, 'kubeconfig'));
    await waitFor('12 nodes Ready', async () => {
      const nodes = (await client.request<{ items: KubeObject[] }>({ method: 'GET', path: collectionPath(NODES) })).items;
      return nodes.filter((n) => n.status?.conditions?.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True')).length === 12;
    }, { timeoutMs: 30_000 });
    client.close();
    const pids = childPids(stateDir);
    expect(pids.length).toBeGreaterThanOrEqual(6); // apiserver, nats, coordinator, watcher, 2 agents
    expect(pids.every(alive)).toBe(true);
    up.child.kill('SIGTERM');
    expect(await up.exited).toBe(0);
    expect(up.out()).toContain('virtsim: stopped');
    expect(pids.filter(alive)).toEqual([]);
  });

  it('leaves no process behind even when it is killed with SIGKILL', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'virtsim-up-'));
    const up = runUp(['--state-dir', stateDir, '--nodes', '4', '--agents', '1', '--port', String(await freePort()), '--nats-port', String(await freePort())]);
    leftovers.push(up.child);
    await waitFor('virtsim is up', () => up.out().includes('virtsim is up'), { timeoutMs: 60_000 });
    const pids = childPids(stateDir);
    expect(pids.length).toBeGreaterThanOrEqual(5);
    up.child.kill('SIGKILL');
    // Each child notices its supervisor is gone (nats-server through the kernel's parent-death signal).
    await waitFor('every child gone', () => pids.filter(alive).length === 0, { timeoutMs: 30_000, intervalMs: 200 });
  });

  it('says in one line which port is busy', async () => {
    busy = createServer();
    await new Promise<void>((r) => busy!.listen(0, '127.0.0.1', () => r()));
    const port = (busy.address() as AddressInfo).port;
    const up = runUp(['--state-dir', mkdtempSync(join(tmpdir(), 'virtsim-up-')), '--port', String(port), '--nats-port', String(await freePort())]);
    leftovers.push(up.child);
    expect(await up.exited).toBe(1);
    expect(up.err().trim()).toBe(`virtsim up: port ${port} (API server) is busy: stop what uses it, or pick another with --port N`);
  });

  it('says what to do when nats-server is missing', async () => {
    const up = runUp(['--state-dir', mkdtempSync(join(tmpdir(), 'virtsim-up-'))], { PATH: '/nonexistent' });
    leftovers.push(up.child);
    expect(await up.exited).toBe(1);
    expect(up.err()).toMatch(/^virtsim up: nats-server is not installed: run `npm run setup`/);
  });
});
