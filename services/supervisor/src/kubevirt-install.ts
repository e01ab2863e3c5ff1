import { gunzipSync } from 'node:zlib';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '@virtsim/kube';

/**
 * What virt-operator would install, split for a virt-api and a virt-controller that run as local
 * processes beside the embedded API server (`virtsim up --kubevirt-bin-dir`). The input is the
 * install strategy `virt-operator --dump-install-strategy` writes into a ConfigMap; nothing here
 * talks to a server.
 */

/** The label and annotation of virt-operator's install-strategy ConfigMap (kubevirt.io/api core/v1). */
export const INSTALL_STRATEGY_LABEL = 'kubevirt.io/install-strategy';
export const INSTALL_STRATEGY_ENCODING = 'kubevirt.io/install-strategy-cm-encoding';
export const INSTALL_STRATEGY_VERSION = 'kubevirt.io/install-strategy-version';

/** The ConfigMap's `manifests`, as YAML: gzip+base64 when its encoding annotation says so (v0.49+), else as is. */
export function decodeInstallStrategy(cm: KubeObject): string {
  const manifests = (cm.data as Record<string, string> | undefined)?.manifests;
  if (typeof manifests !== 'string') throw new Error(`ConfigMap ${cm.metadata.name} has no data.manifests`);
  const encoding = cm.metadata.annotations?.[INSTALL_STRATEGY_ENCODING];
  if (!encoding) return manifests;
  if (encoding !== 'gzip+base64') throw new Error(`ConfigMap ${cm.metadata.name}: unknown manifests encoding ${JSON.stringify(encoding)}`);
  return gunzipSync(Buffer.from(manifests, 'base64')).toString('utf8');
}

export interface KubevirtManifests {
  /** The CRDs: KubeVirt's own (kubevirts.kubevirt.io) first, then the strategy's. */
  crds: KubeObject[];
  /** Service accounts, cluster roles, roles and their bindings. */
  rbac: KubeObject[];
  /** The CA ConfigMaps (holding our CA), the Services, and virt-api's Endpoints on 127.0.0.1. */
  config: KubeObject[];
  /** Webhook configurations and APIServices: created only once virt-api answers (failurePolicy Fail). */
  webhooks: KubeObject[];
  /** `Kind name` of what was left out, and why. */
  skipped: string[];
}

export interface SplitOptions {
  /** PEM of the CA that signed virt-api's serving certificate. */
  caPem: string;
  /** virt-api's port on 127.0.0.1 (its Endpoints). */
  virtApiPort: number;
}

/** Workloads and platform objects: the binaries run here as processes; no operator, no OpenShift. */
const NOT_HERE: Record<string, string> = {
  Deployment: 'not run here',
  DaemonSet: "virt-handler: the fleet's agents play it",
  Route: 'OpenShift only',
  SecurityContextConstraints: 'OpenShift only',
  ServiceMonitor: 'no Prometheus operator',
  PrometheusRule: 'no Prometheus operator',
  // Certificates are files here (--tls-cert-file ...), not mounted secrets.
  Secret: 'certificates are files in the state dir',
};
/** The Deployments `up` runs as processes of the user's binaries. */
const LOCAL_PROCESSES = new Set(['virt-api', 'virt-controller']);
const RBAC_KINDS = new Set(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);
const CA_CONFIGMAPS = new Set(['kubevirt-ca', 'kubevirt-export-ca']);

