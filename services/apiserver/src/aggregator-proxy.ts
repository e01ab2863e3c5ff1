/**
 * Proxying a request to an aggregated API's backend, as kube-aggregator's proxy handler does: the
 * caller's credentials (Authorization, Impersonate-*) and any X-Remote-* it sent are dropped, the
 * authenticated user goes along as requestheader headers (X-Remote-User, one X-Remote-Group per
 * group, X-Remote-Extra-<key>), and the server proves it is the front proxy with its proxy client
 * certificate. TLS to the backend is verified with the APIService's caBundle against the Service's
 * DNS name, unless insecureSkipTLSVerify. Bodies stream both ways (watches, chunked answers);
 * connection upgrades (websocket/SPDY: console, VNC, port-forward) are spliced byte for byte.
 */
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { Duplex } from 'node:stream';
import type { AggregatedApi } from './apiservice-registry.ts';
import type { UserInfo } from './auth.ts';
import type { FrontProxyPki } from './front-proxy-pki.ts';
import { resolveService, type ServiceTarget } from './service-resolver.ts';
import type { Store } from './store.ts';

/** Hop-by-hop headers (RFC 7230 6.1): never forwarded by a proxy. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** A header key character Go's http accepts (token chars) other than `%`, which escapes the rest. */
const LEGAL_KEY_CHAR = /[A-Za-z0-9!#$&'*+\-.^_`|~]/;

/** Percent-encodes an extra's key for an X-Remote-Extra- header, as client-go's headerKeyEscape does. */
export function escapeExtraKey(key: string): string {
  let out = '';
  for (const b of Buffer.from(key, 'utf8')) {
    const c = String.fromCharCode(b);
    out += b < 0x80 && LEGAL_KEY_CHAR.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * The headers the backend gets: the caller's, less its credentials, hop-by-hop headers and any
 * requestheader headers it tried to set itself, plus the authenticated user's.
 */
export function backendHeaders(incoming: IncomingHttpHeaders, user: UserInfo, hostHeader: string, clientAddress: string | undefined, upgrade: boolean): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  const connectionTokens = new Set(String(incoming.connection ?? '').toLowerCase().split(',').map((s) => s.trim()).filter(Boolean));
  for (const [k, v] of Object.entries(incoming)) {
    if (v === undefined) continue;
    if (k === 'authorization' || k === 'host' || k.startsWith('impersonate-') || k.startsWith('x-remote-')) continue;
    if ((HOP_BY_HOP.has(k) || connectionTokens.has(k)) && !(upgrade && k === 'upgrade')) continue;
    out[k] = v;
  }
  if (upgrade) out.connection = 'Upgrade';
  out.host = hostHeader;
  if (clientAddress) out['x-forwarded-for'] = incoming['x-forwarded-for'] ? `${String(incoming['x-forwarded-for'])}, ${clientAddress}` : clientAddress;
  out['x-remote-user'] = user.username;
  if (user.groups.length) out['x-remote-group'] = [...user.groups];
  for (const [k, vs] of Object.entries(user.extra ?? {})) if (vs.length) out[`x-remote-extra-${escapeExtraKey(k)}`] = [...vs];
  return out;
}

/** A connection failure as Go's net/http words it (what kube's answers and conditions carry). */
export function dialError(err: NodeJS.ErrnoException, host: string, port: number): string {
  const addr = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (err.code === 'ECONNREFUSED') return `dial tcp ${addr}: connect: connection refused`;
  if (err.code === 'EHOSTUNREACH') return `dial tcp ${addr}: connect: no route to host`;
  if (err.code === 'ECONNRESET') return `read tcp ${addr}: read: connection reset by peer`;
  // Go 1.19's crypto/x509 wording (kube 1.26): a caBundle that does not sign the backend, or a name it does not carry.
  if (err.code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' || err.code === 'SELF_SIGNED_CERT_IN_CHAIN' || err.code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || err.code === 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY')
    return 'x509: certificate signed by unknown authority';
  if (err.code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `x509: ${err.message}`;
  return err.message;
}

/** kube-aggregator answers its own proxy failures with Go's http.Error: plain text. */
export function proxyError(res: ServerResponse, code: number, message: string): void {
  res.statusCode = code;
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  res.setHeader('x-content-type-options', 'nosniff');
  res.end(`${message}\n`);
}

export interface ProxyDeps {
  store: Store;
  pki: FrontProxyPki;
  /** Told when a backend could not be reached, so its availability is checked again soon. */
  onBackendFailure(api: AggregatedApi, err: Error): void;
}

/** The TLS options to reach `api`'s backend as the front proxy. */
export function backendTls(api: AggregatedApi, target: ServiceTarget, pki: FrontProxyPki): RequestOptions {
  return {
    host: target.host,
    port: target.port,
    servername: target.serverName,
    ca: api.caPem || undefined,
    rejectUnauthorized: !api.insecureSkipTLSVerify,
    cert: pki.clientCertPem,
    key: pki.clientKeyPem,
    // One connection per request: no idle sockets to outlive the server or a changed APIService.
    agent: false,
  };
}

/** Where `api`'s backend is, or null (the request then gets kube's 503). */
function resolveBackend(deps: ProxyDeps, api: AggregatedApi): ServiceTarget | null {
  try {
    return resolveService(deps.store, api.service.namespace, api.service.name, api.service.port);
  } catch {
    return null;
  }
}

/** Proxies one request (not an upgrade) to `api`'s backend; settles when the answer has ended. */
export function proxyRequest(deps: ProxyDeps, api: AggregatedApi, req: IncomingMessage, res: ServerResponse, user: UserInfo): Promise<void> {
  const target = api.available ? resolveBackend(deps, api) : null;
  if (!target) {
    proxyError(res, 503, 'service unavailable');
    return Promise.resolve();
  }
  return new Promise<void>((resolve) => {
    const out = httpsRequest({
      ...backendTls(api, target, deps.pki),
      method: req.method,
      path: req.url,
      headers: backendHeaders(req.headers, user, `${target.host}:${target.port}`, req.socket.remoteAddress, false),
    });
    out.on('response', (back) => {
      const headers: OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(back.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
      res.writeHead(back.statusCode ?? 502, headers);
      // Written as it arrives: a watch or a chunked answer reaches the caller line by line.
      res.flushHeaders();
      back.pipe(res);
      back.on('error', () => res.destroy());
      back.on('end', () => resolve());
    });
    out.on('error', (err) => {
      deps.onBackendFailure(api, err);
      // kube's proxy responder: the transport's error, 503.
      if (!res.headersSent) proxyError(res, 503, dialError(err, target.host, target.port));
      else res.destroy();
      resolve();
    });
    // The caller hung up (a watch ended by the client): end the backend request too.
    res.on('close', () => {
      if (!res.writableFinished) out.destroy();
      resolve();
    });
    req.pipe(out);
  });
}

/**
 * Proxies a connection upgrade: sends the request with its Upgrade header, and when the backend
 * answers 101, writes that answer to the caller and splices the two sockets. Any other answer is
 * passed back as is and the connection closed.
 */
export function proxyUpgrade(deps: ProxyDeps, api: AggregatedApi, req: IncomingMessage, socket: Duplex, head: Buffer, user: UserInfo): void {
  const target = api.available ? resolveBackend(deps, api) : null;
  if (!target) {
    writeRaw(socket, 503, 'service unavailable\n');
    return;
  }
  const out = httpsRequest({
    ...backendTls(api, target, deps.pki),
    method: req.method,
    path: req.url,
    headers: backendHeaders(req.headers, user, `${target.host}:${target.port}`, req.socket.remoteAddress, true),
  });
  socket.on('error', () => out.destroy());
  out.on('upgrade', (back, backSocket, backHead) => {
    socket.write(statusBlock(back.statusCode ?? 101, back.statusMessage ?? 'Switching Protocols', back.rawHeaders));
    if (backHead.length) socket.write(backHead);
    if (head.length) backSocket.write(head);
    backSocket.pipe(socket);
    socket.pipe(backSocket);
    backSocket.on('error', () => socket.destroy());
    socket.on('close', () => backSocket.destroy());
    backSocket.on('close', () => socket.destroy());
  });
  out.on('response', (back) => {
    // The backend refused the upgrade: its answer, then the connection ends.
    socket.write(statusBlock(back.statusCode ?? 502, back.statusMessage ?? '', back.rawHeaders, true));
    back.pipe(socket);
  });
  out.on('error', (err) => {
    deps.onBackendFailure(api, err);
    writeRaw(socket, 503, `${dialError(err, target.host, target.port)}\n`);
  });
  out.end();
}

/** An HTTP/1.1 status line and headers from raw [name, value, ...] pairs. */
function statusBlock(code: number, message: string, raw: string[], close = false): string {
  const lines = [`HTTP/1.1 ${code} ${message}`];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (close && HOP_BY_HOP.has(raw[i]!.toLowerCase())) continue;
    lines.push(`${raw[i]}: ${raw[i + 1]}`);
  }
  if (close) lines.push('Connection: close');
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** A plain-text answer written straight to a socket (an upgrade request has no ServerResponse). */
export function writeRaw(socket: Duplex, code: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  const reason = ({ 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 503: 'Service Unavailable' } as Record<number, string>)[code] ?? 'Error';
  socket.end(
    `HTTP/1.1 ${code} ${reason}\r\nContent-Type: ${contentType}\r\nX-Content-Type-Options: nosniff\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
