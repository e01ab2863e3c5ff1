import { StatusError, PODS, collectionPath, objectKey, type KubeObject } from '@virtsim/kube';
import { Counter } from 'prom-client';
import { KUBEVIRT_CONTROLLER, type ControllerContext } from '../context.ts';
import { PodIndex, ownerVmiName } from '../pod-index.ts';
import { kubeNow } from '../time.ts';
import { recordEvent } from '../events.ts';
import { same } from '../json-equal.ts';
import { patch, remove, withoutFinalizers } from '../writes.ts';
import { Controller } from './controller.ts';
import { findCreatedPod, launcherPodSelector } from './created-pod.ts';
import { renderLauncherPod } from './launcher-pod.ts';
import { UNPAUSED_GATE, isPodDownOrGoingDown, isPodReady, podCondition, qosClassOf } from './pod-status.ts';
import { conditionsOf, readyCondition, removeCondition, setCondition, withTransition, type Condition } from './vmi-conditions.ts';

export const FOREGROUND_FINALIZER = 'kubevirt.io/foregroundDeleteVirtualMachine';
const DEPRECATED_FOREGROUND_FINALIZER = 'foregroundDeleteVirtualMachine';
export const VM_CONTROLLER_FINALIZER = 'kubevirt.io/virtualMachineControllerFinalize';

const isFinal = (vmi: KubeObject) => vmi.status?.phase === 'Succeeded' || vmi.status?.phase === 'Failed';

/**
 * virt-controller's VMI controller (pkg/virt-controller/watch/vmi): launcher pod per VMI,
 * Pending -> Scheduling -> Scheduled from the pod, the Ready condition from the pod, the pod's
 * readiness gate, pods deleted when the VMI goes, Failed when the pod vanishes, and the finalizer
 * removed once a final VMI has no pod left. Everything is recomputed from the caches per key.
 */
export class VmiController extends Controller {
  readonly pods: PodIndex;
  private readonly transitions: Counter<'phase'>;
  private readonly podCreates: Counter;

  constructor(ctx: ControllerContext) {
    super(ctx, { name: 'vmi', concurrency: 256, primary: ctx.caches.vmis });
    this.pods = new PodIndex(ctx.caches.pods);
    this.transitions = new Counter({ name: 'virtsim_vmi_controller_transitions_total', help: 'VMI phase changes written by the VMI controller', labelNames: ['phase'], registers: [ctx.registry] });
    this.podCreates = new Counter({ name: 'virtsim_vmi_controller_pods_created_total', help: 'virt-launcher pods created', registers: [ctx.registry] });
    ctx.caches.pods.onChange((_t, pod) => {
      const owner = ownerVmiName(pod);
      if (owner) this.queue.add(`${pod.metadata.namespace}/${owner}`);
    });
  }

  override start(): void {
    this.pods.rebuild();
    super.start();
  }

  protected async sync(vmi: KubeObject): Promise<void> {
    // No phase yet: virt-api's mutation has not been applied.
    if (!vmi.status?.phase) return;
    const uid = vmi.metadata.uid!;
    const pods = this.pods.owned(uid);
    const phase = vmi.status.phase as string;
    const deleting = !!vmi.metadata.deletionTimestamp;

    if (deleting || isFinal(vmi)) {
      for (const p of pods) if (!p.metadata.deletionTimestamp) await remove(this.ctx, PODS, p);
    }
    if (isFinal(vmi)) return this.finalize(vmi, pods);

    switch (phase) {
      case 'Pending':
        if (deleting) return this.fail(vmi, 'Pending');
        if (!pods.length) return this.createPod(vmi);
        return this.toScheduling(vmi, pods);
      case 'Scheduling': {
        const pod = pods.at(-1);
        if (!pod) {
          if (this.pods.creationExpected(uid)) return;
          return this.fail(vmi, 'Scheduling');
        }
        if (deleting || isPodDownOrGoingDown(pod)) return this.fail(vmi, 'Scheduling');
        if (isPodReady(pod)) return this.toScheduled(vmi, pods, pod);
        return this.syncScheduling(vmi, pods, pod);
      }
      case 'Scheduled':
      case 'Running': {
        const node = vmi.status.nodeName;
        const current = pods.filter((p) => p.spec?.nodeName === node).at(-1);
        if (!current) return this.fail(vmi, phase);
        if (phase === 'Scheduled' && deleting && isPodDownOrGoingDown(current)) return this.fail(vmi, phase);
        return this.syncActive(vmi, pods, current);
      }
      default:
        return;
    }
  }

