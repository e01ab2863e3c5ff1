import { PODS, collectionPath, objectKey, type KubeObject } from '@virtsim/kube';
import { Counter } from 'prom-client';
import { KUBEVIRT_CONTROLLER, type ControllerContext } from '../context.ts';
import { PodIndex } from '../pod-index.ts';
import { MIGRATION_FINALIZER } from '../virt-api/migration-admission.ts';
import { recordEvent } from '../events.ts';
import { patch, remove, withoutFinalizers } from '../writes.ts';
import { Controller } from './controller.ts';
import { findCreatedPod, targetPodSelector } from './created-pod.ts';
import { memoryOverheadBytes, renderLauncherPod } from './launcher-pod.ts';
import { isPodDownOrGoingDown, isPodReady } from './pod-status.ts';
import { withTransition } from './vmi-conditions.ts';

const FINAL = new Set(['Succeeded', 'Failed']);
const JOB_UID_LABEL = 'kubevirt.io/migrationJobUID';
const TARGET_NODE_LABEL = 'kubevirt.io/migrationTargetNodeName';

/** What one sync of a migration reads from the caches. */
interface MigrationView {
  m: KubeObject;
  phase: string;
  vmi: KubeObject;
  /** The VMI's status.migrationState. */
  ms: KubeObject['status'];
  handedOff: boolean;
  pod: KubeObject | undefined;
}

/**
 * virt-controller's migration controller (pkg/virt-controller/watch/migration): the target pod,
 * the hand-off on the VMI (migrationState + migrationTargetNodeName label) and every VMIM phase
 * from what the handlers write on the VMI: Pending, Scheduling, Scheduled, PreparingTarget,
 * TargetReady, Running, then Succeeded or Failed.
 */
export class MigrationController extends Controller {
  private readonly pods: PodIndex;
  private readonly transitions: Counter<'phase'>;

  constructor(ctx: ControllerContext) {
    super(ctx, { name: 'migration', concurrency: 8, primary: ctx.caches.vmims });
    this.pods = new PodIndex(ctx.caches.pods);
    this.transitions = new Counter({ name: 'virtsim_migration_controller_transitions_total', help: 'Migration phase changes written', labelNames: ['phase'], registers: [ctx.registry] });
    ctx.caches.vmis.onChange((_t, vmi) => this.enqueueFor(vmi.metadata.namespace, vmi.metadata.name));
    ctx.caches.pods.onChange((_t, pod) => {
      const uid = pod.metadata.labels?.[JOB_UID_LABEL];
      if (!uid) return;
      for (const m of ctx.caches.vmims.values()) if (m.metadata.uid === uid) this.queue.add(objectKey(m));
    });
  }

  private enqueueFor(ns: string | undefined, vmiName: string): void {
    for (const m of this.ctx.caches.vmims.values()) {
      if (m.metadata.namespace === ns && m.spec?.vmiName === vmiName && !FINAL.has(m.status?.phase)) this.queue.add(objectKey(m));
    }
  }

  override start(): void {
    this.pods.rebuild();
    super.start();
  }

  private targetPod(vmi: KubeObject | undefined, m: KubeObject): KubeObject | undefined {
    return this.pods.owned(vmi?.metadata.uid).filter((p) => p.metadata.labels?.[JOB_UID_LABEL] === m.metadata.uid).at(-1);
  }

  protected async sync(m: KubeObject): Promise<void> {
    const phase: string = m.status?.phase ?? '';
    const ns = m.metadata.namespace ?? 'default';
    const vmi = this.ctx.caches.vmis.get(`${ns}/${m.spec?.vmiName}`);
    if (FINAL.has(phase)) return this.finalize(m, vmi);
    // Not admitted yet (virt-api adds the finalizer).
    if (!m.metadata.finalizers?.includes(MIGRATION_FINALIZER)) return;
    const ms = vmi?.status?.migrationState;
    const handedOff = !!vmi && ms?.migrationUid === m.metadata.uid;
    const pod = this.targetPod(vmi, m);

    if (!vmi || FINAL.has(vmi.status?.phase) || vmi.metadata.deletionTimestamp) return this.fail(m, 'the VMI is gone or finished');
    const view: MigrationView = { m, phase, vmi, ms, handedOff, pod };
    return this.ending(view) ?? this.advance(view);
  }

