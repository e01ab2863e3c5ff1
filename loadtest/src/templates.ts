import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { KubeObject } from '@virtsim/kube';
import { LoadtestInputError } from './errors.ts';

export type TemplateKind = 'VirtualMachineInstance' | 'VirtualMachine';

export interface ObjectTemplate {
  kind: TemplateKind;
  /** The object each created VMI/VM starts from; name, namespace and run labels are set per object. */
  object: KubeObject;
  /** `vmi`, `vm` or the file it came from, for the report. */
  source: string;
}

/**
 * The VMI spec of KubeVirt's own density test (kube-burner's vm-ephemeral template in KubeVirt's
 * tests/performance manifests): a Fedora container disk, cloud-init, 1 core, 100m CPU, 90Mi,
 * masquerade networking, no grace period.
 */
function densityVmiSpec(): Record<string, unknown> {
  return {
    domain: {
      cpu: { cores: 1 },
      devices: {
        disks: [
          { disk: { bus: 'virtio' }, name: 'cloudinitdisk' },
          { disk: { bus: 'virtio' }, name: 'containerdisk' },
        ],
        interfaces: [{ masquerade: {}, model: 'virtio', name: 'default' }],
        networkInterfaceMultiqueue: true,
        rng: {},
      },
      resources: { requests: { cpu: '100m', memory: '90Mi' } },
    },
    networks: [{ name: 'default', pod: {} }],
    terminationGracePeriodSeconds: 0,
    volumes: [
      { cloudInitNoCloud: { userData: '#cloud-config\npassword: fedora\nchpasswd: { expire: False }' }, name: 'cloudinitdisk' },
      { containerDisk: { image: 'quay.io/kubevirt/fedora-with-test-tooling-container-disk:v0.48.1', imagePullPolicy: 'IfNotPresent' }, name: 'containerdisk' },
    ],
  };
}

export function builtinTemplate(name: 'vmi' | 'vm'): ObjectTemplate {
  const labels = { 'kubevirt.io/os': 'fedora27' };
  if (name === 'vmi') {
    return {
      kind: 'VirtualMachineInstance',
      source: 'vmi',
      object: { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: '', labels }, spec: densityVmiSpec() },
    };
  }
  return {
    kind: 'VirtualMachine',
    source: 'vm',
    object: {
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachine',
      metadata: { name: '', labels },
      spec: { runStrategy: 'Always', template: { metadata: { labels }, spec: densityVmiSpec() } },
    },
  };
}

/** `vmi`, `vm`, or a YAML/JSON file holding one VirtualMachineInstance or VirtualMachine. */
export function loadTemplate(ref: string, baseDir = process.cwd()): ObjectTemplate {
  if (ref === 'vmi' || ref === 'vm') return builtinTemplate(ref);
  const path = ref.startsWith('/') ? ref : `${baseDir}/${ref}`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new LoadtestInputError(`template ${ref}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); use vmi, vm or a file`);
  }
  let obj: KubeObject;
  try {
    obj = parse(text) as KubeObject;
  } catch (err) {
    throw new LoadtestInputError(`template ${path}: not YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!obj || typeof obj !== 'object') throw new LoadtestInputError(`template ${path}: expected one object, got ${JSON.stringify(obj)}`);
  if (obj.kind !== 'VirtualMachineInstance' && obj.kind !== 'VirtualMachine') {
    throw new LoadtestInputError(`template ${path}: kind ${JSON.stringify(obj.kind)} is not VirtualMachineInstance or VirtualMachine`);
  }
  if (obj.apiVersion !== 'kubevirt.io/v1') throw new LoadtestInputError(`template ${path}: apiVersion ${JSON.stringify(obj.apiVersion)}, expected kubevirt.io/v1`);
  if (!obj.spec || typeof obj.spec !== 'object') throw new LoadtestInputError(`template ${path}: ${obj.kind} has no spec`);
  if (obj.kind === 'VirtualMachine' && !(obj.spec as Record<string, unknown>).template) throw new LoadtestInputError(`template ${path}: VirtualMachine has no spec.template`);
  obj.metadata = { ...(obj.metadata ?? {}), name: '' };
  delete obj.metadata.namespace;
  delete obj.status;
  return { kind: obj.kind, object: obj, source: path };
}

/** The label every object of one run carries, so the run watches and cleans up only its own. */
export const RUN_LABEL = 'virtsim.io/loadtest-run';

/**
 * One object to create: the template with its name, namespace and the run label (also on a VM's
 * VMI template, so the VMI and its launcher pod carry it, as kube-burner relies on).
 */
export function renderObject(t: ObjectTemplate, name: string, namespace: string, runId: string): KubeObject {
  const obj = structuredClone(t.object);
  const runLabels = { [RUN_LABEL]: runId, 'kubevirt-vm': `vm-${name}` };
  obj.metadata = { ...obj.metadata, name, namespace, labels: { ...(obj.metadata.labels ?? {}), ...runLabels } };
  if (t.kind === 'VirtualMachine') {
    const tpl = ((obj.spec as Record<string, unknown>).template ??= {}) as { metadata?: { labels?: Record<string, string> } };
    tpl.metadata = { ...(tpl.metadata ?? {}), labels: { ...(tpl.metadata?.labels ?? {}), ...runLabels } };
  }
  return obj;
}
