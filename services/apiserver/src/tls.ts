import { loadOrCreateSignedCert } from './openssl-pki.ts';

export interface ServingPki {
  caPem: string;
  certPem: string;
  keyPem: string;
}

/**
 * A self-signed CA and a serving certificate for 127.0.0.1/localhost (and any extra host), as
 * kube-apiserver generates when given none (openssl-pki.ts). With a directory, the files are kept
 * there and reused, so a restarted server keeps its CA and old kubeconfigs stay valid.
 */
export function loadOrCreatePki(dir: string | undefined, extraHosts: string[] = []): ServingPki {
  const sans = ['IP:127.0.0.1', 'IP:0:0:0:0:0:0:0:1', 'DNS:localhost', 'DNS:kubernetes', 'DNS:kubernetes.default', 'DNS:kubernetes.default.svc'];
  for (const h of extraHosts) sans.push(/^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`);
  return loadOrCreateSignedCert(dir, { files: ['ca.crt', 'apiserver.crt', 'apiserver.key'], caCn: 'virtsim-ca', cn: 'kube-apiserver', usage: 'serverAuth', sans });
}