  private async createPod(vmi: KubeObject): Promise<void> {
    const uid = vmi.metadata.uid!;
    if (this.pods.creationExpected(uid)) return;
    const pod = renderLauncherPod(vmi, this.ctx.launcherImage);
    this.pods.expectCreate(uid);
    try {
      const r = await this.ctx.writer.write({
        key: objectKey(vmi),
        resource: 'pods',
        method: 'POST',
        path: collectionPath(PODS, vmi.metadata.namespace),
        body: pod,
        impersonate: KUBEVIRT_CONTROLLER,
        // generateName: a retry after a lost answer would make a second pod; adopt the first.
        find: () => findCreatedPod(this.ctx, vmi.metadata.namespace, uid, launcherPodSelector(uid)),
      });
      this.podCreates.inc();
      const created = r.outcome === 'gone' ? undefined : (r.body as KubeObject | undefined);
      recordEvent(this.ctx, 'virtualmachine-controller', vmi, 'Normal', 'SuccessfulCreate', `Created virtual machine pod ${created?.metadata?.name ?? ''}`);
    } catch (err) {
      this.pods.cancelExpectation(uid);
      if (err instanceof StatusError && (err.code === 403 || err.code === 422)) {
        // A pod the API refuses for good: virt-controller reports it on the VMI (Synchronized=False).
        this.log.warn({ vmi: objectKey(vmi), err }, 'launcher pod refused');
        await this.writeStatus(vmi, {
          conditions: setCondition(conditionsOf(vmi), { type: 'Synchronized', status: 'False', reason: 'FailedCreate', message: `failed to create virtual machine pod: ${err.message}`, lastProbeTime: null, lastTransitionTime: kubeNow() }),
        });
        return;
      }
      throw err;
    }
  }

  private activePods(pods: KubeObject[]): Record<string, string> {
    const out: Record<string, string> = {};
    for (const p of pods) out[p.metadata.uid!] = p.spec?.nodeName ?? '';
    return out;
  }

  private async toScheduling(vmi: KubeObject, pods: KubeObject[]): Promise<void> {
    const pod = pods.at(-1)!;
    const compute = ((pod.spec?.containers ?? []) as Array<{ name: string; image: string }>).find((c) => c.name === 'compute');
    await this.writeStatus(
      vmi,
      {
        phase: 'Scheduling',
        phaseTransitionTimestamps: withTransition(vmi, 'Scheduling'),
        activePods: this.activePods(pods),
        conditions: setCondition(conditionsOf(vmi), readyCondition(vmi, pod)),
        ...(compute ? { launcherContainerImageVersion: compute.image } : {}),
      },
      {
        annotations: {
          // The first thing virt-controller records on any VMI.
          'kubevirt.io/latest-observed-api-version': 'v1',
          'kubevirt.io/storage-observed-api-version': 'v1',
        },
      },
    );
    this.transitions.inc({ phase: 'Scheduling' });
  }

  /** While the pod is not ready: activePods with its node once bound, PodScheduled=False copied. */
  private async syncScheduling(vmi: KubeObject, pods: KubeObject[], pod: KubeObject): Promise<void> {
    let conditions = setCondition(conditionsOf(vmi), readyCondition(vmi, pod));
    const scheduled = podCondition(pod, 'PodScheduled');
    if (scheduled && scheduled.status === 'False') {
      const c: Condition = { type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime: scheduled.lastTransitionTime ?? kubeNow() };
      if (scheduled.reason) c.reason = scheduled.reason;
      if (scheduled.message) c.message = scheduled.message;
      conditions = setCondition(conditions, c);
    } else conditions = removeCondition(conditions, 'PodScheduled');
    const status: Record<string, unknown> = { activePods: this.activePods(pods), conditions, qosClass: qosClassOf(pod) };
    if (this.unchanged(vmi, status)) return;
    await this.writeStatus(vmi, status);
  }

  private async toScheduled(vmi: KubeObject, pods: KubeObject[], pod: KubeObject): Promise<void> {
    const node = pod.spec.nodeName as string;
    const spec = vmi.spec ?? {};
    const podNetworks = new Set(((spec.networks ?? []) as Array<{ name: string; pod?: unknown }>).filter((n) => n.pod !== undefined).map((n) => n.name));
    const interfaces = ((spec.domain?.devices?.interfaces ?? []) as Array<{ name: string }>)
      .filter((i) => podNetworks.has(i.name))
      .map((i) => ({ name: i.name, podInterfaceName: 'eth0' }));
    const volumeStatus = ((spec.volumes ?? []) as Array<{ name: string }>).map((v) => ({ name: v.name, target: '' }));
    const conditions = removeCondition(setCondition(conditionsOf(vmi), readyCondition({ ...vmi, status: { ...vmi.status, phase: 'Scheduled' } }, pod)), 'PodScheduled');
    // The VMI and the pod writes are independent: do them at once (each is a round trip).
    const vmiWrite = this.writeStatus(
      vmi,
      {
        phase: 'Scheduled',
        phaseTransitionTimestamps: withTransition(vmi, 'Scheduled'),
        nodeName: node,
        activePods: this.activePods(pods),
        conditions,
        qosClass: qosClassOf(pod),
        migrationTransport: 'Unix',
        ...(interfaces.length ? { interfaces } : {}),
        ...(volumeStatus.length ? { volumeStatus } : {}),
      },
      { labels: { 'kubevirt.io/nodeName': node } },
    );
    const results = await Promise.allSettled([vmiWrite, this.syncPod(vmi, pod, node)]);
    for (const r of results) if (r.status === 'rejected') throw r.reason;
    this.transitions.inc({ phase: 'Scheduled' });
  }

