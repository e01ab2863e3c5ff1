import { StatusError, VMIS, collectionPath, objectKey, type KubeObject } from '@virtsim/kube';
import { Counter } from 'prom-client';
import { KUBEVIRT_CONTROLLER, type ControllerContext } from '../context.ts';
import { kubeNow } from '../time.ts';
import { recordEvent } from '../events.ts';
import { same } from '../json-equal.ts';
import { patch, remove, withoutFinalizers } from '../writes.ts';
import { Controller } from './controller.ts';
import { conditionsOf, setCondition, type Condition } from './vmi-conditions.ts';
import { VM_CONTROLLER_FINALIZER } from './vmi-controller.ts';

export type RunStrategy = 'Always' | 'Halted' | 'Manual' | 'RerunOnFailure' | 'Once';

/** spec.runStrategy, or the deprecated spec.running mapped onto it (VirtualMachine.RunStrategy()). */
export function runStrategyOf(vm: KubeObject): RunStrategy {
  if (vm.spec?.runStrategy) return vm.spec.runStrategy as RunStrategy;
  return vm.spec?.running === true ? 'Always' : 'Halted';
}

const isFinal = (vmi: KubeObject) => vmi.status?.phase === 'Succeeded' || vmi.status?.phase === 'Failed';

/** What the VM should do with its VMI now: create one, delete it, or leave it. */
export function desiredAction(strategy: RunStrategy, vmi: KubeObject | undefined): 'create' | 'delete' | 'none' {
  if (vmi?.metadata.deletionTimestamp) return 'none';
  switch (strategy) {
    case 'Always':
      return !vmi ? 'create' : isFinal(vmi) ? 'delete' : 'none';
    case 'RerunOnFailure':
      return !vmi ? 'create' : vmi.status?.phase === 'Failed' ? 'delete' : 'none';
    case 'Once':
      return !vmi ? 'create' : 'none';
    case 'Halted':
      return vmi ? 'delete' : 'none';
    case 'Manual':
    default:
      return 'none';
  }
}

