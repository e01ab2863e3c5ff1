import http from 'node:http';
import https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import { ApiError } from './api-error.ts';

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

/**
 * A small HTTP client for the Kubernetes API on node:http(s) with a keep-alive agent.
 * client-node supplies the kubeconfig handling (TLS material, tokens, exec plugins); the requests
 * themselves are ours, because the fleet needs raw streaming watches, per-request impersonation
 * and full control over retries.
 */
export class KubeClient {
  readonly server: URL;
  private readonly kc: KubeConfig;
  private readonly agent: http.Agent;
  private readonly transport: typeof http | typeof https;
  private readonly timeoutMs: number;
  private readonly userAgent: string;
  private authHeaders: Record<string, string> = {};
  private authRefreshedAt = 0;

  private constructor(kc: KubeConfig, tls: https.AgentOptions, opts: ClientOptions) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    this.kc = kc;
    this.server = new URL(cluster.server);
    this.transport = this.server.protocol === 'https:' ? https : http;
    const agentOpts = { keepAlive: true, maxSockets: opts.maxSockets ?? 64, ...tls };
    this.agent = this.server.protocol === 'https:' ? new https.Agent(agentOpts) : new http.Agent(agentOpts);
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
    const client = new KubeClient(kc, tls, opts);
    client.setAuth(httpsOpts);
    return client;
  }

  static async fromFile(path: string, opts: ClientOptions = {}): Promise<KubeClient> {
    const kc = new KubeConfig();
    kc.loadFromFile(path);
    return KubeClient.fromKubeConfig(kc, opts);
  }

  /** A kubeconfig file when given; else $KUBECONFIG, ~/.kube/config or the pod's service account. */
  static async fromFileOrDefault(path: string | undefined, opts: ClientOptions = {}): Promise<KubeClient> {
    if (path) return KubeClient.fromFile(path, opts);
    const kc = new KubeConfig();
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
  private async headers(opts: RequestOptions): Promise<http.OutgoingHttpHeaders> {
    if (Date.now() - this.authRefreshedAt > 60_000) {
      const o: https.RequestOptions = {};
      await this.kc.applyToHTTPSOptions(o);
      this.setAuth(o);
    }
    const h: http.OutgoingHttpHeaders = { ...this.authHeaders, Accept: 'application/json', 'User-Agent': this.userAgent };
    if (opts.body !== undefined) h['Content-Type'] = opts.contentType ?? 'application/json';
    const imp = opts.impersonate;
    if (imp) {
      h['Impersonate-User'] = imp.user;
      // An array value goes out as repeated headers, which is how several groups are sent.
      if (imp.groups?.length) h['Impersonate-Group'] = imp.groups;
      for (const [k, vs] of Object.entries(imp.extra ?? {})) h[`Impersonate-Extra-${encodeURIComponent(k)}`] = vs;
    }
    return h;
  }

  private async send(opts: RequestOptions): Promise<http.IncomingMessage> {
    const headers = await this.headers(opts);
    const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    return new Promise((resolve, reject) => {
      const req = this.transport.request(
        {
          protocol: this.server.protocol,
          hostname: this.server.hostname.replace(/^\[|\]$/g, ''),
          port: this.server.port,
          method: opts.method,
          path: `${this.server.pathname.replace(/\/$/, '')}${opts.path}${queryString(opts.query)}`,
          headers,
          agent: this.agent,
          signal: opts.signal,
        },
        resolve,
      );
      const timeout = opts.timeoutMs ?? this.timeoutMs;
      if (timeout > 0) {
        req.setTimeout(timeout, () => req.destroy(Object.assign(new Error(`request timed out after ${timeout} ms`), { code: 'ETIMEDOUT' })));
      }
      req.on('error', reject);
      req.end(body);
    });
  }

  /** One request; resolves to the parsed JSON body, throws ApiError for non-2xx answers. */
  async request<T = unknown>(opts: RequestOptions): Promise<T> {
    const res = await this.send(opts);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      throw ApiError.fromResponse(status, text, res.headers['retry-after'] as string | undefined);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /**
   * A streaming GET (watch): calls onLine for each newline-terminated JSON line until the server
   * ends the stream, the signal aborts, or the connection fails (rejects).
   */
  async stream(opts: Omit<RequestOptions, 'method' | 'body'>, onLine: (line: string) => void): Promise<void> {
    const res = await this.send({ ...opts, method: 'GET', timeoutMs: opts.timeoutMs ?? 0 });
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      throw ApiError.fromResponse(status, Buffer.concat(chunks).toString('utf8'), undefined);
    }
    res.setEncoding('utf8');
    let buffered = '';
    for await (const chunk of res as AsyncIterable<string>) {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.trim()) onLine(line);
      }
    }
    if (buffered.trim()) onLine(buffered);
  }

  close(): void {
    this.agent.destroy();
  }
}