  /** The outcomes that end a migration whatever its phase: deleted, done on the handler, target pod lost. */
  private ending({ m, phase, ms, handedOff, pod }: MigrationView): Promise<void> | undefined {
    if (m.metadata.deletionTimestamp && !handedOff) return this.fail(m, 'the migration was deleted');
    if (handedOff && ms.completed) {
      if (ms.failed) return this.fail(m, ms.failureReason ?? 'the migration failed on the handler side');
      recordEvent(this.ctx, 'migration-controller', m, 'Normal', 'SuccessfulMigration', `Source node reported migration succeeded`);
      return this.setPhase(m, 'Succeeded', { migrationState: ms });
    }
    if (!handedOff && phase !== '' && phase !== 'Pending' && (!pod || isPodDownOrGoingDown(pod))) return this.fail(m, 'the target pod is gone');
    return undefined;
  }

  /** One step forward from the current phase, once what it waits for is there. */
  private async advance({ m, phase, vmi, ms, handedOff, pod }: MigrationView): Promise<void> {
    switch (phase) {
      case '':
        if (vmi.status?.phase !== 'Running') return;
        if (this.otherActive(m)) return;
        return this.setPhase(m, 'Pending');
      case 'Pending':
        if (pod) return this.setPhase(m, 'Scheduling');
        return this.createTargetPod(m, vmi);
      case 'Scheduling':
        if (isPodReady(pod!)) return this.setPhase(m, 'Scheduled');
        return;
      case 'Scheduled':
        if (handedOff && ms.targetNode) return this.setPhase(m, 'PreparingTarget');
        return this.handOff(m, vmi, pod!);
      case 'PreparingTarget':
        if (ms?.targetNodeAddress) return this.setPhase(m, 'TargetReady');
        return;
      case 'TargetReady':
        if (ms?.startTimestamp) return this.setPhase(m, 'Running');
        return;
      default:
        return;
    }
  }

  /** An older, unfinished migration of the same VMI goes first (canMigrateVMI). */
  private otherActive(m: KubeObject): boolean {
    for (const o of this.ctx.caches.vmims.values()) {
      if (o.metadata.uid === m.metadata.uid || o.metadata.namespace !== m.metadata.namespace || o.spec?.vmiName !== m.spec?.vmiName) continue;
      if (o.status?.phase && !FINAL.has(o.status.phase)) return true;
    }
    return false;
  }

  private async createTargetPod(m: KubeObject, vmi: KubeObject): Promise<void> {
    const uid = m.metadata.uid!;
    if (this.pods.creationExpected(uid)) return;
    // The target must offer the source's host-model CPU: its model and required features.
    const nodeSelector: Record<string, string> = {};
    const cpuModel = vmi.spec?.domain?.cpu?.model ?? 'host-model';
    const source = this.ctx.caches.nodes.get(vmi.status?.nodeName ?? '');
    if (cpuModel === 'host-model' && source) {
      for (const label of Object.keys(source.metadata.labels ?? {})) {
        if (label.startsWith('host-model-cpu.node.kubevirt.io/')) nodeSelector[`cpu-model-migration.node.kubevirt.io/${label.split('/')[1]}`] = 'true';
        if (label.startsWith('host-model-required-features.node.kubevirt.io/')) nodeSelector[`cpu-feature.node.kubevirt.io/${label.split('/')[1]}`] = 'true';
      }
    }
    Object.assign(nodeSelector, m.spec?.addedNodeSelector ?? {});
    const pod = renderLauncherPod(vmi, this.ctx.launcherImage, { uid, name: m.metadata.name, nodeSelector });
    this.pods.expectCreate(uid);
    try {
      const r = await this.ctx.writer.write({
        key: objectKey(m),
        resource: 'pods',
        method: 'POST',
        path: collectionPath(PODS, vmi.metadata.namespace),
        body: pod,
        impersonate: KUBEVIRT_CONTROLLER,
        // generateName: a retry after a lost answer would make a second target pod; adopt the first.
        find: () => findCreatedPod(this.ctx, vmi.metadata.namespace, vmi.metadata.uid!, targetPodSelector(vmi.metadata.uid!, uid)),
      });
      const name = r.outcome === 'gone' ? '' : ((r.body as KubeObject | undefined)?.metadata?.name ?? '');
      recordEvent(this.ctx, 'migration-controller', m, 'Normal', 'SuccessfulCreate', `Created migration target pod ${m.metadata.namespace}/${name}`);
    } catch (err) {
      this.pods.cancelExpectation(uid);
      throw err;
    }
  }

