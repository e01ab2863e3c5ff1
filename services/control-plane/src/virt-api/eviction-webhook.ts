import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PODS, StatusError, VMIS, objectPath, type KubeClient, type KubeObject } from '@virtsim/kube';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { decideEviction, launcherVmiName, VIRTSIM_DEFAULT_EVICTION_STRATEGY, type EvictionDecision, type EvictionStrategy } from './eviction-admitter.ts';
import type { WebhookPki } from './webhook-pki.ts';

/** virt-api's path for the eviction interceptor (components.LauncherEvictionValidatePath). */
export const LAUNCHER_EVICTION_PATH = '/launcher-eviction-validate';

/** virt-api writes VMIs as its own service account (the embedded server keeps VMI status to KubeVirt's). */
const KUBEVIRT_APISERVER = { user: 'system:serviceaccount:kubevirt:kubevirt-apiserver' };

type Obj = Record<string, any>;

export interface EvictionWebhookOptions {
  client: KubeClient;
  pki: WebhookPki;
  log: Logger;
  registry: Registry;
  /** Listen address (loopback: the embedded API server calls it through Endpoints naming 127.0.0.1). */
  host?: string;
  port?: number;
}

/**
 * virt-api's `virt-launcher-eviction-interceptor.kubevirt.io` validating webhook over HTTPS:
 * AdmissionReview v1 in, the PodEvictionAdmitter's answer out. It reads the pod, the VMI and the
 * KubeVirt CR from the API as virt-api does, and marks the VMI (status.evacuationNodeName) itself.
 */
export class EvictionWebhook {
  private readonly o: EvictionWebhookOptions;
  private readonly server: Server;
  private readonly decisions: Counter<'decision'>;

  constructor(o: EvictionWebhookOptions) {
    this.o = o;
    this.server = createServer({ cert: o.pki.certPem, key: o.pki.keyPem }, (req, res) => void this.serve(req, res));
    this.decisions = new Counter({ name: 'virtsim_virt_api_eviction_reviews_total', help: 'Evictions the eviction interceptor answered, by decision', labelNames: ['decision'], registers: [o.registry] });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.o.port ?? 0, this.o.host ?? '127.0.0.1', () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'POST' || path !== LAUNCHER_EVICTION_PATH) {
      res.writeHead(404).end();
      return;
    }
    let review: Obj;
    try {
      review = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.writeHead(400).end('invalid AdmissionReview');
      return;
    }
    const request: Obj = review.request ?? {};
    let response: Obj;
    try {
      response = await this.admit(request);
    } catch (err) {
      this.o.log.warn({ err, pod: `${request.namespace}/${request.name}` }, 'eviction review failed');
      response = { allowed: false, status: { code: 429, message: (err as Error).message } };
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ apiVersion: review.apiVersion ?? 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: request.uid, ...response } }));
  }

  private async admit(request: Obj): Promise<Obj> {
    const ns: string = request.namespace;
    const pod = await this.get(objectPath(PODS, ns, request.name));
    const vmiName = launcherVmiName(pod);
    if (!vmiName) return this.answer({ action: 'allow' });
    let vmi: KubeObject | undefined;
    try {
      vmi = await this.o.client.request<KubeObject>({ method: 'GET', path: objectPath(VMIS, ns, vmiName) });
    } catch (err) {
      return this.answer({ action: 'deny', message: `kubevirt failed getting the vmi: ${(err as Error).message}` });
    }
    const decision = decideEviction(pod!, vmi, await this.clusterStrategy());
    if (decision.action !== 'mark') return this.answer(decision);
    // The eviction's own dry run (request or DeleteOptions) makes the mark a dry run too.
    const dryRun = request.dryRun === true || (request.object?.deleteOptions?.dryRun ?? []).length > 0;
    try {
      await this.o.client.request({
        method: 'PATCH',
        path: objectPath(VMIS, ns, vmiName),
        contentType: 'application/json-patch+json',
        body: [{ op: 'add', path: '/status/evacuationNodeName', value: decision.nodeName }],
        query: dryRun ? { dryRun: 'All' } : undefined,
        impersonate: KUBEVIRT_APISERVER,
      });
    } catch (err) {
      return this.answer({ action: 'deny', message: `kubevirt failed marking the vmi for eviction: ${(err as Error).message}` });
    }
    this.o.log.info({ vmi: `${ns}/${vmiName}`, node: decision.nodeName, dryRun }, 'eviction triggered evacuation');
    return this.answer(decision);
  }

  private answer(d: EvictionDecision): Obj {
    this.decisions.inc({ decision: d.action });
    if (d.action === 'allow') return { allowed: true };
    return { allowed: false, status: { code: 429, message: d.message } };
  }

  /** As the admitter: a pod it cannot read is let through. */
  private async get(path: string): Promise<KubeObject | undefined> {
    try {
      return await this.o.client.request<KubeObject>({ method: 'GET', path });
    } catch {
      return undefined;
    }
  }

  /** The KubeVirt CR's spec.configuration.evictionStrategy, else virtsim's default. */
  private async clusterStrategy(): Promise<EvictionStrategy> {
    let list: { items?: KubeObject[] } | undefined;
    try {
      list = await this.o.client.request<{ items: KubeObject[] }>({ method: 'GET', path: '/apis/kubevirt.io/v1/kubevirts' });
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 404)) throw err;
    }
    return list?.items?.[0]?.spec?.configuration?.evictionStrategy ?? VIRTSIM_DEFAULT_EVICTION_STRATEGY;
  }
}
