/**
 * The part of a nats-server (2.9) configuration file that turns on authentication and TLS, for
 * `virtsim up` and the tests. The file holds the secret itself: write it 0600 and pass it with -c,
 * never on nats-server's command line.
 */
export interface NatsServerSecurity {
  /** One shared token (what `virtsim up` generates). */
  token?: string;
  /** Users with passwords. */
  users?: Array<{ user: string; password: string }>;
  /** NKey public keys (U...) allowed in. */
  nkeys?: string[];
  tls?: {
    certFile: string;
    keyFile: string;
    /** With `verify`: the CA client certificates must chain to. */
    caFile?: string;
    /** Require a client certificate (mTLS) in addition to the credential. */
    verify?: boolean;
  };
}

/** JSON strings are valid quoted strings in nats-server's config syntax. */
const q = (s: string) => JSON.stringify(s);

export function natsServerConfig(sec: NatsServerSecurity): string {
  const lines: string[] = [];
  const users = [...(sec.users ?? []).map((u) => `{ user: ${q(u.user)}, password: ${q(u.password)} }`), ...(sec.nkeys ?? []).map((k) => `{ nkey: ${q(k)} }`)];
  if (sec.token !== undefined && users.length > 0) throw new Error('natsServerConfig: a token cannot be combined with users or nkeys (nats-server refuses it)');
  if (sec.token !== undefined) lines.push('authorization {', `  token: ${q(sec.token)}`, '}');
  if (users.length > 0) lines.push('authorization {', '  users: [', ...users.map((u) => `    ${u}`), '  ]', '}');
  if (sec.tls) {
    lines.push('tls {', `  cert_file: ${q(sec.tls.certFile)}`, `  key_file: ${q(sec.tls.keyFile)}`);
    if (sec.tls.caFile) lines.push(`  ca_file: ${q(sec.tls.caFile)}`);
    if (sec.tls.verify) lines.push('  verify: true');
    lines.push('  timeout: 2', '}');
  }
  return lines.join('\n') + '\n';
}
