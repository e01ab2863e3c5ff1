/**
 * The API on a Unix socket, in plain HTTP, for the processes of the same user on the same machine
 * (`virtsim up`'s own fleet). TLS on loopback buys them nothing the socket file's mode does not
 * already give, and costs a fifth to a quarter of each side's CPU per request: with 10,000 nodes the
 * fleet makes ~1,100 requests a second at idle. Requests are authenticated and authorized exactly
 * as on the TCP port; only the transport differs. kubectl and other clients keep the TLS port.
 */
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { MAX_UNIX_SOCKET_PATH_BYTES } from '@virtsim/apimachinery/unix-socket-url';

export interface UpgradeHandler {
  handles(url: string | undefined): boolean;
  serveUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

/**
 * Listens on `path` (mode 0600). A socket file left by a process that was killed is replaced; a
 * socket something still answers on, any other file there, or a path longer than a socket address
 * holds is an error.
 */
export async function listenOnUnixSocket(path: string, onRequest: (req: IncomingMessage, res: ServerResponse) => void, upgrades: UpgradeHandler): Promise<Server> {
  if (!path.startsWith('/')) throw new Error(`--unix-socket ${path}: must be an absolute path`);
  if (Buffer.byteLength(path) > MAX_UNIX_SOCKET_PATH_BYTES) throw new Error(`--unix-socket ${path}: ${Buffer.byteLength(path)} bytes, longer than a socket address holds (${MAX_UNIX_SOCKET_PATH_BYTES})`);
  await removeStaleSocket(path);
  const server = createServer({ shouldUpgradeCallback: (req) => upgrades.handles(req.url) }, onRequest);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => upgrades.serveUpgrade(req, socket, head));
  server.keepAliveTimeout = 65_000;
  server.requestTimeout = 0;
  const listening = new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.once('listening', () => resolve());
  });
  // Created 0600 from the start: the umask applies to bind, which listen() does before it returns,
  // so the process-wide umask is narrowed for that call only.
  const umask = process.umask(0o177);
  try {
    server.listen(path);
  } finally {
    process.umask(umask);
  }
  await listening;
  chmodSync(path, 0o600);
  return server;
}

async function removeStaleSocket(path: string): Promise<void> {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  if (!st.isSocket()) throw new Error(`--unix-socket ${path}: a file that is not a socket is there; not replaced`);
  const live = await new Promise<boolean>((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (live) throw new Error(`--unix-socket ${path}: another server is listening there`);
  unlinkSync(path);
}
