import { StatusError, type KubeClient } from '@virtsim/kube';
import type { Logger } from 'pino';
import { LAUNCHER_EVICTION_PATH } from './eviction-webhook.ts';

export const VIRT_API_NAMESPACE = 'kubevirt';
export const VIRT_API_SERVICE = 'virt-api';
/** Not KubeVirt's `virt-api-validator`: a real virt-operator's configuration is never overwritten. */
export const WEBHOOK_CONFIGURATION = 'virtsim-virt-api-validator';
export const EVICTION_WEBHOOK = 'virt-launcher-eviction-interceptor.kubevirt.io';
const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'virtsim-control-plane' };

type Obj = Record<string, any>;

/** The three objects that route the API server's pods/eviction admission to this process. */
export function registrationObjects(port: number, caPem: string): { service: Obj; endpoints: Obj; configuration: Obj } {
  const metadata = { name: VIRT_API_SERVICE, namespace: VIRT_API_NAMESPACE, labels: { ...MANAGED_BY, 'kubevirt.io': 'virt-api' } };
  return {
    service: { apiVersion: 'v1', kind: 'Service', metadata, spec: { ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: port }] } },
    // No selector: the endpoint is this process, on loopback (the embedded server has no pod network).
    endpoints: { apiVersion: 'v1', kind: 'Endpoints', metadata, subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port, protocol: 'TCP' }] }] },
    // As virt-operator registers it (validatingwebhooks.go): failurePolicy Ignore, as the PDB still
    // protects the pod when virt-api is down.
    configuration: {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: WEBHOOK_CONFIGURATION, labels: MANAGED_BY },
      webhooks: [
        {
          name: EVICTION_WEBHOOK,
          admissionReviewVersions: ['v1', 'v1beta1'],
          failurePolicy: 'Ignore',
          timeoutSeconds: 10,
          sideEffects: 'NoneOnDryRun',
          rules: [{ operations: ['*'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods/eviction'] }],
          clientConfig: { service: { namespace: VIRT_API_NAMESPACE, name: VIRT_API_SERVICE, path: LAUNCHER_EVICTION_PATH, port: 443 }, caBundle: Buffer.from(caPem).toString('base64') },
        },
      ],
    },
  };
}

/** Everything in `want` is in `have` (the server adds defaults, so equality would never hold). */
export function contains(have: unknown, want: unknown): boolean {
  if (Array.isArray(want)) return Array.isArray(have) && have.length === want.length && want.every((w, i) => contains(have[i], w));
  if (want && typeof want === 'object') {
    if (!have || typeof have !== 'object') return false;
    return Object.entries(want).every(([k, v]) => contains((have as Obj)[k], v));
  }
  return have === want;
}

const PATHS = {
  service: `/api/v1/namespaces/${VIRT_API_NAMESPACE}/services`,
  endpoints: `/api/v1/namespaces/${VIRT_API_NAMESPACE}/endpoints`,
  configuration: '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations',
} as const;

/**
 * Creates or brings back the Service, Endpoints and webhook configuration, and keeps them so (a
 * restarted API server, a user's delete). An object of the same name that virtsim did not make is
 * left alone and the webhook not registered: the real virt-api is there.
 */
export class WebhookRegistration {
  private timer: NodeJS.Timeout | undefined;
  private readonly objects: ReturnType<typeof registrationObjects>;
  private readonly client: KubeClient;
  private readonly log: Logger;
  private readonly everyMs: number;

  constructor(client: KubeClient, log: Logger, port: number, caPem: string, everyMs = 10_000) {
    this.client = client;
    this.log = log;
    this.everyMs = everyMs;
    this.objects = registrationObjects(port, caPem);
  }

  async start(): Promise<void> {
    await this.ensure();
    this.timer = setInterval(() => void this.ensure(), this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One pass; failures are logged and tried again on the next. Returns whether all three are ours and current. */
  async ensure(): Promise<boolean> {
    try {
      await this.ensureNamespace();
      for (const kind of ['service', 'endpoints', 'configuration'] as const) {
        if (!(await this.apply(PATHS[kind], this.objects[kind]))) return false;
      }
      return true;
    } catch (err) {
      this.log.warn({ err }, 'registering the eviction webhook failed; retrying');
      return false;
    }
  }

  /** KubeVirt's install namespace, made if missing (a fresh embedded server has none); never changed. */
  private async ensureNamespace(): Promise<void> {
    try {
      await this.client.request({ method: 'GET', path: `/api/v1/namespaces/${VIRT_API_NAMESPACE}` });
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 404)) throw err;
      await this.client.request({ method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: VIRT_API_NAMESPACE, labels: MANAGED_BY } } });
    }
  }

  private async apply(collection: string, want: Obj): Promise<boolean> {
    const path = `${collection}/${want.metadata.name}`;
    let cur: Obj | undefined;
    try {
      cur = await this.client.request<Obj>({ method: 'GET', path });
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 404)) throw err;
    }
    if (!cur) {
      await this.client.request({ method: 'POST', path: collection, body: want });
      this.log.info({ kind: want.kind, name: want.metadata.name }, 'registered for the eviction webhook');
      return true;
    }
    if (cur.metadata?.labels?.['app.kubernetes.io/managed-by'] !== MANAGED_BY['app.kubernetes.io/managed-by']) {
      this.log.warn({ kind: want.kind, name: want.metadata.name }, 'not ours (the real virt-api?): the eviction webhook is not registered');
      return false;
    }
    const { apiVersion: _a, kind: _k, metadata: _m, ...body } = want;
    if (contains(cur, { metadata: { labels: want.metadata.labels }, ...body })) return true;
    this.log.info({ kind: want.kind, name: want.metadata.name }, 'bringing the eviction webhook registration up to date');
    await this.client.request({ method: 'PATCH', path, contentType: 'application/merge-patch+json', body: { metadata: { labels: want.metadata.labels }, ...body } });
    return true;
  }
}
