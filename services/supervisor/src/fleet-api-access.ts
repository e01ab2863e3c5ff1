import { join } from 'node:path';
import { MAX_UNIX_SOCKET_PATH_BYTES } from '@virtsim/kube';

/** How `up`'s own processes reach the embedded API server. */
export interface FleetApiAccess {
  /** The API server's Unix socket; undefined when the state dir's path is too long for one. */
  socket?: string;
  /** The kubeconfig the watcher, agents, stand-ins and `up` itself read. */
  kubeconfig: string;
}

/**
 * The embedded API server's Unix socket in the state dir, with a kubeconfig of its own: virtsim's
 * processes then talk plain HTTP to it (a socket of mode 0600, the same token as over TCP) instead
 * of TLS on loopback, which cost each side a fifth to a quarter of its CPU per request. The
 * user's kubeconfig (kubectl, KubeVirt's own components) keeps the TLS port. A state dir whose path
 * leaves no room for a socket address keeps everything on the TLS port.
 */
export function fleetApiAccess(stateDir: string, userKubeconfig: string): FleetApiAccess {
  const socket = join(stateDir, 'apiserver.sock');
  if (Buffer.byteLength(socket) > MAX_UNIX_SOCKET_PATH_BYTES) return { kubeconfig: userKubeconfig };
  return { socket, kubeconfig: join(stateDir, 'fleet-kubeconfig') };
}
