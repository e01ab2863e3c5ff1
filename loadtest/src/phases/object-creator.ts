import { StatusError, collectionPath, VMIS, VMS, type KubeObject } from '@virtsim/kube';
import { RateLimiter } from '../rate-limiter.ts';
import type { VmiRecord } from '../records.ts';
import { forEachLimited, writeWithRetry, type RunContext, type WriteCounters } from '../run-context.ts';
import { RUN_LABEL, renderObject } from '../templates.ts';

/** Creates the run's VMIs (or VMs) at the configured rate, into namespaces of N objects each. */
export class ObjectCreator {
  readonly counters: WriteCounters = { retries: 0, failures: 0 };
  /** name -> why its create was refused. */
  readonly refused = new Map<string, string>();
  private readonly ctx: RunContext;
  private readonly namespaces = new Map<string, Promise<void>>();
  private created = 0;

  constructor(ctx: RunContext) {
    this.ctx = ctx;
  }

  get resource() {
    return this.ctx.config.template.kind === 'VirtualMachine' ? VMS : VMIS;
  }

  namespaceFor(index: number): string {
    return `${this.ctx.config.namespacePrefix}-${Math.floor(index / this.ctx.config.objectsPerNamespace)}`;
  }

  /** The namespace, created once (labelled with the run, so cleanup finds it); an existing one is used as it is. */
  ensureNamespace(ns: string): Promise<void> {
    let p = this.namespaces.get(ns);
    if (!p) {
      p = writeWithRetry(this.ctx, 'create', 'namespaces', this.counters, () =>
        this.ctx.client.request({ method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { [RUN_LABEL]: this.ctx.runId } } }, ignoreResponseBody: true }),
      ).then(
        () => undefined,
        (err) => {
          if (err instanceof StatusError && err.code === 409) return;
          throw err;
        },
      );
      this.namespaces.set(ns, p);
    }
    return p;
  }

  /** The first object, sent with dryRun=All: a template the cluster refuses is bad input, found before anything is created. */
  async dryRun(): Promise<void> {
    const ns = this.namespaceFor(0);
    await this.ensureNamespace(ns);
    const obj = renderObject(this.ctx.config.template, `${this.ctx.config.name}-0`, ns, this.ctx.runId);
    await this.ctx.client.request({ method: 'POST', path: collectionPath(this.resource, ns), query: { dryRun: 'All' }, body: obj, ignoreResponseBody: true });
  }

  /** Creates `names` (with their indexes for the namespace) at `qps`; each record gets its send and acknowledge times. */
  async createAll(items: Iterable<{ index: number; name: string }>, qps: number, burst: number, churnRound: number, onCreated: () => void = () => {}): Promise<void> {
    const limiter = new RateLimiter(qps, burst);
    const { ctx } = this;
    // Enough in flight for the rate even when the API answers slowly, bounded so a stalled server does not pile up sockets.
    const inFlight = Math.max(8, Math.min(256, Math.ceil(qps * 2)));
    await forEachLimited(items, inFlight, async ({ index, name }) => {
      await limiter.take(ctx.signal);
      if (ctx.signal.aborted) return;
      const ns = this.namespaceFor(index);
      const record = ctx.tracker.expect(ns, name, churnRound);
      if (await this.createOne(record, renderObject(ctx.config.template, name, ns, ctx.runId))) onCreated();
    });
  }

  /** True once the API acknowledged it; a refusal is recorded on the record and counted. */
  private async createOne(record: VmiRecord, obj: KubeObject): Promise<boolean> {
    const { ctx } = this;
    try {
      await this.ensureNamespace(record.namespace);
      record.createSentAt = Date.now();
      await writeWithRetry(ctx, 'create', this.resource.resource, this.counters, () => {
        record.createAttempts++;
        return ctx.client.request({ method: 'POST', path: collectionPath(this.resource, record.namespace), body: obj, ignoreResponseBody: true });
      });
      record.createAckAt = Date.now();
      this.created++;
      return true;
    } catch (err) {
      if (ctx.signal.aborted) return false;
      const why = err instanceof Error ? err.message : String(err);
      this.refused.set(record.name, why);
      record.lastReason = `create refused: ${why}`;
      ctx.log.warn({ vmi: `${record.namespace}/${record.name}`, err: why }, 'create refused');
      return false;
    }
  }

  get createdCount(): number {
    return this.created;
  }
}

