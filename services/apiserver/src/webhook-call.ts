/**
 * One call to an admission webhook: POST an AdmissionReview v1 over HTTPS to the webhook's URL or
 * Service (resolved through its endpoints, the certificate checked against `name.namespace.svc`),
 * verified with its caBundle, within its timeoutSeconds, and the response checked as
 * kube-apiserver does. A failure is a WebhookCallError ("failed calling webhook ...") that the
 * dispatcher weighs against the failurePolicy.
 */
import { Agent, request } from 'node:https';
import type { PeerCertificate } from 'node:tls';
import type { Store } from './store.ts';
import { resolveService } from './service-resolver.ts';
import type { WebhookSpec } from './webhook-match.ts';

type Obj = Record<string, any>;

/** webhookutil.ErrCallingWebhook: the webhook could not be asked, or answered nonsense. */
export class WebhookCallError extends Error {
  constructor(webhookName: string, reason: string) {
    super(`failed calling webhook ${JSON.stringify(webhookName)}: ${reason}`);
  }
}

/** The response of an AdmissionReview, checked. */
export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: Obj;
  patch?: string;
  patchType?: string;
  warnings?: string[];
}

interface Endpoint {
  url: string;
  host: string;
  port: number;
  path: string;
  servername: string;
}

/** Where to POST: the URL as given, or the Service's endpoint with the Service's DNS name for TLS. */
function endpointOf(store: Store, w: WebhookSpec): Endpoint {
  const cc = w.clientConfig ?? {};
  if (cc.url) {
    const u = new URL(cc.url);
    const host = u.hostname.replace(/^\[|\]$/g, '');
    return { url: cc.url, host, port: Number(u.port || 443), path: u.pathname + u.search, servername: host };
  }
  if (!cc.service) throw new Error('webhook has neither clientConfig.url nor clientConfig.service');
  const { namespace, name, path = '/', port = 443 } = cc.service;
  const t = resolveService(store, namespace, name, port);
  return { url: `https://${name}.${namespace}.svc:${port}${path}`, host: t.host, port: t.port, path, servername: t.serverName };
}

/** The CA bundle (base64 of PEM); none: the system's roots. */
function caOf(w: WebhookSpec): string | undefined {
  const b = w.clientConfig?.caBundle;
  return b ? Buffer.from(b, 'base64').toString('utf8') : undefined;
}

/**
 * Connections are kept alive and reused, as kube-apiserver's webhook clients do: a TLS handshake per
 * write would cost more than the webhook. The pool is keyed by address, CA and server name.
 */
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/**
 * POSTs within the deadline. A kept-alive connection the webhook closed meanwhile fails before
 * anything was answered; the request is then sent once more on a new one (as Go's transport does).
 */
function post(ep: Endpoint, ca: string | undefined, body: string, deadline: number, timeoutParam: string, retried = false): Promise<{ status: number; text: string }> {
  const path = ep.path + (ep.path.includes('?') ? '&' : '?') + `timeout=${timeoutParam}`;
  const isIp = /^[\d.]+$|:/.test(ep.servername);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: ep.host,
        port: ep.port,
        method: 'POST',
        path,
        ca,
        // SNI and the certificate check name the Service (or URL host), not the endpoint address.
        // (No checkServerIdentity of our own: with one, node's agent never reuses a connection.)
        servername: isIp ? undefined : ep.servername,
        headers: { 'content-type': 'application/json', accept: 'application/json', 'content-length': Buffer.byteLength(body) },
        agent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    const timer = setTimeout(() => req.destroy(new Error('context deadline exceeded')), Math.max(0, deadline - Date.now()));
    req.on('close', () => clearTimeout(timer));
    req.on('error', (e: Error & { code?: string }) => {
      clearTimeout(timer);
      if (!retried && req.reusedSocket && (e.code === 'ECONNRESET' || e.code === 'EPIPE')) resolve(post(ep, ca, body, deadline, timeoutParam, true));
      else reject(e);
    });
    req.end(body);
  });
}

/** Go's words for a certificate that does not name the host asked for. */
function altNameError(name: string, cert: PeerCertificate | undefined): string {
  const names = (cert?.subjectaltname ?? '').split(', ').filter((n) => n.startsWith('DNS:')).map((n) => n.slice(4));
  return names.length ? `x509: certificate is valid for ${names.join(', ')}, not ${name}` : `x509: certificate is not valid for any names, but wanted to match ${name}`;
}

