import { nkeyAuthenticator, tokenAuthenticator, usernamePasswordAuthenticator, type Authenticator } from 'nats';
import { FlagError, loadTlsFiles, readSecretFile } from '@virtsim/telemetry';

/**
 * How a fleet process authenticates to NATS: a token, a user and password or an NKey seed, and
 * TLS (with a client certificate when the server verifies them). Secrets come from files only, named by a flag or by the env
 * variable beside it (the nats CLI's names where it has one for a file), so none is ever on a
 * command line; files are read again at each reconnect, so a rotated Kubernetes Secret is picked up.
 */
export const NATS_AUTH_FLAGS = {
  'nats-token-file': { type: 'string' },
  'nats-user': { type: 'string' },
  'nats-password-file': { type: 'string' },
  'nats-nkey-file': { type: 'string' },
  'nats-tls-ca': { type: 'string' },
  'nats-tls-cert': { type: 'string' },
  'nats-tls-key': { type: 'string' },
} as const;

type NatsAuthFlag = keyof typeof NATS_AUTH_FLAGS;

/** The env variable read when a flag is absent. */
export const NATS_AUTH_ENV: Record<NatsAuthFlag, string> = {
  'nats-token-file': 'NATS_TOKEN_FILE',
  'nats-user': 'NATS_USER',
  'nats-password-file': 'NATS_PASSWORD_FILE',
  'nats-nkey-file': 'NATS_NKEY',
  'nats-tls-ca': 'NATS_CA',
  'nats-tls-cert': 'NATS_CERT',
  'nats-tls-key': 'NATS_KEY',
};

/** Help text lines for the flags above (each command prints them under its own). */
export const NATS_AUTH_HELP = `  --nats-token-file FILE     NATS token, read from FILE ($NATS_TOKEN_FILE)
  --nats-user NAME           NATS user ($NATS_USER), with --nats-password-file FILE ($NATS_PASSWORD_FILE)
  --nats-nkey-file FILE      NKey seed file ($NATS_NKEY)
  --nats-tls-ca FILE         TLS to NATS: trust this CA (PEM) ($NATS_CA)
  --nats-tls-cert FILE       TLS client certificate (PEM) ($NATS_CERT), with --nats-tls-key FILE ($NATS_KEY)`;

/** What connectNats needs; `mode` and `tls` are safe to log, the authenticator holds no secret itself. */
export interface NatsAuth {
  mode: 'token' | 'user' | 'nkey' | 'none';
  authenticator?: Authenticator;
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
}

/**
 * Builds NatsAuth from parsed flag values (falling back to the env); undefined when nothing is
 * configured (plaintext, no auth). Throws FlagError naming the flag and file for a bad setting.
 */
export function readNatsAuth(values: Partial<Record<NatsAuthFlag, string | undefined>>, env: NodeJS.ProcessEnv = process.env): NatsAuth | undefined {
  const get = (flag: NatsAuthFlag) => values[flag] ?? (env[NATS_AUTH_ENV[flag]] || undefined);
  // Errors name the flag, and the env variable when that is where the value came from.
  const label = (flag: NatsAuthFlag) => (values[flag] === undefined && get(flag) !== undefined ? `${flag} (from $${NATS_AUTH_ENV[flag]})` : flag);
  const token = get('nats-token-file');
  const user = get('nats-user');
  const password = get('nats-password-file');
  const nkey = get('nats-nkey-file');
  const ca = get('nats-tls-ca');
  const cert = get('nats-tls-cert');
  const key = get('nats-tls-key');

  const chosen = (['nats-token-file', 'nats-user', 'nats-nkey-file'] as const).filter((f) => get(f) !== undefined);
  if (chosen.length > 1) throw new FlagError(`--${chosen[0]}: cannot be combined with --${chosen[1]} (one NATS credential at a time)`);
  if (password !== undefined && user === undefined) throw new FlagError(`--${label('nats-password-file')}: needs --nats-user too`);
  if (user !== undefined && password === undefined) throw new FlagError(`--${label('nats-user')}: needs --nats-password-file too`);

  const files = loadTlsFiles({ ca: label('nats-tls-ca'), cert: label('nats-tls-cert'), key: label('nats-tls-key') }, { ca, cert, key });
  const tls = files ? { caFile: ca, certFile: cert, keyFile: key } : undefined;

  let auth: Pick<NatsAuth, 'mode' | 'authenticator'> = { mode: 'none' };
  if (token !== undefined) {
    readSecretFile(label('nats-token-file'), token);
    auth = { mode: 'token', authenticator: tokenAuthenticator(() => readSecretFile(label('nats-token-file'), token)) };
  } else if (user !== undefined && password !== undefined) {
    readSecretFile(label('nats-password-file'), password);
    auth = { mode: 'user', authenticator: usernamePasswordAuthenticator(user, () => readSecretFile(label('nats-password-file'), password)) };
  } else if (nkey !== undefined) {
    const seed = () => readSecretFile(label('nats-nkey-file'), nkey);
    if (!/^SU[A-Z2-7]+$/.test(seed())) throw new FlagError(`--${label('nats-nkey-file')}: ${nkey} does not hold a user NKey seed (SU...)`);
    auth = { mode: 'nkey', authenticator: nkeyAuthenticator(() => new TextEncoder().encode(seed())) };
  }
  if (auth.mode === 'none' && !tls) return undefined;
  return { ...auth, tls };
}
