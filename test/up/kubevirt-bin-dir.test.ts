import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { waitFor } from '@virtsim/testkit/wait';
import { KubeClient, StatusError, type KubeObject } from '@virtsim/kube';
import { freePort, runUp } from './run-up.ts';

// `virtsim up --kubevirt-bin-dir DIR`: the user's own virt-api and virt-controller on the embedded
// API server. The binaries are KubeVirt's, built by the user from its sources: CI has none, so the
// run with them needs VIRTSIM_KUBEVIRT_BIN_DIR (virt-operator, virt-api, virt-controller built from
// KubeVirt v0.59); what `up` says about a folder it cannot use is checked everywhere.

const REAL_BIN_DIR = process.env.VIRTSIM_KUBEVIRT_BIN_DIR;

function executable(dir: string, name: string, script: string): void {
  writeFileSync(join(dir, name), `#!/bin/sh\n${script}\n`);
  chmodSync(join(dir, name), 0o755);
}

describe('virtsim up --kubevirt-bin-dir', () => {
  const leftovers: ChildProcess[] = [];
  afterAll(() => {
    for (const c of leftovers) c.kill('SIGKILL');
  });

  it('names the binaries a folder lacks, and how to build them, before starting anything', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'virtsim-kv-bin-'));
    executable(bin, 'virt-api', 'exit 0');
    writeFileSync(join(bin, 'virt-controller'), 'not executable');
    const stateDir = mkdtempSync(join(tmpdir(), 'virtsim-up-kv-'));
    const up = runUp(['--state-dir', stateDir, '--kubevirt-bin-dir', bin, '--port', String(await freePort()), '--nats-port', String(await freePort())]);
    leftovers.push(up.child);
    expect(await up.exited).toBe(1);
    expect(up.err().trim()).toBe(
      `virtsim up: --kubevirt-bin-dir ${bin} has no executable virt-operator, virt-controller: build them from KubeVirt's sources (go build -o ${bin}/NAME ./cmd/NAME, for NAME in virt-operator, virt-api, virt-controller)`,
    );
  });

  it('refuses a stand-in that would fight KubeVirt\'s own component, and a cluster of the user\'s', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'virtsim-kv-bin-'));
    const stateDir = mkdtempSync(join(tmpdir(), 'virtsim-up-kv-'));
    const both = runUp(['--state-dir', stateDir, '--kubevirt-bin-dir', bin, '--stand-ins', 'scheduler,virt-controller']);
    leftovers.push(both.child);
    expect(await both.exited).toBe(1);
    expect(both.err().trim()).toBe("virtsim up: --stand-ins virt-controller cannot run beside --kubevirt-bin-dir, which runs KubeVirt's own virt-controller");

    const kubeconfig = join(stateDir, 'their-kubeconfig');
    writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\n');
    const theirs = runUp(['--state-dir', stateDir, '--kubevirt-bin-dir', bin, '--kubeconfig', kubeconfig]);
    leftovers.push(theirs.child);
    expect(await theirs.exited).toBe(1);
    expect(theirs.err()).toContain('--kubevirt-bin-dir runs KubeVirt on the embedded API server; a cluster given with --kubeconfig has its own');
  });

  it('says what virt-operator printed when it cannot dump its install strategy, and leaves no process behind', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'virtsim-kv-bin-'));
    executable(bin, 'virt-operator', 'echo "cannot find virt-operator\'s image" >&2; exit 1');
    executable(bin, 'virt-api', 'exit 1');
    executable(bin, 'virt-controller', 'exit 1');
    const stateDir = mkdtempSync(join(tmpdir(), 'virtsim-up-kv-'));
    const up = runUp(['--state-dir', stateDir, '--nodes', '1', '--agents', '1', '--kubevirt-bin-dir', bin, '--port', String(await freePort()), '--nats-port', String(await freePort())]);
    leftovers.push(up.child);
    expect(await up.exited).toBe(1);
    expect(up.err().trim()).toBe(`virtsim up: installing KubeVirt from --kubevirt-bin-dir: ${bin}/virt-operator --dump-install-strategy failed: cannot find virt-operator's image`);
  });

  it.skipIf(!REAL_BIN_DIR)(
    'runs the real virt-api and virt-controller: a VM started with kubectl is defaulted by virt-api, gets its launcher pod from virt-controller and reaches Running; a VMI migrates',
    async () => {
      const stateDir = mkdtempSync(join(tmpdir(), 'virtsim-up-kv-real-'));
      mkdirSync(stateDir, { recursive: true });
      const up = runUp(['--state-dir', stateDir, '--nodes', '3', '--agents', '1', '--kubevirt-bin-dir', REAL_BIN_DIR!, '--port', String(await freePort()), '--nats-port', String(await freePort())]);
      leftovers.push(up.child);
      await waitFor('virtsim is up', () => up.out().includes('stop        Ctrl-C') || up.child.exitCode !== null, { timeoutMs: 180_000 });
      expect(up.err()).toBe('');
      expect(up.out()).toContain('control-plane stand-ins (scheduler)');
      expect(readFileSync(join(stateDir, 'kubevirt', 'installed.txt'), 'utf8')).toContain('MutatingWebhookConfiguration virt-api-mutator');
      // virt-controller's own metrics (its client's rate limiter, its work queues), where the banner
      // and prometheus.yml say, served with a certificate of the CA prometheus.yml names.
      const prom = parse(readFileSync(join(stateDir, 'prometheus.yml'), 'utf8')) as { scrape_configs: { job_name: string; tls_config?: { ca_file: string }; static_configs: { targets: string[] }[] }[] };
      const controllerJob = prom.scrape_configs.find((j) => j.job_name === 'virt-controller');
      const controllerMetrics = `https://${controllerJob?.static_configs[0].targets[0]}/metrics`;
      expect(up.out()).toContain(`virt-controller ${controllerMetrics}`);
      const metricsText = execFileSync('curl', ['-sS', '--fail', '--cacert', controllerJob?.tls_config?.ca_file ?? '', controllerMetrics], { encoding: 'utf8' });
      expect(metricsText).toMatch(/^rest_client_rate_limiter_duration_seconds_count\{/m);
      const client = await KubeClient.fromFile(join(stateDir, 'kubeconfig'));
      const vmis = '/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstances';
      try {
        // virt-api's own validation: a VMI with a disk naming no volume is denied with its message.
        const bad = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'bad' }, spec: { domain: { devices: { disks: [{ name: 'nowhere' }] }, resources: { requests: { memory: '64Mi' } } } } };
        const denied = await client.request({ method: 'POST', path: vmis, body: bad }).catch((e: unknown) => e);
        expect(denied).toBeInstanceOf(StatusError);
        expect((denied as StatusError).message).toMatch(/admission webhook "virtualmachineinstances-create-validator.kubevirt.io" denied the request/);

        const vm = {
          apiVersion: 'kubevirt.io/v1',
          kind: 'VirtualMachine',
          metadata: { name: 'vm-real' },
          spec: { running: true, template: { spec: { domain: { devices: {}, resources: { requests: { memory: '64Mi' } } } } } },
        };
        await client.request({ method: 'POST', path: '/apis/kubevirt.io/v1/namespaces/default/virtualmachines', body: vm });
        const running = await waitFor(
          'the VM\'s VMI Running',
          async () => {
            const vmi = await client.request<KubeObject>({ method: 'GET', path: `${vmis}/vm-real` }).catch(() => undefined);
            return vmi?.status?.phase === 'Running' ? vmi : undefined;
          },
          { timeoutMs: 60_000 },
        );
        // Defaults only virt-api's mutating webhook sets.
        expect(running.spec.domain.machine).toEqual({ type: 'q35' });
        const pods = await client.request<{ items: KubeObject[] }>({ method: 'GET', path: '/api/v1/namespaces/default/pods', query: { labelSelector: 'kubevirt.io=virt-launcher' } });
        const launcher = pods.items.find((p) => p.metadata.ownerReferences?.some((o) => o.kind === 'VirtualMachineInstance' && o.name === 'vm-real'));
        expect(launcher?.spec?.nodeName).toBe(running.status.nodeName);
        expect(launcher?.spec?.containers?.[0]?.image).toBe('quay.io/kubevirt/virt-launcher:v0.59.0');

        // A live migration through the real virt-controller (v0.59 names the source pod only by UID):
        // the target pod runs the VMI and the source launcher exits.
        const migratable = {
          apiVersion: 'kubevirt.io/v1',
          kind: 'VirtualMachineInstance',
          metadata: { name: 'mig' },
          spec: { domain: { devices: { interfaces: [{ name: 'default', masquerade: {} }] }, resources: { requests: { memory: '64Mi' } } }, networks: [{ name: 'default', pod: {} }] },
        };
        await client.request({ method: 'POST', path: vmis, body: migratable });
        const before = await waitFor('the VMI to migrate Running', async () => {
          const vmi = await client.request<KubeObject>({ method: 'GET', path: `${vmis}/mig` }).catch(() => undefined);
          return vmi?.status?.phase === 'Running' ? vmi : undefined;
        }, { timeoutMs: 60_000 });
        await client.request({ method: 'POST', path: '/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstancemigrations', body: { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstanceMigration', metadata: { name: 'mig-1' }, spec: { vmiName: 'mig' } } });
        await waitFor('the migration Succeeded and the source launcher pod Succeeded', async () => {
          const m = await client.request<KubeObject>({ method: 'GET', path: '/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstancemigrations/mig-1' });
          const launchers = await client.request<{ items: KubeObject[] }>({ method: 'GET', path: '/api/v1/namespaces/default/pods', query: { labelSelector: 'kubevirt.io=virt-launcher,vm.kubevirt.io/name=mig' } });
          const source = launchers.items.find((p) => p.spec.nodeName === before.status.nodeName);
          return m.status?.phase === 'Succeeded' && source?.status?.phase === 'Succeeded';
        }, { timeoutMs: 60_000 });
        const after = await client.request<KubeObject>({ method: 'GET', path: `${vmis}/mig` });
        expect(after.status.nodeName).not.toBe(before.status.nodeName);
        // The VMI reports the target launcher pod's address (v0.59's interfaces have no podInterfaceName).
        const targetPod = (await client.request<{ items: KubeObject[] }>({ method: 'GET', path: '/api/v1/namespaces/default/pods', query: { labelSelector: 'kubevirt.io=virt-launcher,vm.kubevirt.io/name=mig' } })).items.find((p) => p.spec.nodeName === after.status.nodeName);
        expect(after.status.interfaces?.[0]?.ipAddress).toBe(targetPod?.status?.podIP);
        expect(after.status.interfaces?.[0]?.ipAddress).not.toBe(before.status.interfaces?.[0]?.ipAddress);

        // Stopped through virt-api's aggregated subresources, as virtctl stop does (with kubectl:
        // virt-api answers 406 to a client that accepts only application/json).
        execFileSync('kubectl', ['--kubeconfig', join(stateDir, 'kubeconfig'), 'replace', '--raw', '/apis/subresources.kubevirt.io/v1/namespaces/default/virtualmachines/vm-real/stop', '-f', '-'], { input: '{}' });
        await waitFor('the VMI gone', async () => (await client.request({ method: 'GET', path: `${vmis}/vm-real` }).then(() => false, (e: unknown) => e instanceof StatusError && e.code === 404)), { timeoutMs: 60_000 });
      } finally {
        client.close();
      }
      up.child.kill('SIGTERM');
      expect(await up.exited).toBe(0);
    },
    300_000,
  );
});
