import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { StatusError, type KubeClient, type KubeObject } from '@virtsim/kube';
import { waitEstablished } from './cluster-setup.ts';
import { INSTALL_STRATEGY_LABEL, decodeInstallStrategy, kubeVirtCr, kubeVirtDeployedStatus, type KubevirtManifests } from './kubevirt-install.ts';

/**
 * What virt-operator does before KubeVirt's components run, done against the embedded API server
 * for local virt-api and virt-controller processes: its install strategy (asked of the user's own
 * virt-operator, so CRDs and RBAC match their binaries), the objects in it, the KubeVirt CR marked
 * Deployed, and a kubeconfig for each component as its own service account.
 */

export const KUBEVIRT_NAMESPACE = 'kubevirt';
/** The operator image virt-operator names in its strategy (its tag is the version it reports). */
export const DEFAULT_OPERATOR_IMAGE = 'quay.io/kubevirt/virt-operator:v0.59.0';

const run = promisify(execFile);

/** The resource path of an object of the kinds virt-operator installs (all plurals are kind + s). */
function objectPath(obj: KubeObject, named: boolean): string {
  const base = obj.apiVersion === 'v1' ? '/api/v1' : `/apis/${obj.apiVersion}`;
  const kind = (obj.kind ?? '').toLowerCase();
  const plural = kind.endsWith('s') ? kind : `${kind}s`;
  const ns = obj.metadata.namespace ? `/namespaces/${obj.metadata.namespace}` : '';
  return `${base}${ns}/${plural}${named ? `/${obj.metadata.name}` : ''}`;
}

/** Creates the object, or replaces what is there (a restarted `up`, or virtsim's own KubeVirt CRDs). */
export async function createOrReplace(client: KubeClient, obj: KubeObject): Promise<void> {
  const what = `${obj.kind} ${obj.metadata.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata.name}`;
  try {
    await client.request({ method: 'POST', path: objectPath(obj, false), body: obj });
    return;
  } catch (err) {
    if (!(err instanceof StatusError && err.code === 409)) throw new Error(`creating ${what}: ${(err as Error).message}`);
  }
  for (let attempt = 0; ; attempt++) {
    const current = await client.request<KubeObject>({ method: 'GET', path: objectPath(obj, true) });
    const next = { ...obj, metadata: { ...obj.metadata, resourceVersion: current.metadata.resourceVersion } };
    try {
      await client.request({ method: 'PUT', path: objectPath(obj, true), body: next });
      return;
    } catch (err) {
      // Someone else wrote it in between (the API server's CRD status, say): read and replace again.
      if (err instanceof StatusError && err.code === 409 && attempt < 5) continue;
      throw new Error(`replacing ${what}: ${(err as Error).message}`);
    }
  }
}

/**
 * Runs `virt-operator --dump-install-strategy` (it writes its strategy into a ConfigMap and exits)
 * and returns that ConfigMap's manifests as YAML.
 */
export async function dumpInstallStrategy(client: KubeClient, virtOperator: string, kubeconfig: string, operatorImage: string): Promise<string> {
  try {
    await run(virtOperator, ['--dump-install-strategy', '--kubeconfig', kubeconfig], {
      // virt-operator reads its namespace from the pod's service-account mount; with none it uses
      // "kubevirt". Its image names the version and the registry of every component.
      env: { ...process.env, VIRT_OPERATOR_IMAGE: operatorImage },
      timeout: 60_000,
    });
  } catch (err) {
    const e = err as Error & { stderr?: string };
    const last = (e.stderr ?? '').trim().split('\n').slice(-3).join(' | ');
    throw new Error(`${virtOperator} --dump-install-strategy failed: ${last || e.message}`);
  }
  const list = await client.request<{ items: KubeObject[] }>({
    method: 'GET',
    path: `/api/v1/namespaces/${KUBEVIRT_NAMESPACE}/configmaps`,
    query: { labelSelector: INSTALL_STRATEGY_LABEL },
  });
  // One ConfigMap per operator image; the newest is the one just written.
  const newest = list.items.sort((a, b) => Number(b.metadata.resourceVersion) - Number(a.metadata.resourceVersion))[0];
  if (!newest) throw new Error(`${virtOperator} --dump-install-strategy wrote no ConfigMap labelled ${INSTALL_STRATEGY_LABEL} in ${KUBEVIRT_NAMESPACE}`);
  return decodeInstallStrategy(newest);
}

