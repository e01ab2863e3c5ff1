import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '@virtsim/testkit/wait';
import { connect as natsConnect } from 'nats';
import { KubeClient, NODES, collectionPath, type KubeObject } from '@virtsim/kube';
import { freePort, runUp } from './run-up.ts';
import { allLogs, generatedSecrets, looseSecretFiles, processText, secretsIn } from './secrets.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** `npx virtsim …` from the repo, exactly as a user or a CI script starts it. */
function runViaNpx(args: string[]) {
  const child = spawn('npx', ['--no', 'virtsim', ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  return { child, out: () => out };
}

/** Processes whose command line names the run's state dir (`up` itself, npx's shell, the clients). */
function processesNaming(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dir)) pids.push(Number(entry));
    } catch {
      // gone while we looked
    }
  }
  return pids;
}

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

  it('runs the fleet for kubectl, authenticated, with no secret on a command line or in a log, and stops it all, leaving no process behind', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'virtsim-up-'));
    const up = runUp(['--state-dir', stateDir, '--nodes', '12', '--agents', '2', '--port', String(await freePort()), '--nats-port', String(await freePort())]);
    leftovers.push(up.child);
    // The whole banner, whose last line says how to stop.
    await waitFor('virtsim is up', () => up.out().includes('stop        Ctrl-C'), { timeoutMs: 60_000 });
    expect(up.out()).toContain(`kubeconfig  ${stateDir}/kubeconfig`);
    // up itself is a long-running process of the fleet: /metrics (its children's state) and /healthz.
    const upMetrics = /metrics {5}up (http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(up.out())?.[1];
    expect(upMetrics).toBeDefined();
    const metricsText = await (await fetch(`${upMetrics}/metrics`)).text();
    for (const child of ['apiserver', 'nats-server', 'coordinator', 'watcher', 'agent-0', 'agent-1']) expect(metricsText).toMatch(new RegExp(`virtsim_up_child_running\\{child="${child}"[^}]*\\} 1\n`));
    expect(metricsText).toMatch(/process_resident_memory_bytes\{service="up"\} \d+/);
    expect((await fetch(`${upMetrics}/healthz`)).status).toBe(200);
    expect(readFileSync(join(stateDir, 'prometheus.yml'), 'utf8')).toContain(new URL(upMetrics!).host);
    const client = await KubeClient.fromFile(join(stateDir, 'kubeconfig'));
    await waitFor('12 nodes Ready', async () => {
      const nodes = (await client.request<{ items: KubeObject[] }>({ method: 'GET', path: collectionPath(NODES) })).items;
      return nodes.filter((n) => n.status?.conditions?.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True')).length === 12;
    }, { timeoutMs: 30_000 });
    // The embedded cluster drains by live migration: up runs the stand-ins with the eviction webhook.
    await waitFor('eviction webhook registered', async () => {
      const r = await client.request<{ items: KubeObject[] }>({ method: 'GET', path: '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations' });
      return r.items.some((w) => w.metadata.name === 'virtsim-virt-api-validator');
    }, { timeoutMs: 30_000 });
    client.close();
    const pids = childPids(stateDir);
    expect(pids.length).toBeGreaterThanOrEqual(6); // apiserver, nats, coordinator, watcher, 2 agents
    expect(pids.every(alive)).toBe(true);
    // Every Node child runs with 16 MiB semi-spaces (V8 would size them from the machine's memory),
    // and all but the API server with the old generation's growth capped.
    const nodeChildren = pids.map((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).filter((argv) => argv.some((a) => a.endsWith('virtsim.ts')));
    expect(nodeChildren.length).toBeGreaterThanOrEqual(5); // apiserver, coordinator, watcher, 2 agents
    for (const argv of nodeChildren) {
      expect(argv).toContain('--max-semi-space-size=16');
      const subcommand = argv[argv.findIndex((a) => a.endsWith('virtsim.ts')) + 1];
      expect({ subcommand, capped: argv.includes('--heap-growing-percent=50') }).toEqual({ subcommand, capped: subcommand !== 'apiserver' });
    }

    // The fleet that made those nodes Ready was authenticated: NATS with the token over TLS, mTLS to the coordinator.
    const logs = allLogs(stateDir);
    expect(logs).toMatch(/TLS required for client connections/);
    expect(logs.match(/"auth":"token","tls":true,"msg":"nats connected"/g)?.length).toBeGreaterThanOrEqual(3); // watcher + 2 agents
    expect(logs).toMatch(/"tls":"mtls","msg":"coordinator listening"/);
    expect(looseSecretFiles(stateDir)).toEqual([]);
    // The fleet's own processes reach the API server on its Unix socket, which only this user may
    // open, with a kubeconfig only this user may read; kubectl's kubeconfig stays on the TLS port.
    expect(lstatSync(join(stateDir, 'apiserver.sock')).mode & 0o777).toBe(0o600);
    expect(lstatSync(join(stateDir, 'fleet-kubeconfig')).mode & 0o777).toBe(0o600);
    const kubeconfigOf = (argv: string[]) => argv[argv.indexOf('--kubeconfig') + 1];
    const fleetClients = nodeChildren.filter((argv) => ['watcher', 'agent', 'control-plane'].includes(argv[argv.findIndex((a) => a.endsWith('virtsim.ts')) + 1]));
    expect(fleetClients.length).toBeGreaterThanOrEqual(3); // watcher + 2 agents
    expect(new Set(fleetClients.map(kubeconfigOf))).toEqual(new Set([join(stateDir, 'fleet-kubeconfig')]));
    expect(readFileSync(join(stateDir, 'kubeconfig'), 'utf8')).toMatch(/server: https:\/\/127\.0\.0\.1:\d+/);
    // Anyone else on the machine: no token, no way in.
    const natsPort = Number(/Listening for client connections on 127\.0\.0\.1:(\d+)/.exec(logs)![1]);
    const ca = readFileSync(join(stateDir, 'secrets/pki/ca.crt'), 'utf8');
    const anonymous = await natsConnect({ servers: `127.0.0.1:${natsPort}`, reconnect: false, tls: { ca } }).then((nc) => nc.close().then(() => 'connected'), (e: Error) => e.message);
    expect(anonymous).toMatch(/Authorization Violation/i);

    // What `ps` shows of `up` and its children (arguments and environment) names files, never a secret.
    const secrets = generatedSecrets(stateDir);
    for (const pid of [up.child.pid!, ...pids]) expect({ pid, found: secretsIn(processText(pid), secrets) }).toEqual({ pid, found: [] });

    up.child.kill('SIGTERM');
    expect(await up.exited).toBe(0);
    expect(up.out()).toContain('virtsim: stopped');
    expect(pids.filter(alive)).toEqual([]);
    expect(existsSync(join(stateDir, 'apiserver.sock'))).toBe(false);
    await expect(fetch(`${upMetrics}/healthz`)).rejects.toThrow();
    // The whole run's logs and output, start to stop.
    expect(secretsIn(`${allLogs(stateDir)}\n${up.out()}\n${up.err()}`, secrets)).toEqual([]);
  });

  it('runs only the stand-ins --stand-ins names: the scheduler binds pods, and VMIs are left to KubeVirt\'s own virt-api and virt-controller', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'virtsim-up-standins-'));
    const up = runUp(['--state-dir', stateDir, '--nodes', '2', '--agents', '1', '--stand-ins', 'scheduler', '--port', String(await freePort()), '--nats-port', String(await freePort())]);
    leftovers.push(up.child);
    await waitFor('virtsim is up', () => up.out().includes('stop        Ctrl-C'), { timeoutMs: 60_000 });
    expect(up.out()).toContain('control-plane stand-ins (scheduler)');
    const client = await KubeClient.fromFile(join(stateDir, 'kubeconfig'));
    try {
      const vmi = {
        apiVersion: 'kubevirt.io/v1',
        kind: 'VirtualMachineInstance',
        metadata: { name: 'vmi-alone' },
        spec: { domain: { devices: {}, resources: { requests: { memory: '64Mi' } } } },
      };
      await client.request({ method: 'POST', path: '/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstances', body: vmi });
      // Created after the VMI: once the scheduler has bound it, virt-api's stand-in would long have set the VMI's phase.
      await client.request({ method: 'POST', path: '/api/v1/namespaces/default/pods', body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'plain' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } });
      const bound = await waitFor('the plain pod bound by the scheduler stand-in', async () => (await client.request<KubeObject>({ method: 'GET', path: '/api/v1/namespaces/default/pods/plain' })).spec?.nodeName as string | undefined, { timeoutMs: 30_000 });
      expect(bound).toMatch(/^virtsim-node-/);
      const stored = await client.request<KubeObject>({ method: 'GET', path: `/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstances/${vmi.metadata.name}` });
      expect(stored.status?.phase).toBeUndefined();
      // No virt-api stand-in, so no eviction webhook of its own in the way of KubeVirt's.
      const hooks = await client.request<{ items: KubeObject[] }>({ method: 'GET', path: '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations' });
      expect(hooks.items.map((w) => w.metadata.name)).not.toContain('virtsim-virt-api-validator');
    } finally {
      client.close();
    }
    up.child.kill('SIGTERM');
    expect(await up.exited).toBe(0);

    const bad = runUp(['--state-dir', stateDir, '--stand-ins', 'scheduler,kubelet']);
    expect(await bad.exited).toBe(2);
    expect(bad.err()).toContain('--stand-ins: unknown stand-in "kubelet"; known: scheduler, virt-api, virt-controller');
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

  // `kill $!` after `npx virtsim up &` reaches npm only: npm passes SIGTERM to its shell, which dies
  // without passing it on; SIGKILL reaches nobody. Either way the whole fleet must stop.
  it.each(['SIGTERM', 'SIGKILL'] as const)('stops the whole fleet when the npx the user started gets %s', async (signal) => {
    const stateDir = mkdtempSync(join(tmpdir(), 'virtsim-up-npx-'));
    const up = runViaNpx(['up', '--state-dir', stateDir, '--nodes', '2', '--agents', '1', '--port', String(await freePort()), '--nats-port', String(await freePort())]);
    leftovers.push(up.child);
    await waitFor('virtsim is up', () => up.out().includes('stop        Ctrl-C'), { timeoutMs: 60_000 });
    const pids = [...new Set([...childPids(stateDir), ...processesNaming(stateDir)])];
    // apiserver, nats, coordinator, watcher, agent, control-plane, `up`, and the shell npx ran it in
    expect(pids.length).toBeGreaterThanOrEqual(8);
    up.child.kill(signal);
    await waitFor('no process of the run left', () => pids.filter(alive).length === 0 && processesNaming(stateDir).length === 0, {
      timeoutMs: 30_000,
      intervalMs: 200,
    });
    // It was a clean stop (the fleet's own SIGTERM path), not children dying one by one.
    expect(up.out()).toContain('virtsim: stopped');
  });

  it('stops `npx virtsim apiserver` when the npx the user started gets SIGHUP', async () => {
    const api = runViaNpx(['apiserver', '--port', '0', '--insecure-http']);
    leftovers.push(api.child);
    const listening = await waitFor('apiserver listening', () => /"pid":(\d+)[^\n]*"msg":"apiserver listening"/.exec(api.out()), { timeoutMs: 30_000 });
    const pid = Number(listening[1]);
    expect(alive(pid)).toBe(true);
    api.child.kill('SIGHUP');
    await waitFor('apiserver gone', () => !alive(pid), { timeoutMs: 30_000, intervalMs: 100 });
    expect(api.out()).toContain('"msg":"apiserver stopped"');
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