  /** Scheduled/Running: activePods, Ready from the pod, the pod's readiness gate and node label. */
  private async syncActive(vmi: KubeObject, pods: KubeObject[], current: KubeObject): Promise<void> {
    const status: Record<string, unknown> = {
      activePods: this.activePods(pods),
      conditions: setCondition(conditionsOf(vmi), readyCondition(vmi, current)),
    };
    if (!this.unchanged(vmi, status)) await this.writeStatus(vmi, status);
    await this.syncPod(vmi, current, vmi.status.nodeName);
  }

  /** The pod side: kubevirt.io/nodeName label and the unpaused readiness gate (syncPausedConditionToPod). */
  private async syncPod(vmi: KubeObject, pod: KubeObject, node: string): Promise<void> {
    if (pod.metadata.deletionTimestamp) return;
    const writes: Array<Promise<unknown>> = [];
    if (pod.metadata.labels?.['kubevirt.io/nodeName'] !== node) {
      writes.push(patch(this.ctx, this.ctx.caches.pods, pod, { metadata: { labels: { 'kubevirt.io/nodeName': node } } }));
    }
    const paused = conditionsOf(vmi).some((c) => c.type === 'Paused' && c.status === 'True');
    const want = paused ? 'False' : 'True';
    const gate = podCondition(pod, UNPAUSED_GATE);
    if (gate?.status !== want) writes.push(patch(
      this.ctx,
      this.ctx.caches.pods,
      pod,
      { status: { conditions: [{ type: UNPAUSED_GATE, status: want, reason: paused ? 'PausedByUser' : 'NotPaused', lastProbeTime: null, lastTransitionTime: kubeNow() }] } },
      { subresource: 'status', contentType: 'application/strategic-merge-patch+json' },
    ));
    const results = await Promise.allSettled(writes);
    for (const r of results) if (r.status === 'rejected') throw r.reason;
  }

  private async fail(vmi: KubeObject, from: string): Promise<void> {
    await this.writeStatus(vmi, { phase: 'Failed', phaseTransitionTimestamps: withTransition(vmi, 'Failed') });
    // Logged once written: a plan from a stale cache is refused (409) and planned again.
    this.log.info({ vmi: objectKey(vmi), from }, 'VMI failed: its launcher pod is gone or going');
    this.transitions.inc({ phase: 'Failed' });
  }

  /** Final VMI: drop the finalizers once no pod is left (and the VM's, if the VM is gone). */
  private async finalize(vmi: KubeObject, pods: KubeObject[]): Promise<void> {
    if (pods.length) return;
    const drop = [FOREGROUND_FINALIZER, DEPRECATED_FOREGROUND_FINALIZER];
    const vmOwner = vmi.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'VirtualMachine');
    if (vmOwner) {
      const vm = this.ctx.caches.vms.get(`${vmi.metadata.namespace}/${vmOwner.name}`);
      if (!vm || vm.metadata.uid !== vmOwner.uid) drop.push(VM_CONTROLLER_FINALIZER);
    } else drop.push(VM_CONTROLLER_FINALIZER);
    const finalizers = withoutFinalizers(vmi, drop);
    const status: Record<string, unknown> = {};
    if (vmi.status?.launcherContainerImageVersion) status.launcherContainerImageVersion = null;
    if (!finalizers && !Object.keys(status).length) return;
    await patch(this.ctx, this.ctx.caches.vmis, vmi, { metadata: finalizers ? { finalizers } : {}, ...(Object.keys(status).length ? { status } : {}) }, { guard: true });
  }

  private unchanged(vmi: KubeObject, status: Record<string, unknown>): boolean {
    return Object.entries(status).every(([k, v]) => {
      if (k === 'conditions') return same(stripTimes(vmi.status?.conditions ?? []), stripTimes(v as Condition[]));
      return same(vmi.status?.[k], v);
    });
  }

  private async writeStatus(vmi: KubeObject, status: Record<string, unknown>, metadata?: Record<string, unknown>): Promise<void> {
    await patch(this.ctx, this.ctx.caches.vmis, vmi, { ...(metadata ? { metadata } : {}), status }, { guard: true });
  }
}

/** Conditions compared without the times setCondition may have refreshed. */
function stripTimes(list: Condition[]): unknown {
  return list.map(({ lastTransitionTime: _t, lastProbeTime: _p, ...rest }) => rest);
}
