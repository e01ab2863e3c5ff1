/**
 * One call to an admission webhook: POST an AdmissionReview v1 over HTTPS to the webhook's URL or
 * Service (resolved through its endpoints, the certificate checked against `name.namespace.svc`),
 * verified with its caBundle, within its timeoutSeconds, and the response checked as
 * kube-apiserver does. A failure is a WebhookCallError ("failed calling webhook ...") that the
 * dispatcher weighs against the failurePolicy.
 */
import { request } from 'node:https';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
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

function post(ep: Endpoint, ca: string | undefined, body: string, timeoutMs: number, timeoutParam: string): Promise<{ status: number; text: string }> {
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
        servername: isIp ? undefined : ep.servername,
        checkServerIdentity: (_host, cert) => tlsCheck(ep.servername, cert),
        headers: { 'content-type': 'application/json', accept: 'application/json', 'content-length': Buffer.byteLength(body) },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    const timer = setTimeout(() => req.destroy(new Error('context deadline exceeded')), timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.end(body);
  });
}

function tlsCheck(name: string, cert: PeerCertificate): Error | undefined {
  return checkServerIdentity(name, cert);
}

/** Checks the AdmissionReview answered (request/admissionreview.go VerifyAdmissionResponse, v1). */
function verifyResponse(uid: string, mutating: boolean, text: string): AdmissionResponse {
  let review: Obj;
  try {
    review = JSON.parse(text);
  } catch (e) {
    throw new Error(`received invalid webhook response: ${(e as Error).message}`);
  }
  if (review?.apiVersion !== 'admission.k8s.io/v1' || review?.kind !== 'AdmissionReview')
    throw new Error(`received invalid webhook response: expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got ${review?.apiVersion ?? ''}, Kind=${review?.kind ?? ''}`);
  const r = review.response;
  if (!r || typeof r !== 'object') throw new Error('received invalid webhook response: webhook response was absent');
  if (r.uid !== uid) throw new Error(`received invalid webhook response: expected response.uid=${JSON.stringify(uid)}, got ${JSON.stringify(r.uid ?? '')}`);
  if (r.patchType !== undefined && r.patchType !== null && r.patchType !== 'JSONPatch')
    throw new Error(`received invalid webhook response: webhook returned invalid response.patchType of ${JSON.stringify(r.patchType)}`);
  if (r.patch && !r.patchType) throw new Error('received invalid webhook response: webhook returned response.patch but not response.patchType');
  if (!mutating && r.patch) throw new Error('received invalid webhook response: validating webhooks may not return patches');
  return { uid: r.uid, allowed: r.allowed === true, status: r.status, patch: r.patch, patchType: r.patchType, warnings: Array.isArray(r.warnings) ? r.warnings : undefined };
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
  const body = JSON.stringify({ kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1', request: admissionRequest });
  let res: { status: number; text: string };
  try {
    res = await post(ep, caOf(w), body, seconds * 1000, `${seconds}s`);
  } catch (e) {
    throw new WebhookCallError(w.name, `failed to call webhook: Post ${JSON.stringify(`${ep.url}?timeout=${seconds}s`)}: ${(e as Error).message}`);
  }
  if (res.status < 200 || res.status >= 300)
    throw new WebhookCallError(w.name, `failed to call webhook: an error on the server (${JSON.stringify(res.text.slice(0, 200))}) has prevented the request from succeeding`);
  try {
    return verifyResponse(admissionRequest.uid, mutating, res.text);
  } catch (e) {
    throw new WebhookCallError(w.name, (e as Error).message);
  }
}
