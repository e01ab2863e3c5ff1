import type { ControllerContext } from '../context.ts';
import { EvictionWebhook } from './eviction-webhook.ts';
import { createWebhookPki } from './webhook-pki.ts';
import { VIRT_API_NAMESPACE, VIRT_API_SERVICE, WebhookRegistration } from './webhook-registration.ts';

/**
 * virt-api's eviction interceptor, whole: its own CA and serving certificate, the HTTPS webhook
 * on loopback, and the Service, Endpoints and ValidatingWebhookConfiguration that route
 * pods/eviction admission to it. Runs while this replica leads (the Endpoints name one process).
 */
export class EvictionInterceptor {
  private readonly ctx: ControllerContext;
  private webhook: EvictionWebhook | undefined;
  private registration: WebhookRegistration | undefined;
  private starting: Promise<void> | undefined;

  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
  }

  start(): void {
    this.starting = this.run().catch((err) => this.ctx.log.error({ err }, 'the eviction webhook did not start'));
  }

  private async run(): Promise<void> {
    const pki = createWebhookPki(VIRT_API_SERVICE, VIRT_API_NAMESPACE);
    this.webhook = new EvictionWebhook({ client: this.ctx.client, pki, log: this.ctx.log.child({ component: 'eviction-webhook' }), registry: this.ctx.registry });
    const port = await this.webhook.listen();
    this.registration = new WebhookRegistration(this.ctx.client, this.ctx.log.child({ component: 'eviction-webhook' }), port, pki.caPem);
    await this.registration.start();
    this.ctx.log.info({ port }, 'eviction webhook serving');
  }

  /** Stops serving; the registration stays (failurePolicy Ignore: evictions pass while we are down). */
  async stop(): Promise<void> {
    await this.starting;
    this.registration?.stop();
    await this.webhook?.close();
  }
}
