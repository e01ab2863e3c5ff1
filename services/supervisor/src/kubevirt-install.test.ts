import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { KubeObject } from '@virtsim/kube';
import { INSTALL_STRATEGY_ENCODING, decodeInstallStrategy, splitInstallStrategy } from './kubevirt-install.ts';
import { imageVersion } from './kubevirt-setup.ts';

// A strategy shaped as virt-operator v0.59 dumps it: kinds without apiVersion where it omits them,
// objects repeated, and the operator's, OpenShift's and the DaemonSet's objects to leave out.
const md = (name: string, namespace?: string) => ({ name, ...(namespace ? { namespace } : {}), creationTimestamp: null });
const STRATEGY: object[] = [
  { kind: 'ServiceAccount', metadata: md('kubevirt-apiserver', 'kubevirt') },
  { kind: 'ServiceAccount', metadata: md('kubevirt-apiserver', 'kubevirt') },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: md('kubevirt-controller'), rules: [] },
  { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: md('virtualmachineinstances.kubevirt.io'), spec: {}, status: { acceptedNames: {} } },
  { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: md('kubevirts.kubevirt.io'), spec: {} },
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: md('kubevirt-ca', 'kubevirt'), data: { 'ca-bundle': 'theirs' } },
  { apiVersion: 'v1', kind: 'Service', metadata: md('virt-api', 'kubevirt'), spec: { ports: [{ port: 443 }] } },
  { apiVersion: 'v1', kind: 'Service', metadata: md('kubevirt-operator-webhook', 'kubevirt'), spec: {} },
  { apiVersion: 'v1', kind: 'Secret', metadata: md('kubevirt-ca', 'kubevirt') },
  { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: md('virt-api-mutator'), webhooks: [{ name: 'a', clientConfig: { service: { name: 'virt-api' } } }] },
  { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: md('virt-operator-validator'), webhooks: [{ name: 'b', clientConfig: {} }] },
  { apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService', metadata: md('v1.subresources.kubevirt.io'), spec: { insecureSkipTLSVerify: true, caBundle: 'theirs' } },
  { apiVersion: 'apps/v1', kind: 'Deployment', metadata: md('virt-api', 'kubevirt') },
  { apiVersion: 'apps/v1', kind: 'Deployment', metadata: md('virt-exportproxy', 'kubevirt') },
  { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: md('virt-handler', 'kubevirt') },
  { apiVersion: 'security.openshift.io/v1', kind: 'SecurityContextConstraints', metadata: md('kubevirt-handler') },
  { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: md('nothing-uses-it', 'kubevirt') },
];
const YAML = STRATEGY.map((o) => stringify(o)).join('---\n');
const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

const names = (objs: KubeObject[]) => objs.map((o) => `${o.kind} ${o.metadata.name}`);

describe('splitInstallStrategy', () => {
  const m = splitInstallStrategy(YAML, { caPem: CA, virtApiPort: 18443 });

  it('puts each object where up needs it, once, with our KubeVirt CRD first', () => {
    expect(names(m.crds)).toEqual(['CustomResourceDefinition kubevirts.kubevirt.io', 'CustomResourceDefinition virtualmachineinstances.kubevirt.io']);
    expect(names(m.rbac)).toEqual(['ServiceAccount kubevirt-apiserver', 'ClusterRole kubevirt-controller']);
    expect(names(m.config)).toEqual(['ConfigMap kubevirt-ca', 'Service virt-api', 'Endpoints virt-api']);
    expect(names(m.webhooks)).toEqual(['MutatingWebhookConfiguration virt-api-mutator', 'APIService v1.subresources.kubevirt.io']);
    expect(m.crds[1].status).toBeUndefined();
    expect(m.crds[1].metadata.creationTimestamp).toBeUndefined();
  });

  it('trusts our CA where KubeVirt components and the API server check virt-api, and points virt-api\'s Service at the local port', () => {
    const b64 = Buffer.from(CA).toString('base64');
    expect(m.config[0].data).toEqual({ 'ca-bundle': CA });
    expect((m.webhooks[0].webhooks as { clientConfig: { caBundle: string } }[])[0].clientConfig.caBundle).toBe(b64);
    expect(m.webhooks[1].spec).toEqual({ caBundle: b64 });
    expect(m.config[2]).toMatchObject({ metadata: { name: 'virt-api', namespace: 'kubevirt' }, subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ port: 18443 }] }] });
  });

  it('says why each object was left out', () => {
    expect(m.skipped).toEqual([
      'Service kubevirt-operator-webhook (no virt-operator runs)',
      'Secret kubevirt-ca (certificates are files in the state dir)',
      "ValidatingWebhookConfiguration virt-operator-validator (virt-operator's own webhook; no virt-operator runs)",
      'Deployment virt-api (runs as a local process)',
      'Deployment virt-exportproxy (not run here)',
      "DaemonSet virt-handler (virt-handler: the fleet's agents play it)",
      'SecurityContextConstraints kubevirt-handler (OpenShift only)',
      'PersistentVolumeClaim nothing-uses-it (not needed by virt-api or virt-controller)',
    ]);
  });
});

describe('decodeInstallStrategy', () => {
  const cm = (manifests: string, encoding?: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'kubevirt-install-strategy-x', ...(encoding ? { annotations: { [INSTALL_STRATEGY_ENCODING]: encoding } } : {}) },
    data: { manifests },
  });

  it('reads gzip+base64 manifests (v0.49+) and plain ones', () => {
    expect(decodeInstallStrategy(cm(gzipSync(YAML).toString('base64'), 'gzip+base64'))).toBe(YAML);
    expect(decodeInstallStrategy(cm(YAML))).toBe(YAML);
  });

  it('refuses an encoding it does not know, naming the ConfigMap', () => {
    expect(() => decodeInstallStrategy(cm('x', 'zstd'))).toThrow('ConfigMap kubevirt-install-strategy-x: unknown manifests encoding "zstd"');
  });
});

describe('imageVersion', () => {
  it('reads the version and registry an operator image names', () => {
    expect(imageVersion('quay.io/kubevirt/virt-operator:v0.59.0')).toEqual({ registry: 'quay.io/kubevirt', version: 'v0.59.0' });
    expect(imageVersion('registry:5000/kv/virt-operator')).toEqual({ registry: 'registry:5000/kv', version: 'latest' });
    expect(() => imageVersion('virt-operator:v1')).toThrow('VIRT_OPERATOR_IMAGE "virt-operator:v1" is not <registry>/virt-operator:<tag>');
  });
});
