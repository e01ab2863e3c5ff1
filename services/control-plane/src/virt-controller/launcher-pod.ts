/**
 * The virt-launcher pod as virt-controller renders it (pkg/virt-controller/services/template.go,
 * renderresources.go, nodeselectorrenderer.go in KubeVirt v1.x), for a VMI and,
 * with `migration`, for a migration's target.
 */
import type { KubeObject } from '@virtsim/kube';
import { bytesQuantity, parseQuantity } from '../quantity.ts';

const MI = 2 ** 20;

export interface MigrationTarget {
  uid: string;
  name: string;
  /** Extra node selectors (host-model CPU of the source node). */
  nodeSelector: Record<string, string>;
}

/** vmi.kubevirt.io/id: the name, or a truncated name + hash when it is over 63 characters. */
function vmiId(name: string): string {
  if (name.length <= 63) return name;
  let h = 0;
  for (const c of name) h = (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0;
  return `${name.slice(0, 54)}-${h.toString(16).padStart(8, '0')}`;
}

export function vcpus(vmi: KubeObject): number {
  const cpu = vmi.spec?.domain?.cpu ?? {};
  return (cpu.sockets ?? 1) * (cpu.cores ?? 1) * (cpu.threads ?? 1);
}

export function guestMemoryBytes(vmi: KubeObject): number {
  const d = vmi.spec?.domain ?? {};
  return parseQuantity(d.memory?.guest ?? d.resources?.requests?.memory ?? d.resources?.limits?.memory ?? 0);
}

/**
 * An approximation of GetMemoryOverhead: page tables (guest/512), the launcher's processes
 * (monitor 25Mi, virt-launcher 75Mi, virtlogd 25Mi, virtqemud 40Mi, qemu 30Mi), 8Mi per vCPU,
 * 16Mi video and 8Mi for the console log: 128Mi of guest gives the 228Mi a real VMI reports.
 */
export function memoryOverheadBytes(vmi: KubeObject): number {
  const video = vmi.spec?.domain?.devices?.autoattachGraphicsDevice === false ? 0 : 16;
  return Math.ceil(guestMemoryBytes(vmi) / 512) + (25 + 75 + 25 + 40 + 30 + 8 + video) * MI + 8 * MI * vcpus(vmi);
}

function hasPodNetwork(vmi: KubeObject): boolean {
  return ((vmi.spec?.networks ?? []) as Array<Record<string, unknown>>).some((n) => n.pod !== undefined);
}

/** The VMI's labels, KubeVirt's own, and the migration's (where it runs is synced later, never copied). */
function launcherLabels(vmi: KubeObject, migration: MigrationTarget | undefined): Record<string, string> {
  const md = vmi.metadata;
  const name = md.name;
  const uid = md.uid ?? '';
  const labels: Record<string, string> = {
    ...(md.labels ?? {}),
    'kubevirt.io': 'virt-launcher',
    'kubevirt.io/created-by': uid,
    'vm.kubevirt.io/name': name,
    'vmi.kubevirt.io/id': vmiId(name),
  };
  // Labels that describe where the VMI runs are synced later, never copied.
  delete labels['kubevirt.io/nodeName'];
  delete labels['kubevirt.io/migrationTargetNodeName'];
  if (migration) labels['kubevirt.io/migrationJobUID'] = migration.uid;

  return labels;
}

function launcherAnnotations(vmi: KubeObject, overhead: number, migration: MigrationTarget | undefined): Record<string, string> {
  const md = vmi.metadata;
  const name = md.name;
  const annotations: Record<string, string> = {
    'kubevirt.io/domain': name,
    'kubectl.kubernetes.io/default-container': 'compute',
    'kubevirt.io/migrationTransportUnix': 'true',
    'descheduler.alpha.kubernetes.io/request-evict-only': '',
    'kubevirt.io/memory-overhead-bytes': String(overhead),
  };
  for (const [k, v] of Object.entries((md.annotations ?? {}) as Record<string, string>)) {
    // generatePodAnnotations drops KubeVirt's own bookkeeping annotations except the VM generation.
    if (k.startsWith('kubevirt.io/') && k !== 'kubevirt.io/vm-generation') continue;
    if (k === 'kubectl.kubernetes.io/last-applied-configuration') continue;
    annotations[k] ??= v;
  }
  if (migration) annotations['kubevirt.io/migrationJobName'] = migration.name;

  return annotations;
}

/** renderresources.go: the compute container's requests and limits, with the VMI's memory overhead and KubeVirt's devices. */
function computeResources(vmi: KubeObject, overhead: number): Record<string, Record<string, string>> {
  const domain = vmi.spec?.domain ?? {};
  // The default CPU request is 100m.
  const res = domain.resources ?? {};
  const requests: Record<string, string> = { ...(res.requests ?? {}) };
  const limits: Record<string, string> = { ...(res.limits ?? {}) };
  requests.cpu ??= '100m';
  requests.memory = bytesQuantity(parseQuantity(requests.memory ?? domain.memory?.guest ?? 0) + overhead);
  if (limits.memory !== undefined) limits.memory = bytesQuantity(parseQuantity(limits.memory) + overhead);
  const devices = ['devices.kubevirt.io/kvm'];
  if (hasPodNetwork(vmi) || (domain.devices?.interfaces ?? []).length) devices.push('devices.kubevirt.io/tun');
  if (domain.devices?.autoattachPodInterface !== false || (domain.devices?.interfaces ?? []).length) devices.push('devices.kubevirt.io/vhost-net');
  for (const d of devices) {
    requests[d] = '1';
    limits[d] = '1';
  }

  return { requests, ...(Object.keys(limits).length ? { limits } : {}) };
}

function launcherNodeSelector(vmi: KubeObject, migration: MigrationTarget | undefined): Record<string, string> {
  const spec = vmi.spec ?? {};
  const domain = spec.domain ?? {};
  const nodeSelector: Record<string, string> = {
    ...(spec.nodeSelector ?? {}),
    'kubevirt.io/schedulable': 'true',
    'kubernetes.io/arch': spec.architecture ?? 'amd64',
  };
  const machine = domain.machine?.type ?? 'q35';
  if (machine === 'q35') nodeSelector['machine-type.node.kubevirt.io/q35'] = 'true';
  const cpuModel = domain.cpu?.model ?? 'host-model';
  if (cpuModel !== 'host-model' && cpuModel !== 'host-passthrough') nodeSelector[`cpu-model.node.kubevirt.io/${cpuModel}`] = 'true';
  Object.assign(nodeSelector, migration?.nodeSelector ?? {});

  return nodeSelector;
}

/** The VMI's affinity, plus the obsolete-host-model rule and, for a migration target, anti-affinity to the source. */
function launcherAffinity(vmi: KubeObject, migration: MigrationTarget | undefined): Record<string, any> {
  const spec = vmi.spec ?? {};
  const uid = vmi.metadata.uid ?? '';
  const cpuModel = spec.domain?.cpu?.model ?? 'host-model';
  const affinity: Record<string, any> = structuredClone(spec.affinity ?? {});
  if (cpuModel === 'host-model') {
    const req = { key: 'node-labeller.kubevirt.io/obsolete-host-model', operator: 'DoesNotExist' };
    const na = (affinity.nodeAffinity ??= {});
    const required = (na.requiredDuringSchedulingIgnoredDuringExecution ??= { nodeSelectorTerms: [] });
    if (!required.nodeSelectorTerms.length) required.nodeSelectorTerms.push({ matchExpressions: [req] });
    else for (const t of required.nodeSelectorTerms) (t.matchExpressions ??= []).push(req);
  }
  if (migration) {
    const pa = (affinity.podAntiAffinity ??= {});
    (pa.requiredDuringSchedulingIgnoredDuringExecution ??= []).push({
      labelSelector: { matchLabels: { 'kubevirt.io/created-by': uid } },
      topologyKey: 'kubernetes.io/hostname',
    });
  }

  return affinity;
}

/** The console-log sidecar, a no-op init container per container disk, and the pod's volumes. */
function initContainersAndVolumes(vmi: KubeObject, image: string): { initContainers: Array<Record<string, unknown>>; volumes: Array<Record<string, unknown>> } {
  const spec = vmi.spec ?? {};
  const uid = vmi.metadata.uid ?? '';
  const initContainers: Array<Record<string, unknown>> = [];
  const volumes: Array<Record<string, unknown>> = ['private', 'public', 'sockets', 'virt-bin-share-dir', 'libvirt-runtime', 'ephemeral-disks', 'container-disks', 'hotplug-disks'].map(
    (n) => ({ name: n, emptyDir: {} }),
  );
  // The serial console log is a native sidecar (serialconsolelog.go).
  initContainers.push({
    name: 'guest-console-log',
    image,
    imagePullPolicy: 'IfNotPresent',
    command: ['/usr/bin/virt-tail'],
    args: ['--logfile', `/var/run/kubevirt-private/${uid}/virt-serial0-log`],
    restartPolicy: 'Always',
    resources: { requests: { cpu: '5m', memory: '35M' }, limits: { cpu: '15m', memory: '60M' } },
  });
  // ImageVolume (beta, on in v1.9): a container disk is an image volume plus a no-op init container.
  for (const v of (spec.volumes ?? []) as Array<Record<string, any>>) {
    if (!v.containerDisk) continue;
    const pull = v.containerDisk.imagePullPolicy ?? (String(v.containerDisk.image).endsWith(':latest') ? 'Always' : 'IfNotPresent');
    volumes.push({ name: `${v.name}`, image: { reference: v.containerDisk.image, pullPolicy: pull } });
    initContainers.push({
      name: `volume${v.name}`,
      image: v.containerDisk.image,
      imagePullPolicy: pull,
      command: ['/usr/bin/container-disk'],
      args: ['--no-op'],
      resources: { requests: { cpu: '1m', memory: '1M' }, limits: { cpu: '10m', memory: '40M' } },
    });
  }

  return { initContainers, volumes };
}

function computeContainer(vmi: KubeObject, image: string, resources: Record<string, Record<string, string>>): Record<string, unknown> {
  const md = vmi.metadata;
  const name = md.name;
  const uid = md.uid ?? '';
  const grace = vmi.spec?.terminationGracePeriodSeconds ?? 30;
  const qemuTimeout = 240 + Math.floor(Math.random() * 60);
  return {
    name: 'compute',
    image,
    imagePullPolicy: 'IfNotPresent',
    command: [
      '/usr/bin/virt-launcher-monitor',
      '--qemu-timeout', `${qemuTimeout}s`,
      '--name', name,
      '--uid', uid,
      '--namespace', md.namespace ?? 'default',
      '--kubevirt-share-dir', '/var/run/kubevirt',
      '--ephemeral-disk-dir', '/var/run/kubevirt-ephemeral-disks',
      '--container-disk-dir', '/var/run/kubevirt/container-disks',
      '--grace-period-seconds', String(grace + 15),
      '--hook-sidecars', '0',
      '--ovmf-path', '/usr/share/OVMF',
      '--run-as-nonroot',
    ],
    env: [{ name: 'XDG_CACHE_HOME', value: '/var/run/kubevirt-private' }, { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
    resources,
    securityContext: { allowPrivilegeEscalation: false, capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] }, privileged: false, runAsNonRoot: true, runAsUser: 107 },
    volumeMounts: [
      { name: 'private', mountPath: '/var/run/kubevirt-private' },
      { name: 'public', mountPath: '/var/run/kubevirt' },
      { name: 'ephemeral-disks', mountPath: '/var/run/kubevirt-ephemeral-disks' },
      { name: 'container-disks', mountPath: '/var/run/kubevirt/container-disks', mountPropagation: 'HostToContainer' },
      { name: 'libvirt-runtime', mountPath: '/var/run/libvirt' },
      { name: 'sockets', mountPath: '/var/run/kubevirt/sockets' },
      { name: 'hotplug-disks', mountPath: '/var/run/kubevirt/hotplug-disks', mountPropagation: 'HostToContainer' },
    ],
  };
}

export function renderLauncherPod(vmi: KubeObject, image: string, migration?: MigrationTarget): KubeObject {
  const md = vmi.metadata;
  const spec = vmi.spec ?? {};
  const name = md.name;
  const uid = md.uid ?? '';
  const grace = spec.terminationGracePeriodSeconds ?? 30;
  const overhead = memoryOverheadBytes(vmi);
  const labels = launcherLabels(vmi, migration);
  const annotations = launcherAnnotations(vmi, overhead, migration);
  const resources = computeResources(vmi, overhead);
  const nodeSelector = launcherNodeSelector(vmi, migration);
  const affinity = launcherAffinity(vmi, migration);
  const { initContainers, volumes } = initContainersAndVolumes(vmi, image);
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `virt-launcher-${name}-`,
      namespace: md.namespace,
      labels,
      annotations,
      ownerReferences: [{ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', name, uid, controller: true, blockOwnerDeletion: true }],
    } as unknown as KubeObject['metadata'],
    spec: {
      hostname: spec.hostname ?? name,
      ...(spec.subdomain ? { subdomain: spec.subdomain } : {}),
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: grace + 30,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      readinessGates: [{ conditionType: 'kubevirt.io/virtual-machine-unpaused' }],
      securityContext: { runAsUser: 107, runAsGroup: 107, fsGroup: 107, runAsNonRoot: true, seLinuxOptions: { type: 'virt_launcher.process' } },
      nodeSelector,
      ...(Object.keys(affinity).length ? { affinity } : {}),
      tolerations: [
        ...((spec.tolerations ?? []) as unknown[]),
        // DefaultTolerationSeconds admission adds these to every pod.
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      ],
      ...(spec.schedulerName ? { schedulerName: spec.schedulerName } : {}),
      ...(spec.priorityClassName ? { priorityClassName: spec.priorityClassName } : {}),
      ...(spec.topologySpreadConstraints ? { topologySpreadConstraints: spec.topologySpreadConstraints } : {}),
      ...(spec.dnsPolicy ? { dnsPolicy: spec.dnsPolicy } : {}),
      ...(spec.dnsConfig ? { dnsConfig: spec.dnsConfig } : {}),
      containers: [
        computeContainer(vmi, image, resources),
      ],
      initContainers,
      volumes,
    },
  };
  return pod;
}
