import { createServer, type AddressInfo } from 'node:net';

/**
 * A loopback port free right now, for a process that must be told its port on the command line
 * (and cannot report one it picked itself). Closed before returning: another process could take
 * it meanwhile, which on a test machine is rare enough.
 */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}