/** Splits the strategy's YAML: one object per (kind, namespace, name), CA bundles set to ours. */
export function splitInstallStrategy(yamlText: string, opts: SplitOptions): KubevirtManifests {
  const out: KubevirtManifests = { crds: [kubeVirtCrd()], rbac: [], config: [], webhooks: [], skipped: [] };
  const caBundle = Buffer.from(opts.caPem).toString('base64');
  const seen = new Set<string>();
  for (const doc of parseAllDocuments(yamlText)) {
    const obj = doc.toJS() as KubeObject | null;
    if (!obj || typeof obj !== 'object' || !obj.kind) continue;
    const kind = obj.kind;
    const md = obj.metadata;
    const key = `${kind}/${md.namespace ?? ''}/${md.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    delete md.creationTimestamp;
    delete obj.status;
    const why = kind === 'Deployment' && LOCAL_PROCESSES.has(md.name) ? 'runs as a local process' : (NOT_HERE[kind] ?? placeObject(obj, out, opts, caBundle));
    if (why) out.skipped.push(`${kind} ${md.name} (${why})`);
  }
  return out;
}

/** Puts one object where it belongs; returns why it was left out, if it was. */
function placeObject(obj: KubeObject, out: KubevirtManifests, opts: SplitOptions, caBundle: string): string | undefined {
  const { kind, metadata: md } = obj;
  if (kind === 'CustomResourceDefinition') {
    if (md.name !== 'kubevirts.kubevirt.io') out.crds.push(obj);
  } else if (kind && RBAC_KINDS.has(kind)) {
    out.rbac.push(obj);
  } else if (kind === 'ConfigMap') {
    if (CA_CONFIGMAPS.has(md.name)) obj.data = { 'ca-bundle': opts.caPem };
    out.config.push(obj);
  } else if (kind === 'Service') {
    if (md.name === 'kubevirt-operator-webhook') return 'no virt-operator runs';
    out.config.push(obj);
    if (md.name === 'virt-api') out.config.push(virtApiEndpoints(md.namespace ?? 'kubevirt', opts.virtApiPort));
  } else if (kind === 'MutatingWebhookConfiguration' || kind === 'ValidatingWebhookConfiguration') {
    if (md.name === 'virt-operator-validator') return "virt-operator's own webhook; no virt-operator runs";
    for (const w of (obj.webhooks ?? []) as { clientConfig: { caBundle?: string } }[]) w.clientConfig.caBundle = caBundle;
    out.webhooks.push(obj);
  } else if (kind === 'APIService') {
    obj.spec.caBundle = caBundle;
    delete obj.spec.insecureSkipTLSVerify;
    out.webhooks.push(obj);
  } else {
    return 'not needed by virt-api or virt-controller';
  }
  return undefined;
}

function virtApiEndpoints(namespace: string, port: number): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'virt-api', namespace },
    subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ port, protocol: 'TCP' }] }],
  };
}

/**
 * The KubeVirt CRD. It is not part of the install strategy (virt-operator's own manifest installs
 * it); virt-api and virt-controller only read the CR, so this one keeps no schema.
 */
export function kubeVirtCrd(): KubeObject {
  const version = (name: string, storage: boolean) => ({
    name,
    served: true,
    storage,
    subresources: { status: {} },
    schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
    additionalPrinterColumns: [{ name: 'Phase', type: 'string', jsonPath: '.status.phase' }],
  });
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'kubevirts.kubevirt.io', labels: { 'operator.kubevirt.io': '' } },
    spec: {
      group: 'kubevirt.io',
      names: { kind: 'KubeVirt', plural: 'kubevirts', singular: 'kubevirt', listKind: 'KubeVirtList', shortNames: ['kv', 'kvs'], categories: ['all'] },
      scope: 'Namespaced',
      versions: [version('v1', true), version('v1alpha3', false)],
    },
  };
}

/** The KubeVirt CR that virt-operator's user creates. */
export function kubeVirtCr(namespace: string): KubeObject {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'KubeVirt',
    metadata: { name: 'kubevirt', namespace },
    spec: {
      certificateRotateStrategy: {},
      configuration: { developerConfiguration: { featureGates: [] } },
      customizeComponents: {},
      imagePullPolicy: 'IfNotPresent',
      workloadUpdateStrategy: {},
    },
  };
}

/**
 * The status virt-operator writes once everything is deployed: virt-api and virt-controller
 * ignore the CR's configuration until its phase is Deployed.
 */
export function kubeVirtDeployedStatus(version: string, registry: string): Record<string, unknown> {
  return {
    phase: 'Deployed',
    observedKubeVirtVersion: version,
    targetKubeVirtVersion: version,
    observedKubeVirtRegistry: registry,
    targetKubeVirtRegistry: registry,
    conditions: [{ type: 'Available', status: 'True', reason: 'AllComponentsReady', message: 'All components are ready.' }],
  };
}
