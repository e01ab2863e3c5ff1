import { readFileSync } from 'node:fs';
import type https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { Pool, errors as undiciErrors, type Dispatcher } from 'undici';
import { StatusError } from '@virtsim/apimachinery/status-error';
import { unixSocketPath } from '@virtsim/apimachinery/unix-socket-url';
import { dispatchBuffered, type BufferedResponse } from './buffered-response.ts';
import { staticKubeconfig } from './static-kubeconfig.ts';

export interface Impersonation {
  user: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export interface RequestOptions {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  /** Sent as JSON unless it is already a string. */
  body?: unknown;
  contentType?: string;
  impersonate?: Impersonation;
  timeoutMs?: number;
  signal?: AbortSignal;
  /**
   * The caller has no use for a successful answer's body (an Event POST, say): it is read off the
   * connection but not parsed, and request() resolves to undefined. Error answers are parsed as always.
   */
  ignoreResponseBody?: boolean;
}

export interface ClientOptions {
  /** Parallel connections kept to the API server. */
  maxSockets?: number;
  /** Default per-request timeout. */
  timeoutMs?: number;
  userAgent?: string;
}

function queryString(query: RequestOptions['query']): string {
  if (!query) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== '') parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

type Headers = Record<string, string | string[]>;

/** undici's timeout errors, re-thrown as the ETIMEDOUT error callers (and isRetryable) know. */
function timeoutError(err: unknown, timeoutMs: number): unknown {
  if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError) {
    return Object.assign(new Error(`request timed out after ${timeoutMs} ms`, { cause: err }), { code: 'ETIMEDOUT' });
  }
  return err;
}

/**
 * A small HTTP client for the Kubernetes API on an undici connection pool (keep-alive).
 * client-node supplies the kubeconfig handling (TLS material, tokens, exec plugins) unless the
 * kubeconfig is a plain one (staticKubeconfig: it is then never loaded); the requests
 * themselves are ours, because the fleet needs raw streaming watches, per-request impersonation
 * and full control over retries. undici rather than node:http because a node agent makes thousands
 * of small writes a second and node:http's per-request machinery (ClientRequest, agent bookkeeping,
 * header objects) cost several times more CPU per write.
 */
export class KubeClient {
  readonly server: URL;
  /** Reads the credentials again (tokens that rotate); null for a static kubeconfig. */
  private readonly kc: KubeConfig | null;
  private readonly pool: Pool;
  private readonly basePath: string;
  private readonly timeoutMs: number;
  private readonly userAgent: string;
  private authHeaders: Record<string, string> = {};
  private authRefreshedAt = 0;

  private constructor(server: string, kc: KubeConfig | null, tls: https.AgentOptions, opts: ClientOptions) {
    this.kc = kc;
    this.server = new URL(server);
    // unix:///path/to/socket: the embedded API server's socket for virtsim's own processes (plain HTTP).
    const socketPath = unixSocketPath(this.server);
    this.basePath = socketPath ? '' : this.server.pathname.replace(/\/$/, '');
    this.pool = new Pool(socketPath ? 'http://localhost' : this.server.origin, {
      socketPath,
      connections: opts.maxSockets ?? 64,
      connect: this.server.protocol === 'https:' ? tls : undefined,
      // Per-request timeouts are set on each request; these are only the defaults.
      headersTimeout: 0,
      bodyTimeout: 0,
    });
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.userAgent = opts.userAgent ?? 'virtsim';
  }

  static async fromKubeConfig(kc: KubeConfig, opts: ClientOptions = {}): Promise<KubeClient> {
    const httpsOpts: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(httpsOpts);
    const tls: https.AgentOptions = {
      ca: httpsOpts.ca,
      cert: httpsOpts.cert,
      key: httpsOpts.key,
      rejectUnauthorized: httpsOpts.rejectUnauthorized,
      servername: httpsOpts.servername,
    };
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    const client = new KubeClient(cluster.server, kc, tls, opts);
    client.setAuth(httpsOpts);
    return client;
  }

  static async fromFile(path: string, opts: ClientOptions = {}): Promise<KubeClient> {
    const plain = staticKubeconfig(readFileSync(path, 'utf8'));
    if (plain) {
      const client = new KubeClient(plain.server, null, plain.tls, opts);
      client.setAuth({ headers: plain.headers });
      return client;
    }
    const kc = new (await import('@kubernetes/client-node')).KubeConfig();
    kc.loadFromFile(path);
    return KubeClient.fromKubeConfig(kc, opts);
  }

