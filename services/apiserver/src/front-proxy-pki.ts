/**
 * The front-proxy PKI (kube-apiserver's --requestheader-client-ca-file and
 * --proxy-client-cert-file/--proxy-client-key-file): a CA of its own, separate from the serving
 * CA, and a client certificate it signed with CN `front-proxy-client`. The server presents that
 * certificate to aggregated API backends, which trust the X-Remote-* headers of a connection only
 * when the certificate chains to this CA and names an allowed CN. Made as openssl-pki.ts makes
 * certificates; with a directory, kept there and reused across restarts.
 */
import { loadOrCreateSignedCert } from './openssl-pki.ts';

/** The CN of the proxy client certificate; published as requestheader-allowed-names. */
export const FRONT_PROXY_CLIENT_CN = 'front-proxy-client';

export interface FrontProxyPki {
  /** The requestheader client CA backends verify the proxy client certificate with. */
  caPem: string;
  clientCertPem: string;
  clientKeyPem: string;
}

export function loadOrCreateFrontProxyPki(dir: string | undefined): FrontProxyPki {
  // No hosts: a clientAuth-only certificate, good for nothing but proxying to backends.
  const made = loadOrCreateSignedCert(dir, {
    files: ['front-proxy-ca.crt', 'front-proxy-client.crt', 'front-proxy-client.key'],
    caCn: 'front-proxy-ca',
    cn: FRONT_PROXY_CLIENT_CN,
  });
  return { caPem: made.caPem, clientCertPem: made.certPem, clientKeyPem: made.keyPem };
}
