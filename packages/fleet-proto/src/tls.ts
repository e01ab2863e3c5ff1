import * as grpc from '@grpc/grpc-js';

/**
 * TLS between agents and the coordinator, from PEM bytes the caller read (from files: see
 * loadTlsFiles in @virtsim/telemetry). Without TLS options both sides stay plaintext, as before.
 */

/** The coordinator's side: its certificate, and with `ca` every client must present one it signed (mTLS). */
export interface ServerTls {
  cert: Buffer;
  key: Buffer;
  /** When set, a client without a certificate chaining to this CA cannot connect. */
  ca?: Buffer;
}

/** An agent's (or a tool's) side: the CA to trust, and its own certificate for mTLS. */
export interface ClientTls {
  /** CA bundle the coordinator's certificate must chain to (default: the system's roots). */
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** The name checked against the coordinator's certificate when it differs from the address's host. */
  serverName?: string;
}

export function serverCredentials(tls: ServerTls | undefined): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  return grpc.ServerCredentials.createSsl(tls.ca ?? null, [{ cert_chain: tls.cert, private_key: tls.key }], !!tls.ca);
}

export function channelCredentials(tls: ClientTls | undefined): grpc.ChannelCredentials {
  if (!tls) return grpc.credentials.createInsecure();
  return grpc.credentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null);
}

/** Channel options that go with `tls` (the server name override). */
export function channelTlsOptions(tls: ClientTls | undefined): grpc.ChannelOptions {
  return tls?.serverName ? { 'grpc.ssl_target_name_override': tls.serverName, 'grpc.default_authority': tls.serverName } : {};
}
