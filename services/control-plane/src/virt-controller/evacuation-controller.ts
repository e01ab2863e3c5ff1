import { VMIMS, collectionPath, objectKey, type KubeObject } from '@virtsim/kube';
import type { Logger } from 'pino';
import { Counter } from 'prom-client';
import { KUBEVIRT_CONTROLLER, type ControllerContext } from '../context.ts';
import { recordEvent } from '../events.ts';
import { WorkQueue } from '../work-queue.ts';
import { patch } from '../writes.ts';
import { evacuationMigration, isFinalMigration, planEvacuation } from './evacuation.ts';

/** A migration we created and have not seen in the cache yet counts this long. */
const EXPECTATION_MS = 30_000;

/**
 * virt-controller's evacuation controller, keyed by node: the VMIs that virt-api marked with
 * status.evacuationNodeName (an eviction of their launcher pod) are migrated away within the
 * parallel-migration limits; the migration controller and the handler stages carry them out. A
 * VMI that left the node has its mark removed (virtsim's stand-in for the handler clearing it),
 * so a later drain of its new node evacuates it again.
 */
export class EvacuationController {
  private readonly ctx: ControllerContext;
  private readonly log: Logger;
  private readonly queue: WorkQueue;
  /** node -> keys of the VMIs marked for evacuation from it. */
  private readonly marked = new Map<string, Set<string>>();
  private readonly markedNode = new Map<string, string>();
  /** VMI key -> the source node and deadline of a migration we created and have not seen yet. */
  private readonly expectations = new Map<string, { node: string; until: number }>();
  private readonly created: Counter;

  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
    this.log = ctx.log.child({ controller: 'evacuation' });
    // One node at a time: each sync counts the cluster's free spots, two at once would both take them.
    this.queue = new WorkQueue({ name: 'evacuation', concurrency: 1, log: this.log, reconcile: (node) => this.sync(node), held: true });
    this.created = new Counter({ name: 'virtsim_evacuation_migrations_created_total', help: 'Evacuation migrations created', registers: [ctx.registry] });
    ctx.caches.vmis.onChange((t, vmi) => this.index(t === 'DELETED' ? undefined : vmi, objectKey(vmi)));
    ctx.caches.vmims.onChange((_t, m) => {
      // Ours has arrived: the cache counts it from now on.
      if (!isFinalMigration(m)) this.expectations.delete(`${m.metadata.namespace}/${m.spec?.vmiName}`);
      // A migration started or ended: spots opened or closed on its node and the cluster.
      if (isFinalMigration(m) || m.metadata.annotations?.['kubevirt.io/evacuationMigration']) for (const node of this.marked.keys()) this.queue.add(node);
    });
  }

  private index(vmi: KubeObject | undefined, key: string): void {
    const node: string | undefined = vmi?.status?.evacuationNodeName || undefined;
    const before = this.markedNode.get(key);
    if (before && before !== node) {
      this.marked.get(before)?.delete(key);
      if (!this.marked.get(before)?.size) this.marked.delete(before);
      this.markedNode.delete(key);
    }
    if (!node) return;
    if (before !== node) {
      let set = this.marked.get(node);
      if (!set) this.marked.set(node, (set = new Set()));
      set.add(key);
      this.markedNode.set(key, node);
    }
    this.queue.add(node);
  }

  start(): void {
    for (const vmi of this.ctx.caches.vmis.values()) this.index(vmi, objectKey(vmi));
    this.queue.release();
  }

  stop(): Promise<void> {
    return this.queue.stop();
  }

  private async sync(node: string): Promise<void> {
    const keys = this.marked.get(node);
    if (!keys?.size) return;
    const { vmis, vmims } = this.ctx.caches;
    const marked = [...keys].map((k) => vmis.get(k)).filter((v): v is KubeObject => !!v);
    const active = [...vmims.values()].filter((m) => !isFinalMigration(m));
    const now = Date.now();
    const inFlight = new Map<string, string>();
    for (const [k, e] of this.expectations) {
      if (e.until > now) inFlight.set(k, e.node);
      else this.expectations.delete(k);
    }
    const plan = planEvacuation({
      node,
      marked,
      active,
      vmiOf: (m) => vmis.get(`${m.metadata.namespace}/${m.spec?.vmiName}`),
      inFlight,
    });
    for (const vmi of plan.clear) await patch(this.ctx, vmis, vmi, { status: { evacuationNodeName: null } });
    for (const vmi of plan.migrate) await this.migrate(vmi, node);
    // As KubeVirt: no free spot, look again in 5 s (a finishing migration also queues the node).
    if (plan.waiting) this.queue.addAfter(node, 5_000);
  }

  private async migrate(vmi: KubeObject, node: string): Promise<void> {
    const key = objectKey(vmi);
    this.expectations.set(key, { node, until: Date.now() + EXPECTATION_MS });
    try {
      const r = await this.ctx.writer.write({ key, resource: 'virtualmachineinstancemigrations', method: 'POST', path: collectionPath(VMIMS, vmi.metadata.namespace), body: evacuationMigration(vmi, node), impersonate: KUBEVIRT_CONTROLLER });
      const name = r.outcome === 'gone' ? '' : ((r.body as KubeObject | undefined)?.metadata?.name ?? '');
      this.created.inc();
      this.log.info({ vmi: key, node, migration: name }, 'evacuating the VMI');
      recordEvent(this.ctx, 'evacuation-controller', vmi, 'Normal', 'SuccessfulCreate', `Created Migration ${name} for the evacuation of node ${node}`);
    } catch (err) {
      this.expectations.delete(key);
      throw err;
    }
  }
}
