import { StatusError, VMIS, objectKey, objectPath, type KubeObject } from '@virtsim/kube';
import type { Logger } from 'pino';
import { Counter } from 'prom-client';
import type { ControllerContext } from '../context.ts';
import { kubeNow } from '../time.ts';
import { WorkQueue } from '../work-queue.ts';
import { isConflict, patch } from '../writes.ts';
import { MIGRATION_FINALIZER, VMI_NAME_LABEL, admitMigration } from './migration-admission.ts';
import { vmiCreateMutation } from './vmi-defaults.ts';

/**
 * virt-api's create admission as a controller that reacts to creates (only the eviction
 * interceptor is served as a real webhook, `eviction-webhook.ts`): a new VMI gets its defaults,
 * finalizer and Pending status; a new migration gets its finalizer and label, or is marked Failed
 * where the admitter would have refused it.
 */
export class VirtApi {
  private readonly ctx: ControllerContext;
  private readonly log: Logger;
  private readonly vmiQueue: WorkQueue;
  private readonly vmimQueue: WorkQueue;
  private readonly mutated: Counter<'kind'>;
  private readonly rejected: Counter<'reason'>;

  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
    this.log = ctx.log.child({ controller: 'virt-api' });
    this.vmiQueue = new WorkQueue({ name: 'virt-api-vmi', concurrency: 128, log: this.log, reconcile: (k) => this.mutateVmi(k), held: true, expected: isConflict });
    this.vmimQueue = new WorkQueue({ name: 'virt-api-vmim', concurrency: 4, log: this.log, reconcile: (k) => this.admitVmim(k), held: true, expected: isConflict });
    this.mutated = new Counter({ name: 'virtsim_virt_api_mutations_total', help: 'Objects given virt-api create defaults', labelNames: ['kind'], registers: [ctx.registry] });
    this.rejected = new Counter({ name: 'virtsim_virt_api_migrations_rejected_total', help: 'Migrations the admitter would have refused, marked Failed', labelNames: ['reason'], registers: [ctx.registry] });
    ctx.caches.vmis.onChange((t, vmi) => {
      if (t !== 'DELETED' && !vmi.status?.phase) this.vmiQueue.add(objectKey(vmi));
    });
    ctx.caches.vmims.onChange((t, m) => {
      if (t !== 'DELETED' && this.unadmitted(m)) this.vmimQueue.add(objectKey(m));
    });
  }

  private unadmitted(m: KubeObject): boolean {
    return !m.status?.phase && !m.metadata.finalizers?.includes(MIGRATION_FINALIZER) && !m.metadata.deletionTimestamp;
  }

  start(): void {
    for (const vmi of this.ctx.caches.vmis.values()) if (!vmi.status?.phase) this.vmiQueue.add(objectKey(vmi));
    for (const m of this.ctx.caches.vmims.values()) if (this.unadmitted(m)) this.vmimQueue.add(objectKey(m));
    // The queues were held since construction: nothing is admitted before the caches are synced.
    this.vmiQueue.release();
    this.vmimQueue.release();
  }

  async stop(): Promise<void> {
    await Promise.all([this.vmiQueue.stop(), this.vmimQueue.stop()]);
  }

  private async mutateVmi(key: string): Promise<void> {
    const vmi = this.ctx.caches.vmis.get(key);
    if (!vmi || vmi.status?.phase || vmi.metadata.deletionTimestamp) return;
    try {
      await patch(this.ctx, this.ctx.caches.vmis, vmi, vmiCreateMutation(vmi), { guard: true });
      this.mutated.inc({ kind: 'VirtualMachineInstance' });
    } catch (err) {
      if (err instanceof StatusError && err.code === 422) {
        // The defaulted object does not validate: say so on the VMI, as a refused create would.
        this.log.warn({ vmi: key, err }, 'VMI defaults refused by validation');
        return;
      }
      throw err;
    }
  }

  private async admitVmim(key: string): Promise<void> {
    const m = this.ctx.caches.vmims.get(key);
    if (!m || !this.unadmitted(m)) return;
    const ns = m.metadata.namespace ?? 'default';
    let vmi = m.spec?.vmiName ? this.ctx.caches.vmis.get(`${ns}/${m.spec.vmiName}`) : undefined;
    if (!vmi && m.spec?.vmiName) {
      // The admitter reads the API; our cache may simply not have seen a VMI created just before.
      try {
        vmi = await this.ctx.client.request<KubeObject>({ method: 'GET', path: objectPath(VMIS, ns, m.spec.vmiName) });
      } catch (err) {
        if (!(err instanceof StatusError && err.code === 404)) throw err;
      }
    }
    const rejection = admitMigration(m, vmi, this.ctx.caches.vmims.values());
    if (rejection) {
      this.rejected.inc({ reason: rejection.reason });
      this.log.info({ migration: key, ...rejection }, 'migration rejected');
      const now = kubeNow();
      await patch(
        this.ctx,
        this.ctx.caches.vmims,
        m,
        {
          status: {
            phase: 'Failed',
            phaseTransitionTimestamps: [{ phase: 'Failed', phaseTransitionTimestamp: now }],
            conditions: [{ type: 'migrationRejected', status: 'True', reason: rejection.reason, message: rejection.message, lastProbeTime: null, lastTransitionTime: now }],
          },
        },
        { subresource: 'status', guard: true },
      );
      return;
    }
    const finalizers = [...(m.metadata.finalizers ?? []), MIGRATION_FINALIZER];
    await patch(this.ctx, this.ctx.caches.vmims, m, { metadata: { finalizers, labels: { [VMI_NAME_LABEL]: m.spec.vmiName } } }, { guard: true });
    this.mutated.inc({ kind: 'VirtualMachineInstanceMigration' });
  }
}