/** The version and registry an operator image stands for: quay.io/kubevirt/virt-operator:v0.59.0 → v0.59.0, quay.io/kubevirt. */
export function imageVersion(image: string): { version: string; registry: string } {
  const m = /^(.*)\/virt-operator(?::([^@/]+))?(?:@.*)?$/.exec(image);
  if (!m) throw new Error(`VIRT_OPERATOR_IMAGE ${JSON.stringify(image)} is not <registry>/virt-operator:<tag>`);
  return { registry: m[1], version: m[2] ?? 'latest' };
}

/** Installs the split strategy: CRDs (waited on), RBAC, config objects, the KubeVirt CR marked Deployed. */
export async function installKubevirtObjects(client: KubeClient, m: KubevirtManifests, operatorImage: string): Promise<void> {
  for (const crd of m.crds) await createOrReplace(client, crd);
  await waitEstablished(client, m.crds.map((c) => c.metadata.name));
  for (const obj of [...m.rbac, ...m.config]) await createOrReplace(client, obj);
  // virtsim's own bootstrap grants KubeVirt's service accounts its stand-ins' roles; with the real
  // components only KubeVirt's own RBAC may apply, so a missing permission shows as it would.
  for (const name of ['virtsim:kubevirt-controller', 'virtsim:kubevirt-apiserver']) {
    try {
      await client.request({ method: 'DELETE', path: `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${name}` });
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 404)) throw err;
    }
  }
  await createOrReplace(client, kubeVirtCr(KUBEVIRT_NAMESPACE));
  // virt-api and virt-controller ignore the CR's configuration until virt-operator says Deployed.
  const { version, registry } = imageVersion(operatorImage);
  await client.request({
    method: 'PATCH',
    path: `/apis/kubevirt.io/v1/namespaces/${KUBEVIRT_NAMESPACE}/kubevirts/kubevirt/status`,
    contentType: 'application/merge-patch+json',
    body: { status: kubeVirtDeployedStatus(version, registry) },
  });
}

/** Creates the webhooks and the APIService: only once virt-api answers, as they fail closed. */
export async function installKubevirtWebhooks(client: KubeClient, m: KubevirtManifests): Promise<void> {
  for (const obj of m.webhooks) await createOrReplace(client, obj);
}

/**
 * Writes a kubeconfig that authenticates as service account `sa` of the kubevirt namespace with a
 * TokenRequest token, for the API server of `adminKubeconfig`.
 */
export async function serviceAccountKubeconfig(client: KubeClient, adminKubeconfig: string, sa: string, file: string): Promise<void> {
  const tr = await client.request<{ status: { token: string } }>({
    method: 'POST',
    path: `/api/v1/namespaces/${KUBEVIRT_NAMESPACE}/serviceaccounts/${sa}/token`,
    // A week: `up` runs are shorter; a new `up` asks again.
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 7 * 24 * 3600 } },
  });
  const admin = parse(readFileSync(adminKubeconfig, 'utf8')) as { clusters: { cluster: Record<string, string> }[] };
  const cluster = admin.clusters[0].cluster;
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'virtsim', cluster: { server: cluster.server, 'certificate-authority-data': cluster['certificate-authority-data'] } }],
    users: [{ name: sa, user: { token: tr.status.token } }],
    contexts: [{ name: sa, context: { cluster: 'virtsim', user: sa, namespace: KUBEVIRT_NAMESPACE } }],
    'current-context': sa,
  };
  writeFileSync(file, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
}

/** The namespace virt-operator's strategy goes to (virtsim's bootstrap may have made it already). */
export async function ensureKubevirtNamespace(client: KubeClient): Promise<void> {
  try {
    await client.request({ method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: KUBEVIRT_NAMESPACE } } });
  } catch (err) {
    if (!(err instanceof StatusError && err.code === 409)) throw err;
  }
}

/** Where the split strategy is kept for the user to read (what was installed, what was left out). */
export function writeInstallSummary(dir: string, m: KubevirtManifests): string {
  const file = join(dir, 'installed.txt');
  const names = (objs: KubeObject[]) => objs.map((o) => `  ${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`).join('\n');
  writeFileSync(
    file,
    [`CRDs:\n${names(m.crds)}`, `RBAC:\n${names(m.rbac)}`, `config:\n${names(m.config)}`, `webhooks and APIServices:\n${names(m.webhooks)}`, `left out:\n${m.skipped.map((s) => `  ${s}`).join('\n')}`].join('\n\n') + '\n',
  );
  return file;
}
