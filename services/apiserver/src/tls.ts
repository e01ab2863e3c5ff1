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
  const hosts = ['127.0.0.1', '::1', 'localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', ...extraHosts];
  return loadOrCreateSignedCert(dir, { files: ['ca.crt', 'apiserver.crt', 'apiserver.key'], caCn: 'virtsim-ca', cn: 'kube-apiserver', hosts });
}