/** Checks the AdmissionReview answered, in the order and words of request.VerifyAdmissionResponse (v1). */
function verifyResponse(uid: string, mutating: boolean, review: Obj, version: string): AdmissionResponse {
  const r = review?.response;
  if (!r || typeof r !== 'object') throw new Error('webhook response was absent');
  // v1beta1 responses were never checked for uid, kind or patch type.
  if (version === 'v1beta1') return { uid: r.uid, allowed: r.allowed === true, status: r.status, patch: r.patch || undefined, patchType: r.patchType || undefined, warnings: Array.isArray(r.warnings) ? r.warnings : undefined };
  if (r.uid !== uid) throw new Error(`expected response.uid=${JSON.stringify(uid)}, got ${JSON.stringify(r.uid ?? '')}`);
  const gvk = `${review.apiVersion ?? ''}, Kind=${review.kind ?? ''}`;
  if (gvk !== 'admission.k8s.io/v1, Kind=AdmissionReview') throw new Error(`expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got ${gvk}`);
  const patchType: string = r.patchType ?? '';
  const patch: string = r.patch ?? '';
  if (patch && !patchType) throw new Error('webhook returned response.patch but not response.patchType');
  if (patch && !mutating) throw new Error('validating webhook may not return response.patch');
  if (patchType && !mutating) throw new Error('validating webhook may not return response.patchType');
  if (patchType && patchType !== 'JSONPatch') throw new Error(`webhook returned invalid response.patchType of ${JSON.stringify(patchType)}`);
  return { uid: r.uid, allowed: r.allowed === true, status: r.status, patch: patch || undefined, patchType: patchType || undefined, warnings: Array.isArray(r.warnings) ? r.warnings : undefined };
}

/** Node's network errors in the words of Go's net/http, which kube-apiserver's messages carry. */
function goError(e: Error & { code?: string; cert?: PeerCertificate }, ep: Endpoint): string {
  if (e.code === 'ERR_TLS_CERT_ALTNAME_INVALID') return altNameError(ep.servername, e.cert);
  if (e.code === 'ECONNREFUSED') return `dial tcp ${ep.host.includes(':') ? `[${ep.host}]` : ep.host}:${ep.port}: connect: connection refused`;
  if (e.code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' || e.code === 'SELF_SIGNED_CERT_IN_CHAIN' || e.code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || e.code === 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY')
    return 'x509: certificate signed by unknown authority';
  return e.message;
}

/** A non-2xx answer: its Status message when it sent one, else the rest client's generic words. */
function httpFailure(status: number, text: string): string {
  try {
    const s = JSON.parse(text);
    if (s?.kind === 'Status' && typeof s.message === 'string') return s.message;
  } catch {
    // not a Status
  }
  return `an error on the server (${JSON.stringify(text.trim().slice(0, 200) || 'unknown')}) has prevented the request from succeeding (post ${status})`;
}

/** Calls one webhook with `request` (an AdmissionRequest); throws WebhookCallError. */
export async function callWebhook(store: Store, w: WebhookSpec, admissionRequest: Obj, mutating: boolean): Promise<AdmissionResponse> {
  const seconds = w.timeoutSeconds ?? 10;
  let ep: Endpoint;
  try {
    ep = endpointOf(store, w);
  } catch (e) {
    throw new WebhookCallError(w.name, `failed to call webhook: ${(e as Error).message}`);
  }
  // The first AdmissionReview version the webhook accepts that this server speaks.
  const version = (w.admissionReviewVersions ?? ['v1']).find((v) => v === 'v1' || v === 'v1beta1');
  if (!version) throw new WebhookCallError(w.name, 'could not create admission objects: webhook does not accept known AdmissionReview versions (v1, v1beta1)');
  const body = JSON.stringify({ kind: 'AdmissionReview', apiVersion: `admission.k8s.io/${version}`, request: admissionRequest });
  let res: { status: number; text: string };
  try {
    res = await post(ep, caOf(w), body, Date.now() + seconds * 1000, `${seconds}s`);
  } catch (e) {
    throw new WebhookCallError(w.name, `failed to call webhook: Post ${JSON.stringify(`${ep.url}?timeout=${seconds}s`)}: ${goError(e as Error, ep)}`);
  }
  if (res.status < 200 || res.status >= 300) throw new WebhookCallError(w.name, `failed to call webhook: ${httpFailure(res.status, res.text)}`);
  let review: Obj;
  try {
    review = JSON.parse(res.text);
  } catch (e) {
    throw new WebhookCallError(w.name, `failed to call webhook: ${(e as Error).message}`);
  }
  try {
    return verifyResponse(admissionRequest.uid, mutating, review, version);
  } catch (e) {
    throw new WebhookCallError(w.name, `received invalid webhook response: ${(e as Error).message}`);
  }
}
