import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface OpsEndpointOptions {
  registry: Registry;
  /** 127.0.0.1 unless told otherwise (a pod binds 0.0.0.0 through its flags). */
  host?: string;
  /** 0 picks a free port; read it back from the result. */
  port?: number;
  /** Returns null when healthy, or a reason that is served with 503. */
  health?: () => string | null;
}

export interface OpsEndpoint {
  server: Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

/** Serves /metrics (Prometheus text), /healthz, /livez and /readyz for a long-running process. */
export async function startOpsEndpoint(opts: OpsEndpointOptions): Promise<OpsEndpoint> {
  const host = opts.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      opts.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': opts.registry.contentType });
          res.end(text);
        },
        (err: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(String(err));
        },
      );
      return;
    }
    if (path === '/healthz' || path === '/livez' || path === '/readyz') {
      const problem = opts.health?.() ?? null;
      res.writeHead(problem ? 503 : 200, { 'content-type': 'text/plain' });
      res.end(problem ?? 'ok');
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    server,
    port,
    url: `http://${urlHost}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
