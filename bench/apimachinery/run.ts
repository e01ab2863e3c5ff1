// apimachinery benchmark: operations per second of what the API server does on every write of a
// VMI: JSON merge patch of status, JSON patch, strategic merge patch of a pod status, schema
// prune + validate of a VMI against KubeVirt's real CRD schema, and label-selector matching.
//   node_modules/.bin/node bench/apimachinery/run.ts [--ms 400]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { referencePath } from '@virtsim/testkit/reference';
import {
  LabelSelector,
  applyJsonPatch,
  applyMergePatch,
  applyStrategicMergePatch,
  builtinPatchSchemas,
  compileSchema,
  createMergePatch,
  deepClone,
  recordUpdate,
} from '@virtsim/apimachinery';

const { values } = parseArgs({ options: { ms: { type: 'string', default: '400' } } });
const MS = Number(values.ms);
const REF = pathToFileURL(referencePath('kubevirt') + '/');

const crd = parseYaml(readFileSync(new URL('crds/virtualmachineinstances.kubevirt.io.yaml', REF), 'utf8'));
const schema = compileSchema(crd.spec.versions.find((v: { name: string }) => v.name === 'v1').schema.openAPIV3Schema);
const vmi = parseYaml(readFileSync(new URL('examples/vmi-fedora.yaml', REF), 'utf8'));
vmi.metadata = { ...vmi.metadata, namespace: 'default', uid: 'u', resourceVersion: '1', creationTimestamp: '2026-01-01T00:00:00Z' };
vmi.status = {
  phase: 'Running',
  nodeName: 'node-1',
  conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }],
  interfaces: [{ name: 'default', ipAddress: '10.0.0.1' }],
};
const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'virt-launcher-x', namespace: 'default', labels: { 'kubevirt.io': 'virt-launcher' } },
  spec: { nodeName: 'node-1', containers: [{ name: 'compute', image: 'virt-launcher' }] },
  status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'False' }] },
};

let sink = 0;
function measure(name: string, fn: (i: number) => unknown): void {
  for (let i = 0; i < 2000; i++) sink += fn(i) ? 1 : 0;
  let n = 0;
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  let now = start;
  while (now - start < MS) {
    for (let i = 0; i < 200; i++) sink += fn(n + i) ? 1 : 0;
    n += 200;
    now = performance.now();
  }
  const cpu = process.cpuUsage(cpu0);
  // Ops per CPU-second too: on a shared, loaded machine wall-clock rates mostly measure the neighbours.
  const perCpu = (n * 1e6) / (cpu.user + cpu.system);
  const fmt = (x: number): string => Math.round(x).toLocaleString('en-US').padStart(12);
  console.log(`${name.padEnd(58)} ${fmt((n * 1000) / (now - start))} ops/s ${fmt(perCpu)} ops/cpu-s`);
}

const phases = ['Running', 'Succeeded', 'Failed', 'Scheduled'];
measure('merge patch: VMI status.phase', (i) => applyMergePatch(vmi, { status: { phase: phases[i & 3] } }));
measure('createMergePatch: VMI status change', (i) => createMergePatch(vmi, { ...vmi, status: { ...vmi.status, phase: phases[i & 3] } }));
measure('json patch: test + replace VMI status.phase', (i) =>
  applyJsonPatch(vmi, [
    { op: 'test', path: '/metadata/resourceVersion', value: '1' },
    { op: 'replace', path: '/status/phase', value: phases[i & 3] },
  ]),
);
const POD = builtinPatchSchemas['v1/Pod'];
measure('strategic merge: pod status.conditions by type', (i) =>
  applyStrategicMergePatch(pod, { status: { phase: 'Running', conditions: [{ type: 'Ready', status: i & 1 ? 'True' : 'False' }] } }, POD),
);
measure('schema validate: VMI (KubeVirt CRD)', () => schema.validate(vmi).length === 0);
measure('schema prune + defaults + validate: VMI copy', () => {
  const o = deepClone(vmi);
  schema.prune(o);
  schema.applyDefaults(o);
  return schema.validate(o).length === 0;
});
measure('schema admit (copy-on-write prune+defaults+validate): VMI', () => schema.admit(vmi).errors.length === 0);
const listTypes = schema.patchSchema;
const tracked = recordUpdate({ oldObj: undefined, newObj: vmi, manager: 'kubectl-create', apiVersion: 'kubevirt.io/v1', listTypes });
measure('recordUpdate (managedFields) of a VMI status patch', (i) =>
  recordUpdate({
    oldObj: tracked,
    newObj: applyMergePatch(tracked, { status: { phase: phases[i & 3] } }),
    manager: 'virt-handler',
    apiVersion: 'kubevirt.io/v1',
    listTypes,
    subresource: 'status',
  }),
);
const sel = LabelSelector.parse('kubevirt.io=virt-launcher,tier notin (db),!gone');
measure('label selector match', () => sel.matches(pod.metadata.labels));
if (sink < 0) console.log(sink);