/** setPrintableStatus (vm.go), in its order of precedence. */
export function printableStatus(vm: KubeObject, vmi: KubeObject | undefined, strategy: RunStrategy): string {
  if (vm.metadata.deletionTimestamp) return 'Terminating';
  if (!vmi) return 'Stopped';
  if (vmi.metadata.deletionTimestamp || (strategy === 'Halted' && !isFinal(vmi))) return 'Stopping';
  if (isFinal(vmi)) return vmi.status?.phase === 'Succeeded' ? 'Stopped' : 'CrashLoopBackOff';
  const conds = conditionsOf(vmi);
  if (vmi.status?.migrationState && !vmi.status.migrationState.completed) return 'Migrating';
  if (conds.some((c) => c.type === 'Paused' && c.status === 'True')) return 'Paused';
  if (vmi.status?.phase === 'Running') return 'Running';
  if (conds.some((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable')) return 'ErrorUnschedulable';
  return 'Starting';
}

/**
 * virt-controller's VM controller (pkg/virt-controller/watch/vm): one VMI per VM by runStrategy,
 * the VM's and the VMI's finalizers, and the VM status (printableStatus, ready, created,
 * Ready condition from the VMI) through the status subresource.
 */
export class VmController extends Controller {
  private readonly actions: Counter<'action'>;

  constructor(ctx: ControllerContext) {
    super(ctx, { name: 'vm', concurrency: 16, primary: ctx.caches.vms });
    this.actions = new Counter({ name: 'virtsim_vm_controller_actions_total', help: 'VMIs created and deleted for VMs', labelNames: ['action'], registers: [ctx.registry] });
    ctx.caches.vmis.onChange((_t, vmi) => {
      const owner = vmi.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'VirtualMachine');
      if (owner) this.queue.add(`${vmi.metadata.namespace}/${owner.name}`);
    });
  }

  protected async sync(vm: KubeObject): Promise<void> {
    const key = objectKey(vm);
    const found = this.ctx.caches.vmis.get(key);
    // A VMI of the same name that another VM (or nobody) owns is not ours.
    const vmi = found?.metadata.ownerReferences?.some((r) => r.uid === vm.metadata.uid) ? found : undefined;
    const strategy = runStrategyOf(vm);

    if (vm.metadata.deletionTimestamp) {
      if (vmi && !vmi.metadata.deletionTimestamp) await remove(this.ctx, VMIS, vmi);
      if (vmi) await this.releaseVmi(vmi);
      await this.writeStatus(vm, vmi, strategy);
      if (!vmi) {
        const finalizers = withoutFinalizers(vm, [VM_CONTROLLER_FINALIZER]);
        if (finalizers) await patch(this.ctx, this.ctx.caches.vms, vm, { metadata: { finalizers } }, { guard: true });
      }
      return;
    }
    if (!vm.metadata.finalizers?.includes(VM_CONTROLLER_FINALIZER)) {
      await patch(this.ctx, this.ctx.caches.vms, vm, { metadata: { finalizers: [...(vm.metadata.finalizers ?? []), VM_CONTROLLER_FINALIZER] } }, { guard: true });
      vm = this.ctx.caches.vms.get(key) ?? vm;
    }

    const action = found && !vmi ? 'none' : desiredAction(strategy, vmi);
    if (action === 'create') await this.createVmi(vm);
    else if (action === 'delete' && vmi) {
      this.log.info({ vm: key, strategy, vmiPhase: vmi.status?.phase }, 'deleting the VMI');
      await remove(this.ctx, VMIS, vmi);
      this.actions.inc({ action: 'delete' });
      recordEvent(this.ctx, 'virtualmachine-controller', vm, 'Normal', 'SuccessfulDelete', `Stopped the virtual machine by deleting the virtual machine instance ${vmi.metadata.uid}`);
    }
    if (vmi && isFinal(vmi)) await this.releaseVmi(vmi);
    await this.writeStatus(vm, vmi, strategy);
  }

  /** The VM's finalizer on a final VMI goes once its status is copied to the VM. */
  private async releaseVmi(vmi: KubeObject): Promise<void> {
    if (!isFinal(vmi)) return;
    const finalizers = withoutFinalizers(vmi, [VM_CONTROLLER_FINALIZER]);
    if (finalizers) await patch(this.ctx, this.ctx.caches.vmis, vmi, { metadata: { finalizers } }, { guard: true });
  }

  private async createVmi(vm: KubeObject): Promise<void> {
    const tpl = vm.spec?.template ?? {};
    const spec = structuredClone(tpl.spec ?? {});
    // The firmware UUID is derived from the VM, so it survives restarts (vm.go setupVMIFromVM).
    ((spec.domain ??= {}).firmware ??= {}).uuid ??= vmFirmwareUuid(vm);
    const vmi = {
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachineInstance',
      metadata: {
        name: vm.metadata.name,
        namespace: vm.metadata.namespace,
        labels: { ...(tpl.metadata?.labels ?? {}) },
        annotations: { ...(tpl.metadata?.annotations ?? {}), 'kubevirt.io/vm-generation': String(vm.metadata.generation ?? 1) },
        ownerReferences: [{ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', name: vm.metadata.name, uid: vm.metadata.uid, controller: true, blockOwnerDeletion: true }],
        finalizers: [VM_CONTROLLER_FINALIZER],
      },
      spec,
    };
    try {
      const r = await this.ctx.writer.write({ key: objectKey(vm), resource: 'virtualmachineinstances', method: 'POST', path: collectionPath(VMIS, vm.metadata.namespace), body: vmi, impersonate: KUBEVIRT_CONTROLLER });
      this.actions.inc({ action: 'create' });
      const uid = r.outcome === 'done' ? (r.body as KubeObject).metadata?.uid : undefined;
      recordEvent(this.ctx, 'virtualmachine-controller', vm, 'Normal', 'SuccessfulCreate', `Started the virtual machine by creating the new virtual machine instance ${uid ?? vm.metadata.name}`);
      this.log.info({ vm: objectKey(vm) }, 'created the VMI');
    } catch (err) {
      // 409: the previous VMI is still being deleted; its DELETED event brings us back.
      if (err instanceof StatusError && err.code === 409) return;
      throw err;
    }
  }

  private async writeStatus(vm: KubeObject, vmi: KubeObject | undefined, strategy: RunStrategy): Promise<void> {
    const vmiReady = vmi ? conditionsOf(vmi).find((c) => c.type === 'Ready') : undefined;
    const ready: Condition = vmi
      ? {
          type: 'Ready',
          status: vmiReady?.status ?? 'False',
          lastProbeTime: null,
          lastTransitionTime: kubeNow(),
          ...(vmiReady?.reason ? { reason: vmiReady.reason } : {}),
          ...(vmiReady?.message ? { message: vmiReady.message } : {}),
        }
      : { type: 'Ready', status: 'False', reason: 'VMINotExists', message: 'VMI does not exist', lastProbeTime: null, lastTransitionTime: kubeNow() };
    let conditions = setCondition(conditionsOf(vm), ready);
    const failure = vmi ? conditionsOf(vmi).find((c) => c.type === 'PodScheduled' && c.status === 'False') : undefined;
    conditions = conditions.filter((c) => c.type !== 'Failure' || failure);
    if (failure) conditions = setCondition(conditions, { type: 'Failure', status: 'True', reason: failure.reason ?? 'Unschedulable', message: failure.message ?? '', lastProbeTime: null, lastTransitionTime: kubeNow() });
    const status: Record<string, unknown> = {
      printableStatus: printableStatus(vm, vmi, strategy),
      ready: ready.status === 'True' ? true : null,
      created: vmi ? true : null,
      runStrategy: strategy,
      conditions,
      desiredGeneration: vm.metadata.generation ?? 1,
      observedGeneration: vm.metadata.generation ?? 1,
    };
    const cur = vm.status ?? {};
    const norm = (s: Record<string, any>): Record<string, unknown> => ({
      ...s,
      ready: s.ready || null,
      created: s.created || null,
      conditions: ((s.conditions ?? []) as Condition[]).map(({ lastTransitionTime: _t, lastProbeTime: _p, ...r }) => r),
    });
    if (Object.keys(status).every((k) => same(norm(cur)[k], norm(status)[k]))) return;
    await patch(this.ctx, this.ctx.caches.vms, vm, { status }, { subresource: 'status', guard: true });
  }
}

function vmFirmwareUuid(vm: KubeObject): string {
  const uid = (vm.metadata.uid ?? '').replace(/-/g, '').padEnd(32, '0');
  return `${uid.slice(0, 8)}-${uid.slice(8, 12)}-5${uid.slice(13, 16)}-${uid.slice(16, 20)}-${uid.slice(20, 32)}`;
}
