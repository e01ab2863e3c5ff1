/**
 * The `kube-system/extension-apiserver-authentication` ConfigMap, as kube-apiserver's
 * cluster-authentication-trust controller keeps it: the CAs and header names an aggregated API
 * server (KubeVirt's virt-api) needs to trust requests the aggregator proxies to it. The list
 * values are JSON arrays of strings, as the real server writes them.
 */
import { SYSTEM_USER, type ObjectService } from './objects.ts';
import type { ResourceRegistry } from './resources.ts';
import { FRONT_PROXY_CLIENT_CN } from './front-proxy-pki.ts';

export const AUTH_CONFIGMAP_NAMESPACE = 'kube-system';
export const AUTH_CONFIGMAP_NAME = 'extension-apiserver-authentication';

/** The ConfigMap's data: `clientCaPem` is omitted when the server has none (plain HTTP). */
export function authenticationData(frontProxyCaPem: string, clientCaPem: string): Record<string, string> {
  const data: Record<string, string> = {
    'requestheader-client-ca-file': frontProxyCaPem,
    'requestheader-username-headers': JSON.stringify(['X-Remote-User']),
    'requestheader-group-headers': JSON.stringify(['X-Remote-Group']),
    'requestheader-extra-headers-prefix': JSON.stringify(['X-Remote-Extra-']),
    'requestheader-allowed-names': JSON.stringify([FRONT_PROXY_CLIENT_CN]),
  };
  if (clientCaPem) data['client-ca-file'] = clientCaPem;
  return data;
}

/** Creates the ConfigMap, or sets its data back when it differs (a restart with new PKI, an edit). */
export function ensureAuthenticationConfigMap(objects: ObjectService, registry: ResourceRegistry, data: Record<string, string>): void {
  const rt = registry.get('', 'v1', 'configmaps')!;
  const entry = objects.store.get(rt.storeKey, AUTH_CONFIGMAP_NAMESPACE, AUTH_CONFIGMAP_NAME);
  if (!entry) {
    objects.create(rt, AUTH_CONFIGMAP_NAMESPACE, { metadata: { name: AUTH_CONFIGMAP_NAME }, data }, SYSTEM_USER);
    return;
  }
  const cur = objects.parse(entry);
  if (JSON.stringify(cur.data ?? {}) === JSON.stringify(data)) return;
  objects.update(rt, AUTH_CONFIGMAP_NAMESPACE, AUTH_CONFIGMAP_NAME, { ...cur, data }, SYSTEM_USER, undefined, {}, { entry, obj: cur });
}