  /** handleTargetPodHandoff: migrationState on the VMI and the label that wakes the target handler. */
  private async handOff(m: KubeObject, vmi: KubeObject, pod: KubeObject): Promise<void> {
    const source = this.pods.owned(vmi.metadata.uid).filter((p) => p.spec?.nodeName === vmi.status.nodeName && p.metadata.uid !== pod.metadata.uid).at(-1);
    const migrationState = {
      migrationUid: m.metadata.uid,
      targetNode: pod.spec.nodeName,
      targetPod: pod.metadata.name,
      sourceNode: vmi.status.nodeName,
      ...(source ? { sourcePod: source.metadata.name } : {}),
      targetMemoryOverhead: String(memoryOverheadBytes(vmi)),
      migrationNetworkType: 'Pod',
    };
    // The state replaces a previous migration's whole (virt-controller updates it): a merge patch
    // would keep its completed/endTimestamp, and this migration would look finished at once.
    const stale = Object.fromEntries(Object.keys(vmi.status.migrationState ?? {}).map((k) => [k, null]));
    await patch(this.ctx, this.ctx.caches.vmis, vmi, { metadata: { labels: { [TARGET_NODE_LABEL]: pod.spec.nodeName } }, status: { migrationState: { ...stale, ...migrationState } } }, { guard: true });
    this.log.info({ migration: objectKey(m), source: vmi.status.nodeName, target: pod.spec.nodeName }, 'handed the VMI to the target node');
  }

  private async setPhase(m: KubeObject, phase: string, extra: Record<string, unknown> = {}): Promise<void> {
    await patch(this.ctx, this.ctx.caches.vmims, m, { status: { phase, phaseTransitionTimestamps: withTransition(m, phase), ...extra } }, { subresource: 'status', guard: true });
    this.transitions.inc({ phase });
  }

  private async fail(m: KubeObject, why: string): Promise<void> {
    this.log.info({ migration: objectKey(m), phase: m.status?.phase, why }, 'migration failed');
    recordEvent(this.ctx, 'migration-controller', m, 'Warning', 'FailedMigration', `VirtualMachineInstance migration uid ${m.metadata.uid} failed: ${why}`);
    await this.setPhase(m, 'Failed');
  }

  /** Final: the target pod of a failed migration goes, then the finalizer. */
  private async finalize(m: KubeObject, vmi: KubeObject | undefined): Promise<void> {
    if (m.status?.phase === 'Failed') {
      const pod = this.targetPod(vmi, m);
      const handedOffAndRunning = !!vmi && vmi.status?.migrationState?.migrationUid === m.metadata.uid && vmi.status?.nodeName === pod?.spec?.nodeName;
      if (pod && !pod.metadata.deletionTimestamp && !handedOffAndRunning) await remove(this.ctx, PODS, pod);
    }
    const finalizers = withoutFinalizers(m, [MIGRATION_FINALIZER]);
    if (finalizers) await patch(this.ctx, this.ctx.caches.vmims, m, { metadata: { finalizers } }, { guard: true });
  }
}
