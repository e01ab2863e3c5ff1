import { accessSync, constants, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import type { KubeClient } from '@virtsim/kube';
import { createPki } from '@virtsim/telemetry';
import type { FleetSupervisor } from './fleet-supervisor.ts';
import type { TlsScrapeTarget } from './prometheus-config.ts';
import { splitInstallStrategy, type KubevirtManifests } from './kubevirt-install.ts';
import {
  DEFAULT_OPERATOR_IMAGE,
  KUBEVIRT_NAMESPACE,
  dumpInstallStrategy,
  ensureKubevirtNamespace,
  imageVersion,
  installKubevirtObjects,
  installKubevirtWebhooks,
  serviceAccountKubeconfig,
  writeInstallSummary,
} from './kubevirt-setup.ts';
import { UpError } from './up-error.ts';

/**
 * The user's own KubeVirt control plane beside the fleet (`virtsim up --kubevirt-bin-dir DIR`):
 * virt-operator only to say what it would install, then virt-api and virt-controller as
 * supervised local processes, each as its own service account, in place of their stand-ins.
 */

export const KUBEVIRT_BINARIES = ['virt-operator', 'virt-api', 'virt-controller'] as const;
export type KubevirtBinaries = Record<(typeof KUBEVIRT_BINARIES)[number], string>;

/** The three binaries in `dir`, or an UpError naming each one missing and how to get it. */
export function findKubevirtBinaries(dir: string): KubevirtBinaries {
  const abs = resolve(dir);
  if (!existsSync(abs)) throw new UpError(`--kubevirt-bin-dir ${abs} does not exist`);
  const missing = KUBEVIRT_BINARIES.filter((b) => {
    try {
      accessSync(join(abs, b), constants.X_OK);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length) {
    throw new UpError(
      `--kubevirt-bin-dir ${abs} has no executable ${missing.join(', ')}: build ${missing.length > 1 ? 'them' : 'it'} from KubeVirt's sources (go build -o ${abs}/NAME ./cmd/NAME, for NAME in ${KUBEVIRT_BINARIES.join(', ')})`,
    );
  }
  return Object.fromEntries(KUBEVIRT_BINARIES.map((b) => [b, join(abs, b)])) as KubevirtBinaries;
}

/** What prepareKubevirt set up, for startKubevirtComponents. */
export interface KubevirtPlan {
  bins: KubevirtBinaries;
  dir: string;
  manifests: KubevirtManifests;
  operatorImage: string;
  virtApiPort: number;
  consolePort: number;
  controllerPort: number;
  ca: string;
  certs: { virtApi: { cert: string; key: string }; virtController: { cert: string; key: string }; virtHandler: { cert: string; key: string } };
  kubeconfigs: { virtApi: string; virtController: string };
  installSummary: string;
}

/** Where virt-api and virt-controller serve their metrics (rest client, work queues, VMI phases). */
export function kubevirtMetricsTargets(plan: KubevirtPlan): TlsScrapeTarget[] {
  return [
    { process: 'virt-api', address: `127.0.0.1:${plan.virtApiPort}`, caFile: plan.ca },
    { process: 'virt-controller', address: `127.0.0.1:${plan.controllerPort}`, caFile: plan.ca },
  ];
}

/** A port free on 127.0.0.1 now (the components' ports must be known before they start: Endpoints). */
async function freeLocalPort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

/**
 * Before the fleet starts (so its watches see KubeVirt's CRDs from the start): the install strategy
 * of the user's virt-operator, its objects, certificates and service-account kubeconfigs.
 */
export async function prepareKubevirt(p: { client: KubeClient; kubeconfig: string; stateDir: string; binDir: string }): Promise<KubevirtPlan> {
  const bins = findKubevirtBinaries(p.binDir);
  const dir = join(p.stateDir, 'kubevirt');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const operatorImage = process.env.VIRT_OPERATOR_IMAGE ?? DEFAULT_OPERATOR_IMAGE;
  imageVersion(operatorImage);
  const [virtApiPort, consolePort, controllerPort] = [await freeLocalPort(), await freeLocalPort(), await freeLocalPort()];

  // One CA for virt-api's serving certificate (webhooks, APIService) and the others, as
  // virt-operator's own kubevirt-ca does; the names are those virt-operator gives them.
  const pki = createPki(join(dir, 'pki'), 'kubevirt.io@virtsim');
  const svc = (name: string) => [`${name}.${KUBEVIRT_NAMESPACE}.svc`, `${name}.${KUBEVIRT_NAMESPACE}.svc.cluster.local`, name, 'localhost', '127.0.0.1'];
  const certs = {
    virtApi: pki.issue('virt-api.kubevirt.svc', { hosts: svc('virt-api') }),
    virtController: pki.issue('virt-controller.kubevirt.svc', { hosts: svc('virt-controller') }),
    virtHandler: pki.issue('kubevirt.io:system:client:virt-handler'),
  };

  await ensureKubevirtNamespace(p.client);
  const strategy = await dumpInstallStrategy(p.client, bins['virt-operator'], p.kubeconfig, operatorImage);
  const manifests = splitInstallStrategy(strategy, { caPem: readFileSync(pki.ca, 'utf8'), virtApiPort });
  await installKubevirtObjects(p.client, manifests, operatorImage);
  const kubeconfigs = { virtApi: join(dir, 'kubeconfig-kubevirt-apiserver'), virtController: join(dir, 'kubeconfig-kubevirt-controller') };
  await serviceAccountKubeconfig(p.client, p.kubeconfig, 'kubevirt-apiserver', kubeconfigs.virtApi);
  await serviceAccountKubeconfig(p.client, p.kubeconfig, 'kubevirt-controller', kubeconfigs.virtController);
  const installSummary = writeInstallSummary(dir, manifests);
  return { bins, dir, manifests, operatorImage, virtApiPort, consolePort, controllerPort, ca: pki.ca, certs, kubeconfigs, installSummary };
}

/** Resolves once GET url answers 200 over TLS checked against `ca`, or rejects after `timeoutMs`. */
async function waitHealthy(url: string, ca: string, timeoutMs: number): Promise<void> {
  const caPem = readFileSync(ca);
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const status = await new Promise<number>((res) => {
      const req = request(url, { ca: caPem, timeout: 2000 }, (r) => {
        r.resume();
        res(r.statusCode ?? 0);
      });
      req.on('error', (err) => {
        last = err.message;
        res(0);
      });
      req.end();
    });
    if (status === 200) return;
    if (status) last = `HTTP ${status}`;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new UpError(`${url} did not answer 200 within ${timeoutMs / 1000} s (${last})`);
}

/**
 * virt-api, then (once it answers) the webhooks and APIService that call it, then virt-controller.
 * Each runs under setpriv --pdeathsig where present: a Go binary cannot watch its parent, and the
 * kernel then stops it even when `up` is killed with SIGKILL.
 */
export async function startKubevirtComponents(p: { sup: FleetSupervisor; client: KubeClient; plan: KubevirtPlan; logs: string; setpriv: string | undefined }): Promise<void> {
  const { sup, plan, logs, setpriv } = p;
  const wrap = (bin: string, args: string[]) => (setpriv ? { command: setpriv, args: ['--pdeathsig', 'TERM', '--', bin, ...args] } : { command: bin, args });
  const { registry, version } = imageVersion(plan.operatorImage);

  await sup.start({
    name: 'virt-api',
    ...wrap(plan.bins['virt-api'], [
      '--kubeconfig', plan.kubeconfigs.virtApi,
      '--listen', '127.0.0.1',
      '--port', String(plan.virtApiPort),
      '--tls-cert-file', plan.certs.virtApi.cert,
      '--tls-key-file', plan.certs.virtApi.key,
      '--handler-cert-file', plan.certs.virtHandler.cert,
      '--handler-key-file', plan.certs.virtHandler.key,
      '--console-server-port', String(plan.consolePort),
    ]),
    logFile: join(logs, 'virt-api.log'),
    // It serves once it has read its certificates.
    ready: (_line, r) => (typeof r?.msg === 'string' && r.msg.startsWith("certificate with common name 'virt-api.") ? true : undefined),
    readyTimeoutMs: 60_000,
  });
  await waitHealthy(`https://127.0.0.1:${plan.virtApiPort}/apis/subresources.kubevirt.io/v1/healthz`, plan.ca, 30_000);
  await installKubevirtWebhooks(p.client, plan.manifests);

  await sup.start({
    name: 'virt-controller',
    ...wrap(plan.bins['virt-controller'], [
      '--kubeconfig', plan.kubeconfigs.virtController,
      '--listen', '127.0.0.1',
      '--port', String(plan.controllerPort),
      '--prom-cert-file', plan.certs.virtController.cert,
      '--prom-key-file', plan.certs.virtController.key,
      '--launcher-image', `${registry}/virt-launcher:${version}`,
      '--exporter-image', `${registry}/virt-exportserver:${version}`,
    ]),
    logFile: join(logs, 'virt-controller.log'),
    // Its controllers start once it leads (a restarted `up` waits out the old lease).
    ready: (line) => (/successfully acquired lease/.test(line) ? true : undefined),
    readyTimeoutMs: 90_000,
  });
}