  /** A kubeconfig file when given; else $KUBECONFIG, ~/.kube/config or the pod's service account. */
  static async fromFileOrDefault(path: string | undefined, opts: ClientOptions = {}): Promise<KubeClient> {
    if (path) return KubeClient.fromFile(path, opts);
    const kc = new (await import('@kubernetes/client-node')).KubeConfig();
    kc.loadFromDefault();
    return KubeClient.fromKubeConfig(kc, opts);
  }

  private setAuth(o: https.RequestOptions): void {
    const h: Record<string, string> = {};
    for (const [k, v] of Object.entries(o.headers ?? {})) if (typeof v === 'string') h[k] = v;
    if (o.auth) h.Authorization = `Basic ${Buffer.from(o.auth).toString('base64')}`;
    this.authHeaders = h;
    this.authRefreshedAt = Date.now();
  }

  /** Tokens can rotate (projected service-account tokens, exec plugins): re-read them each minute. */
  private async headers(opts: RequestOptions): Promise<Headers> {
    if (this.kc && Date.now() - this.authRefreshedAt > 60_000) {
      const o: https.RequestOptions = {};
      await this.kc.applyToHTTPSOptions(o);
      this.setAuth(o);
    }
    const h: Headers = { ...this.authHeaders, accept: 'application/json', 'user-agent': this.userAgent };
    if (opts.body !== undefined) h['content-type'] = opts.contentType ?? 'application/json';
    const imp = opts.impersonate;
    if (imp) {
      h['Impersonate-User'] = imp.user;
      // An array value goes out as repeated headers, which is how several groups are sent.
      if (imp.groups?.length) h['Impersonate-Group'] = imp.groups;
      for (const [k, vs] of Object.entries(imp.extra ?? {})) h[`Impersonate-Extra-${encodeURIComponent(k)}`] = vs;
    }
    return h;
  }

  private async dispatchOptions(opts: RequestOptions, timeout: number): Promise<Dispatcher.DispatchOptions> {
    return {
      method: opts.method,
      path: `${this.basePath}${opts.path}${queryString(opts.query)}`,
      headers: await this.headers(opts),
      body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
      headersTimeout: timeout,
      bodyTimeout: timeout,
    };
  }

  /** One request; resolves to the parsed JSON body, throws StatusError for non-2xx answers. */
  async request<T = unknown>(opts: RequestOptions): Promise<T> {
    const timeout = opts.timeoutMs ?? this.timeoutMs;
    let res: BufferedResponse;
    try {
      res = await dispatchBuffered(this.pool, await this.dispatchOptions(opts, timeout), opts.signal);
    } catch (err) {
      throw timeoutError(err, timeout);
    }
    if (res.status < 200 || res.status >= 300) throw StatusError.parse(res.status, res.text, res.retryAfter);
    if (opts.ignoreResponseBody) return undefined as T;
    return (res.text ? JSON.parse(res.text) : undefined) as T;
  }

  /**
   * A streaming GET (watch): calls onLine for each newline-terminated JSON line until the server
   * ends the stream, the signal aborts, or the connection fails (rejects).
   */
  async stream(opts: Omit<RequestOptions, 'method' | 'body'>, onLine: (line: string) => void): Promise<void> {
    const timeout = opts.timeoutMs ?? 0;
    let res: Dispatcher.ResponseData;
    try {
      res = await this.pool.request({ ...(await this.dispatchOptions({ ...opts, method: 'GET' }, timeout)), signal: opts.signal });
    } catch (err) {
      throw timeoutError(err, timeout);
    }
    const status = res.statusCode;
    if (status < 200 || status >= 300) {
      throw StatusError.parse(status, await res.body.text(), undefined);
    }
    res.body.setEncoding('utf8');
    let buffered = '';
    try {
      for await (const chunk of res.body as AsyncIterable<string>) {
        buffered += chunk;
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          if (line.trim()) onLine(line);
        }
      }
    } catch (err) {
      throw timeoutError(err, timeout);
    }
    if (buffered.trim()) onLine(buffered);
  }

  close(): void {
    // destroy(), not close(): in-flight watches end now, as node:http's agent.destroy() did.
    this.pool.destroy().catch(() => undefined);
  }
}
