/**
 * What virt-api's VMI mutating webhook does on CREATE (vmi-mutator.go, pkg/defaults): spec
 * defaults, the foreground-delete finalizer, and the Pending status with its transition timestamp,
 * CPU topology, memory and runtime user. Returned as one merge patch.
 */
import { createHash } from 'node:crypto';
import type { KubeObject } from '@virtsim/kube';
import { parseQuantity } from '../quantity.ts';
import { kubeNow } from '../time.ts';

export const FOREGROUND_FINALIZER = 'kubevirt.io/foregroundDeleteVirtualMachine';
/** VMRolloutStrategy LiveUpdate: maxSockets and maxGuest are this multiple of the boot values. */
const MAX_HOTPLUG_RATIO = 4;
/** Non-root launchers are the default: qemu runs as 107. */
const RUNTIME_USER = 107;

/** A byte count in the largest unit that divides it, binary or decimal like the quantity it came from. */
export function binaryQuantity(bytes: number, decimal = false): string {
  const units = decimal
    ? ([['T', 1e12], ['G', 1e9], ['M', 1e6], ['k', 1e3]] as const)
    : ([['Ti', 2 ** 40], ['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as const);
  for (const [suffix, size] of units) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${suffix}`;
  }
  return String(bytes);
}

function firmwareUuid(vmi: KubeObject): string {
  const h = createHash('sha1').update(`${vmi.metadata.namespace}/${vmi.metadata.name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function vmiCreateMutation(vmi: KubeObject, now = kubeNow()): Record<string, any> {
  const spec = structuredClone(vmi.spec ?? {});
  const domain = (spec.domain ??= {});
  spec.architecture ??= 'amd64';
  spec.terminationGracePeriodSeconds ??= 30;
  const cpu = defaultDomain(vmi, domain);
  const memory = defaultMemory(domain);
  defaultDevices(spec, domain);

  const finalizers = [...(vmi.metadata.finalizers ?? [])];
  if (!finalizers.includes(FOREGROUND_FINALIZER)) finalizers.push(FOREGROUND_FINALIZER);
  const status: Record<string, any> = {
    phase: 'Pending',
    phaseTransitionTimestamps: [{ phase: 'Pending', phaseTransitionTimestamp: now }],
    currentCPUTopology: { sockets: cpu.sockets, cores: cpu.cores, threads: cpu.threads },
    runtimeUser: RUNTIME_USER,
  };
  if (memory.guest !== undefined) status.memory = { guestAtBoot: memory.guest, guestCurrent: memory.guest, guestRequested: memory.guest };
  const annotations: Record<string, string> = {};
  if (domain.machine.type === 'q35' && !vmi.metadata.annotations?.['kubevirt.io/pci-topology-version']) annotations['kubevirt.io/pci-topology-version'] = 'v3';
  return {
    metadata: { finalizers, ...(Object.keys(annotations).length ? { annotations } : {}) },
    spec,
    status,
  };
}

/** Machine, CPU topology, ACPI and firmware UUID; returns the defaulted CPU. */
function defaultDomain(vmi: KubeObject, domain: Record<string, any>): Record<string, any> {
  (domain.machine ??= {}).type ??= 'q35';
  const cpu = (domain.cpu ??= {});
  cpu.model ??= 'host-model';
  cpu.sockets ??= 1;
  cpu.cores ??= 1;
  cpu.threads ??= 1;
  cpu.maxSockets ??= cpu.sockets * MAX_HOTPLUG_RATIO;
  ((domain.features ??= {}).acpi ??= {}).enabled ??= true;
  (domain.firmware ??= {}).uuid ??= firmwareUuid(vmi);
  return cpu;
}

/** Guest memory and the memory request default from each other; returns domain.memory (guest unset when neither is given). */
function defaultMemory(domain: Record<string, any>): Record<string, any> {
  const resources = (domain.resources ??= {});
  const memory = (domain.memory ??= {});
  memory.guest ??= resources.requests?.memory ?? resources.limits?.memory;
  if (memory.guest !== undefined) {
    (resources.requests ??= {}).memory ??= memory.guest;
    try {
      memory.maxGuest ??= binaryQuantity(parseQuantity(memory.guest) * MAX_HOTPLUG_RATIO, /\d[kMGTPE]$/.test(String(memory.guest)));
    } catch {
      // An unparsable quantity is left for validation to name.
    }
  } else delete domain.memory;
  return memory;
}

/** Disk buses, a disk per volume, and the pod network when no interface is asked for. */
function defaultDevices(spec: Record<string, any>, domain: Record<string, any>): void {
  const devices = (domain.devices ??= {});
  const disks = (devices.disks ??= []) as Array<Record<string, any>>;
  for (const d of disks) {
    if (!d.disk && !d.cdrom && !d.lun) d.disk = {};
    for (const kind of ['disk', 'lun'] as const) if (d[kind] && !d[kind].bus) d[kind].bus = 'virtio';
    if (d.cdrom && !d.cdrom.bus) d.cdrom.bus = 'sata';
  }
  // SetDefaultVolumeDisk: every volume gets a disk.
  for (const v of (spec.volumes ?? []) as Array<{ name: string; [k: string]: unknown }>) {
    const needsDisk = !v.downwardMetrics && !v.memoryDump;
    if (needsDisk && !disks.some((d) => d.name === v.name) && !(devices.filesystems ?? []).some((f: { name: string }) => f.name === v.name)) disks.push({ name: v.name, disk: { bus: 'virtio' } });
  }
  if (!disks.length) delete devices.disks;
  // The pod network with the cluster's default binding (bridge) when nothing is asked for.
  if (!devices.interfaces?.length && !spec.networks?.length && devices.autoattachPodInterface !== false) {
    devices.interfaces = [{ name: 'default', bridge: {} }];
    spec.networks = [{ name: 'default', pod: {} }];
  }
}
