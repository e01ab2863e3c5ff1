import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { natsServerConfig } from '@virtsim/bus';
import { createPki } from '@virtsim/telemetry';

/**
 * What `virtsim up` generates so the fleet is authenticated with zero configuration: a NATS token,
 * a CA with certificates for nats-server, the coordinator (server) and the agents (client, for
 * mTLS), and nats-server's configuration. Everything lives under <state-dir>/secrets (0700, files
 * 0600) and is made afresh on every run; children get FILE NAMES on their command lines, never a
 * secret.
 */
export interface FleetSecrets {
  dir: string;
  natsTokenFile: string;
  /** nats-server's configuration (holds the token): pass with -c. */
  natsConfigFile: string;
  ca: string;
  /** Flags of the watcher and the agents for NATS. */
  natsClientArgs: string[];
  /** Flags of the coordinator: TLS, and mTLS with the CA. */
  coordinatorArgs: string[];
  /** Flags of the agents for the coordinator: the CA and their client certificate. */
  agentCoordinatorArgs: string[];
}

/** The name both server certificates carry (with 127.0.0.1); clients check it. */
const LOCAL_NAME = 'localhost';

export function createFleetSecrets(stateDir: string): FleetSecrets {
  const dir = join(stateDir, 'secrets');
  // Fresh each run: nothing from a previous run (or another user of the dir) is trusted.
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const pki = createPki(join(dir, 'pki'), 'virtsim-up-ca');
  const hosts = ['127.0.0.1', LOCAL_NAME];
  const nats = pki.issue('nats-server', { hosts });
  const coordinator = pki.issue('coordinator', { hosts });
  const agent = pki.issue('agent');

  const natsTokenFile = join(dir, 'nats-token');
  const token = randomBytes(32).toString('base64url');
  writeFileSync(natsTokenFile, token + '\n', { mode: 0o600 });
  const natsConfigFile = join(dir, 'nats.conf');
  writeFileSync(natsConfigFile, natsServerConfig({ token, tls: { certFile: nats.cert, keyFile: nats.key } }), { mode: 0o600 });

  return {
    dir,
    natsTokenFile,
    natsConfigFile,
    ca: pki.ca,
    natsClientArgs: ['--nats-token-file', natsTokenFile, '--nats-tls-ca', pki.ca],
    coordinatorArgs: ['--tls-cert', coordinator.cert, '--tls-key', coordinator.key, '--tls-ca', pki.ca],
    // The coordinator is dialled at 127.0.0.1; its certificate is checked for the name.
    agentCoordinatorArgs: ['--coordinator-tls-ca', pki.ca, '--coordinator-tls-cert', agent.cert, '--coordinator-tls-key', agent.key, '--coordinator-tls-server-name', LOCAL_NAME],
  };
}
