// Renders/s of KWOK-size status templates on one core: KubeVirt's vmi-ready
// and KWOK's node-initialize and pod-ready, compiled once, executed in a loop.
// Run: node_modules/.bin/node bench/gotemplate/run.ts [seconds-per-case]

import { readFileSync } from 'node:fs';
import { parse as parseYaml, stringify } from 'yaml';
import { goQuote, parseTemplate, sprigFuncs } from '../../packages/gotemplate/src/index.ts';
import type { FuncMap } from '../../packages/gotemplate/src/index.ts';

const REF = '/work/shared/reference/kwok/stages';
const seconds = Number(process.argv[2] ?? 2);

function statusTemplate(file: string): string {
  return (parseYaml(readFileSync(`${REF}/${file}`, 'utf8')) as any).spec.next.statusTemplate.trim();
}

// KWOK's own functions, cheap stand-ins with KWOK's shapes (the engine supplies real ones).
const now = new Date().toISOString();
const funcs: FuncMap = {
  ...sprigFuncs,
  Now: () => now,
  Version: () => 'v0.8.0',
  Quote: (s: unknown) => (typeof s === 'string' ? JSON.stringify(s) : goQuote(JSON.stringify(s ?? null))),
  YAML: (v: unknown, indent?: number) => {
    let d = stringify(v ?? null);
    if (indent) d = ('\n' + d).replaceAll('\n', '\n' + ' '.repeat(indent * 2));
    return d;
  },
  NodeConditions: () => [
    { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
    { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
  ],
  NodeIP: () => '10.0.0.1',
  NodeName: () => 'node-1',
  NodePort: () => 10250,
  NodeIPsWith: () => ['10.0.0.1'],
  PodIPsWith: () => ['10.244.0.7'],
};
const funcNames = Object.keys(funcs);

const vmi = {
  apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance',
  metadata: { name: 'vmi-1', namespace: 'default', uid: 'u1' },
  spec: { nodeSelector: { type: 'kwok' } },
  status: {
    activePods: { 'pod-uid': 'node-1' }, launcherContainerImageVersion: 'virt-launcher:v1.5.0',
    memory: { guestAtBoot: '90Mi', guestCurrent: '90Mi', guestRequested: '90Mi' }, nodeName: 'node-1', phase: 'Scheduled',
    phaseTransitionTimestamps: [{ phase: 'Pending', phaseTransitionTimestamp: now }, { phase: 'Scheduled', phaseTransitionTimestamp: now }],
    qosClass: 'Guaranteed', runtimeUser: 107, volumeStatus: [{ name: 'containerdisk', target: '' }],
  },
};
const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1', creationTimestamp: now }, status: { nodeInfo: { architecture: 'amd64' } } };
const pod = {
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', uid: 'u' },
  spec: { nodeName: 'node-1', containers: [{ name: 'compute', image: 'img' }, { name: 'guest-console-log', image: 'img' }], readinessGates: [{ conditionType: 'kubevirt.io/virtual-machine-unpaused' }] },
  status: { phase: 'Pending' },
};

const cases: [string, string, unknown, FuncMap][] = [
  ['kubevirt vmi-ready (YAML via yaml lib)', 'kubevirt/stage/vmi-ready.yaml', vmi, funcs],
  ['kubevirt vmi-ready (YAML stubbed: interpreter only)', 'kubevirt/stage/vmi-ready.yaml', vmi, { ...funcs, YAML: () => '  x: y' }],
  ['node-initialize', 'node/fast/node-initialize.yaml', node, funcs],
  ['pod-ready (fast)', 'pod/fast/pod-ready.yaml', pod, funcs],
];

for (const [label, file, data, fm] of cases) {
  const t = parseTemplate(statusTemplate(file), { funcNames });
  for (let i = 0; i < 2000; i++) t.execute(data, fm); // warm-up
  let n = 0;
  let bytes = 0;
  // Wall time and CPU time both: on a shared machine renders per CPU-second
  // is the figure that stays put when other processes compete for the core.
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(seconds * 1e9));
  let t1 = start;
  while (t1 < deadline) {
    for (let i = 0; i < 500; i++) bytes += t.execute(data, fm).length;
    n += 500;
    t1 = process.hrtime.bigint();
  }
  const wall = Number(t1 - start) / 1e9;
  const cpuUse = process.cpuUsage(cpu0);
  const cpu = (cpuUse.user + cpuUse.system) / 1e6;
  const f = (x: number) => Math.round(x).toLocaleString('en-US').padStart(10);
  console.log(`${label.padEnd(52)} ${f(n / cpu)} renders/CPU-s ${f(n / wall)} renders/s wall  (${Math.round(bytes / n)} bytes/render)`);
}
